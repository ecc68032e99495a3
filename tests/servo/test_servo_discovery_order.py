"""Discovery matches the topics of two processes one by one (a stack just come up, as deepracer-eval's lockstep runs
are), and lockstep waits 5 s for each frame's write: a drive command that reaches the servo node before navigation's
first state is written when that state says the run is on, and a write made before its reader matched reaches that
reader when it does. The real servo node over real DDS (simulated output, temporary calibration files), in a ROS
domain of its own, so that nothing is latched or read there before the test's."""

from __future__ import annotations

import os

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.stamps import from_ns
from deepracer_interfaces_pkg.msg import DriveCommand, NavigationState, PwmWritten, StageStats
from support.rosgraph import NodeProcess, RosProbe, wait_for

# Long enough that the command is still fresh when the state follows on a loaded test machine.
COMMAND_TIMEOUT_S = 5.0


def _own_domain(offset: int) -> int:
    return (int(os.environ["ROS_DOMAIN_ID"]) - 1 + offset) % 100 + 1


def _parameters(folder) -> dict:
    return {"calibration_path": str(folder / "calibration.json"), "led_path": str(folder / "led.json"),
            "command_timeout_s": COMMAND_TIMEOUT_S}


def test_a_command_before_navigations_first_state_is_written_when_the_state_starts_the_run(tmp_path):
    domain = _own_domain(40)
    probe = RosProbe(domain_id=domain)
    parameters = _parameters(tmp_path)
    try:
        written = probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
        commands = probe.publisher(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND, wait_for_subscribers=0)
        state = probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED, wait_for_subscribers=0)
        with NodeProcess("servo_pkg", "servo_node", parameters, env={"ROS_DOMAIN_ID": str(domain)}) as node:
            wait_for(lambda: commands.get_subscription_count() >= 1 and written.subscription.get_publisher_count() >= 1,
                     what="the servo node's command reader and its writes' publisher")
            run_started_ns = boot_ns()
            command = DriveCommand(angle=0.2, throttle=0.5)
            command.header.stamp = from_ns(boot_ns())
            commands.publish(command)
            wait_for(lambda: "waiting for the navigation node's state" in node.output(), 10,
                     "the servo node to say it got the command before navigation's state")
            state.publish(NavigationState(mode="autonomous", started=True, run_started_ns=run_started_ns))
            write = written.wait_for(lambda m: m.reason == "command", 10,
                                     lambda: f"the held command's write\n{node.output()}")
            assert write.header.stamp == command.header.stamp and write.enabled
            assert write.throttle_ns != 1_446_000, "the command itself, not neutral"
    finally:
        probe.close()


def test_a_write_made_before_its_reader_matched_reaches_that_reader_when_it_does(tmp_path):
    domain = _own_domain(41)
    probe = RosProbe(domain_id=domain)
    try:
        commands = probe.publisher(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND, wait_for_subscribers=0)
        state = probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED, wait_for_subscribers=0)
        telemetry = probe.subscribe(StageStats, names.telemetry_topic("servo"), qos.TELEMETRY)
        with NodeProcess("servo_pkg", "servo_node", _parameters(tmp_path), env={"ROS_DOMAIN_ID": str(domain)}) as node:
            wait_for(lambda: commands.get_subscription_count() >= 1 and state.get_subscription_count() >= 1,
                     what="the servo node's command and state readers")
            state.publish(NavigationState(mode="autonomous", started=True, run_started_ns=boot_ns()))
            command = DriveCommand(angle=-0.2, throttle=0.4)
            command.header.stamp = from_ns(boot_ns())
            commands.publish(command)
            telemetry.wait_for(lambda m: m.count >= 1, 10, lambda: f"the servo's count of the write\n{node.output()}")
            written = probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
            write = written.wait_for(lambda m: m.reason == "command", 10,
                                     lambda: f"the write made before this reader matched\n{node.output()}")
            assert write.header.stamp == command.header.stamp and write.throttle_ns != 1_446_000
    finally:
        probe.close()
