"""The test side of the servo node's topics, shared by the servo integration modules."""

from __future__ import annotations

import pytest

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.stamps import from_ns
from deepracer_interfaces_pkg.msg import DriveCommand, NavigationState, PwmWritten, RawPwm, StageStats


class ServoTopics:
    def __init__(self, probe) -> None:
        self.probe = probe
        self.written = probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
        self.telemetry = probe.subscribe(StageStats, names.telemetry_topic("servo"), qos.TELEMETRY)
        self.commands = probe.publisher(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND,
                                        wait_for_subscribers=0)
        self.raw = probe.publisher(RawPwm, names.SERVO_RAW_PWM, qos.COMMAND, wait_for_subscribers=0)
        self.state = probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED, wait_for_subscribers=0)
        # A servo node honours drive commands only once navigation has said "not started" (servo_core.py): the
        # latched state reaches every servo node these tests start. Mode "" leaves the node's mode as it starts.
        self.state.publish(NavigationState(mode="", started=False))

    def drive(self, angle: float, throttle: float, attempts: int = 15) -> PwmWritten:
        """Send a stamped command and return the node's PwmWritten for it.

        Until the endpoints have matched (discovery), a command or its write can go unseen, so an unseen
        command is sent again (with a new stamp), up to `attempts` times, a second each.
        """
        for _ in range(attempts - 1):
            try:
                return self._drive_once(angle, throttle)
            except AssertionError:
                pass
        return self._drive_once(angle, throttle)

    def _drive_once(self, angle: float, throttle: float) -> PwmWritten:
        message = DriveCommand(angle=angle, throttle=throttle)
        message.header.stamp = from_ns(boot_ns())
        self.commands.publish(message)
        return self.written.wait_for(lambda m: m.reason == "command" and m.header.stamp == message.header.stamp,
                                     timeout=1.0, what=f"the write for command ({angle}, {throttle})")


    def close(self) -> None:
        """Remove the publishers: a latched navigation state left behind would reach later tests' nodes."""
        for publisher in (self.commands, self.raw, self.state):
            self.probe.node.destroy_publisher(publisher)


@pytest.fixture(scope="module")
def servo_topics(ros_probe):
    topics = ServoTopics(ros_probe)
    yield topics
    topics.close()
