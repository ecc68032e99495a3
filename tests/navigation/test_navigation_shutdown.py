"""The navigation process leaves the car in neutral on its way out, and refuses to start with a bad
parameter. Each test needs its own process, since each ends it."""

from __future__ import annotations

import signal

import pytest
from std_srvs.srv import SetBool

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.stamps import from_ns, to_ns
from deepracer_interfaces_pkg.msg import DriveCommand
from support.rosgraph import NodeProcess, wait_for


@pytest.fixture(scope="module")
def servo(ros_probe):
    return ros_probe.subscribe(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND)


@pytest.fixture(scope="module")
def manual(ros_probe):
    publisher = ros_probe.publisher(DriveCommand, names.MANUAL_DRIVE, qos.COMMAND, wait_for_subscribers=0)
    yield publisher
    ros_probe.node.destroy_publisher(publisher)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_publishes_neutral(ros_probe, servo, manual, sig):
    with NodeProcess("navigation_pkg", "navigation_node", {"initial_max_speed": 1.0}) as node:
        assert ros_probe.call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=True)).success
        started_ns = boot_ns()

        def driving() -> bool:
            # Resend until one arrives: discovery of this process may still be settling.
            message = DriveCommand(angle=0.4, throttle=0.7)
            message.header.stamp = from_ns(boot_ns())
            manual.publish(message)
            return any(m.throttle == pytest.approx(0.7) and to_ns(m.header.stamp) >= started_ns
                       for m in servo.messages)

        wait_for(driving, what="the node driving on manual commands")
        signalled_ns = boot_ns()
        assert node.stop(sig) == 0, node.output()
    neutral = servo.wait_for(lambda m: m.throttle == 0.0 and to_ns(m.header.stamp) >= signalled_ns,
                             timeout=2.0, what="the neutral sent on shutdown")
    assert neutral.angle == pytest.approx(0.4)


def test_invalid_parameter_stops_the_node_with_the_reason():
    with NodeProcess("navigation_pkg", "navigation_node", {"manual_timeout_s": -1.0}) as node:
        wait_for(lambda: not node.running(), timeout=10.0, what="the node to refuse to start")
        assert node.process.returncode != 0
        assert "manual_timeout_s must be a number of seconds > 0, got -1.0" in node.output()
