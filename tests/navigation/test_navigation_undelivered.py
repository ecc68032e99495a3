"""A command navigation sent while nobody could take it (over DDS, before the servo node's reader matched: a stack just
come up, or the simulator, where commands go over DDS only) reaches that reader once it matches, if it still stands.
The real navigation node over real DDS, in a ROS domain of its own, so that no reader of its commands is there
before the test's."""

from __future__ import annotations

import os

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import DriveCommand
from deepracer_interfaces_pkg.srv import SetDriveMode
from support.rosgraph import NodeProcess, RosProbe


def test_the_neutral_of_a_mode_change_sent_before_the_servo_listened_reaches_it_when_it_does():
    domain = (int(os.environ["ROS_DOMAIN_ID"]) - 1 + 30) % 100 + 1
    probe = RosProbe(domain_id=domain)
    try:
        with NodeProcess("navigation_pkg", "navigation_node", env={"ROS_DOMAIN_ID": str(domain)}) as node:
            answer = probe.call(SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode="autonomous"),
                                30)
            assert answer.success, answer.reason  # its neutral is published before the answer: to nobody
            commands = probe.subscribe(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND)
            sent = commands.wait_for(lambda c: True, 10, lambda: f"the mode change's neutral\n{node.output()}")
            assert sent.throttle == 0.0 and sent.angle == 0.0
    finally:
        probe.close()
