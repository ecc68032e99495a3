"""The servo node as a real process over real DDS (simulated output, temporary calibration files): what it
publishes for commands, the watchdog bound, raw PWM only in calibration mode, and its services."""

from __future__ import annotations

import json
import time

import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.duration import Duration

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.command_link import Command, CommandSender, address
from deepracer_common_pkg.stamps import from_ns
from deepracer_interfaces_pkg.msg import DriveCommand, NavigationState, PwmWrittenBatch, RawPwm
from deepracer_interfaces_pkg.srv import GetCalibration, GetLedColor, SetCalibration, SetLedColor
from support.rosgraph import NodeProcess, wait_for

TIMEOUT_S = 0.25
# Checked 4 times per timeout, so neutral is due within 1.25 timeouts; the rest is slack for DDS and a
# loaded test machine.
WATCHDOG_BOUND_S = TIMEOUT_S * 1.25 + 0.5

FILE_CALIBRATION = {"Calibration": {"Servo": {"max": 1_690_000, "mid": 1_460_000, "min": 1_230_000, "polarity": 1},
                                    "Motor": {"max": 1_580_000, "mid": 1_450_000, "min": 1_330_000, "polarity": -1}},
                    "version": 1}


@pytest.fixture(scope="module")
def rig(servo_topics, tmp_path_factory):
    folder = tmp_path_factory.mktemp("servo-data")
    (folder / "calibration.json").write_text(json.dumps(FILE_CALIBRATION))
    (folder / "led_values.json").write_text('{"Led Values": {"red_pwm": 0, "green_pwm": 10000000, "blue_pwm": 0}}')
    parameters = {"calibration_path": str(folder / "calibration.json"), "led_path": str(folder / "led_values.json"),
                  "command_timeout_s": TIMEOUT_S}
    with NodeProcess("servo_pkg", "servo_node", parameters) as node:
        for publisher in (servo_topics.commands, servo_topics.raw):
            wait_for(lambda p=publisher: p.get_subscription_count() >= 1, what="the servo node's subscriptions")
        yield Rig(servo_topics, node, folder)
        assert node.stop() == 0, node.output()


class Rig:
    """The running node, its data folder, its topics, and the navigation mode last sent to it."""

    def __init__(self, topics, node: NodeProcess, folder) -> None:
        self.topics, self.node, self.folder = topics, node, folder
        self.probe, self.written, self.telemetry = topics.probe, topics.written, topics.telemetry
        self.mode = ""

    def drive(self, angle: float, throttle: float):
        return self.topics.drive(angle, throttle)

    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.written.clear()
        self.topics.state.publish(NavigationState(mode=mode))
        self.written.wait_for(lambda m: m.reason == "mode", what=f"neutral on switching to mode {mode}")
        self.mode = mode


def test_command_is_written_with_its_stamp_and_the_files_calibration(rig) -> None:
    written = rig.drive(0.5, 0.5)
    # Steering 1,460,000 + 0.5 * 230,000; throttle (polarity -1) 1,450,000 - 0.5 * 120,000.
    assert (written.steering_ns, written.throttle_ns, written.enabled) == (1_575_000, 1_390_000, True)
    stats = rig.telemetry.wait_for(lambda m: m.count >= 1, what="servo telemetry with a write counted")
    assert stats.stage == "servo" and stats.latency_p50_ms > 0


def test_the_writes_go_batched_to_a_reader_that_keeps_them_all_and_a_neutral_at_once(rig) -> None:
    batches = rig.probe.subscribe(PwmWrittenBatch, names.SERVO_PWM_WRITTEN_BATCH, qos.REPORTS)
    try:
        wait_for(lambda: batches.subscription.get_publisher_count() >= 1, what="the batch reader matched")
        rig.set_mode("manual")
        rig.written.clear()
        driven = [rig.drive(0.1 * i, 0.0) for i in range(1, 4)]
        rig.set_mode("calibration")  # neutral for the mode change: not a drive command, sent at once with the rest

        def batched():
            return [(w.reason, w.steering_ns, w.header.stamp.sec, w.header.stamp.nanosec)
                    for batch in batches.messages for w in batch.writes]
        wanted = [("command", w.steering_ns, w.header.stamp.sec, w.header.stamp.nanosec) for w in driven]
        wait_for(lambda: any(reason == "mode" for reason, *_ in batched()), what="the mode's neutral in a batch")
        assert [entry for entry in batched() if entry[0] == "command"][-3:] == wanted
        assert len(batches.messages) < len(batched())  # several writes to a message
    finally:
        rig.probe.node.destroy_subscription(batches.subscription)
        rig.set_mode("manual")  # as the tests after this one expect


def test_a_command_on_the_local_link_is_written_once_also_when_it_comes_over_dds_too(rig) -> None:
    """Navigation sends on the link, and over DDS as well while somebody else reads its commands (the console's
    readout): the servo node writes each command once."""
    rig.set_mode("manual")
    link = address(rig.probe.node.context.get_domain_id(), "/servo_node")
    sender = CommandSender(link, clock=time.monotonic)
    try:
        stamp = from_ns(boot_ns())
        assert sender.send(Command(stamp.sec, stamp.nanosec, 0.25, 0.5))
        written = rig.written.wait_for(lambda m: m.reason == "command" and m.header.stamp == stamp,
                                       what="the write for the command on the link")
        assert (written.steering_ns, written.throttle_ns) == (1_517_500, 1_390_000)
        again = DriveCommand(angle=0.25, throttle=0.5)
        again.header.stamp = stamp
        rig.topics.commands.publish(again)
        assert rig.topics.commands.wait_for_all_acked(Duration(seconds=5))
        # Over DDS, not on the link: written, after the repeat were that written. Throttle 0: no watchdog left due.
        later = rig.drive(0.0, 0.0)
        assert later.throttle_ns == 1_450_000
        assert [m for m in rig.written.messages if m.header.stamp == stamp] == [written]
    finally:
        sender.close()
        rig.written.clear()


def test_out_of_range_command_is_refused_and_counted(rig) -> None:
    rig.topics.commands.publish(DriveCommand(angle=0.0, throttle=1.5))
    wait_for(lambda: "drive command refused" in rig.node.output(), what="the refusal in the node's log")
    rig.telemetry.wait_for(lambda m: m.dropped >= 1, what="the refused command counted as dropped")
    # A refused command moved nothing: the guard must not count the node's silence after it (it did, and wrote
    # neutral 0.25 s later, latching a fault that refused every command after it: a false stop).
    time.sleep(1.0)  # a guard that counts fires within 0.25 s of the refusal: give it four times that
    assert "actuation guard wrote neutral" not in rig.node.output()
    rig.drive(0.0, 0.3)


def test_watchdog_sets_throttle_neutral_within_the_bound(rig) -> None:
    rig.set_mode("manual")
    sent = time.monotonic()
    rig.drive(-1.0, 0.8)
    neutral = rig.written.wait_for(lambda m: m.reason == "watchdog", timeout=5, what="the watchdog's write")
    received = next(t for t, m in rig.written.timed() if m is neutral)
    assert (neutral.throttle_ns, neutral.steering_ns) == (1_450_000, 1_230_000)
    assert TIMEOUT_S <= received - sent <= WATCHDOG_BOUND_S


def test_watchdog_sets_throttle_neutral_within_the_bound_after_commands_on_the_link_stop(rig) -> None:
    """On the car the link's thread times the watchdog (no executor timer): commands that keep coming hold it off,
    and a period after the last the checks begin; neutral within 1.25 timeouts of the last command."""
    rig.set_mode("manual")
    rig.written.clear()
    sender = CommandSender(address(rig.probe.node.context.get_domain_id(), "/servo_node"), clock=time.monotonic)
    try:
        for _ in range(20):  # 20 commands, 30 a second: longer than a timeout, the throttle on all along
            stamp = from_ns(boot_ns())
            assert sender.send(Command(stamp.sec, stamp.nanosec, 0.5, 0.6))
            sent = time.monotonic()
            time.sleep(1 / 30)
        last = rig.written.wait_for(lambda m: m.reason == "command" and m.header.stamp == stamp,
                                    what="the write for the last command on the link")
        assert [m.reason for m in rig.written.messages if m.reason == "watchdog"] == []
        assert last.throttle_ns != 1_450_000
        neutral = rig.written.wait_for(lambda m: m.reason == "watchdog", timeout=5, what="the watchdog's write")
        received = next(t for t, m in rig.written.timed() if m is neutral)
        assert neutral.throttle_ns == 1_450_000 and neutral.steering_ns == last.steering_ns
        assert TIMEOUT_S <= received - sent <= WATCHDOG_BOUND_S
    finally:
        sender.close()
        rig.written.clear()


def test_raw_pwm_is_ignored_outside_calibration_mode(rig) -> None:
    rig.set_mode("manual")
    rig.written.clear()
    rig.topics.raw.publish(RawPwm(channel="steering", duty_ns=1_600_000))
    wait_for(lambda: "raw PWM ignored" in rig.node.output(), what="the node's note that raw PWM was ignored")
    assert not [m for m in rig.written.messages if m.reason == "calibration"]

    rig.set_mode("calibration")
    rig.topics.raw.publish(RawPwm(channel="steering", duty_ns=1_600_000))
    written = rig.written.wait_for(lambda m: m.reason == "calibration", what="the raw steering write")
    assert (written.steering_ns, written.throttle_ns) == (1_600_000, 1_450_000)
    rig.set_mode("manual")


def test_calibration_services_validate_persist_and_apply(rig) -> None:
    rig.set_mode("manual")
    answer = rig.probe.call(GetCalibration, names.SERVO_GET_CALIBRATION, GetCalibration.Request(channel="steering"))
    assert (answer.success, answer.min_ns, answer.mid_ns, answer.max_ns, answer.polarity) == \
        (True, 1_230_000, 1_460_000, 1_690_000, 1)

    bad = SetCalibration.Request(channel="throttle", min_ns=1_500_000, mid_ns=1_450_000, max_ns=1_600_000,
                                 polarity=-1)
    answer = rig.probe.call(SetCalibration, names.SERVO_SET_CALIBRATION, bad)
    assert not answer.success and "min=1500000 mid=1450000" in answer.reason
    answer = rig.probe.call(SetCalibration, names.SERVO_SET_CALIBRATION,
                            SetCalibration.Request(channel="angle", min_ns=1, mid_ns=2, max_ns=3, polarity=1))
    assert not answer.success and "'angle'" in answer.reason

    rig.drive(0.0, 0.0)
    rig.written.clear()
    good = SetCalibration.Request(channel="throttle", min_ns=1_320_000, mid_ns=1_470_000, max_ns=1_590_000,
                                  polarity=1)
    assert rig.probe.call(SetCalibration, names.SERVO_SET_CALIBRATION, good).success
    applied = rig.written.wait_for(lambda m: m.reason == "calibration", what="the new neutral applied")
    assert applied.throttle_ns == 1_470_000
    saved = json.loads((rig.folder / "calibration.json").read_text())
    assert saved["Calibration"]["Motor"] == {"max": 1_590_000, "mid": 1_470_000, "min": 1_320_000, "polarity": 1}
    assert saved["Calibration"]["Servo"] == FILE_CALIBRATION["Calibration"]["Servo"]
    assert rig.drive(0.0, 1.0).throttle_ns == 1_590_000  # polarity +1 now


def test_tail_light_services(rig) -> None:
    answer = rig.probe.call(GetLedColor, names.SERVO_GET_LED_COLOR, GetLedColor.Request())
    assert (answer.red, answer.green, answer.blue) == (0, 255, 0)
    answer = rig.probe.call(SetLedColor, names.SERVO_SET_LED_COLOR, SetLedColor.Request(red=10, green=20, blue=30))
    assert answer.success, answer.reason
    saved = json.loads((rig.folder / "led_values.json").read_text())
    assert saved == {"Led Values": {"red_pwm": 392_150, "green_pwm": 784_300, "blue_pwm": 1_176_450}}
    answer = rig.probe.call(GetLedColor, names.SERVO_GET_LED_COLOR, GetLedColor.Request())
    assert (answer.red, answer.green, answer.blue) == (10, 20, 30)


def test_the_command_timeout_is_fixed_while_the_node_runs(rig) -> None:
    """Issue 26, item 5: the servo's actuation guard took command_timeout_s at start and waits that long for a beat,
    and the servo beats four times per timeout. A longer timeout set at run time slowed the beats past what the guard
    waits: it fired on a live servo (a false stop). The change is refused with the reason; the guard stays quiet."""
    request = SetParameters.Request(parameters=[Parameter(name="command_timeout_s", value=ParameterValue(
        type=ParameterType.PARAMETER_DOUBLE, double_value=2.0))])
    result = rig.probe.call(SetParameters, "/servo_node/set_parameters", request).results[0]
    assert not result.successful
    assert "command_timeout_s is fixed while the servo node runs (0.25 s)" in result.reason
    assert "--set servo_node.command_timeout_s=2" in result.reason
    time.sleep(1.0)  # a guard that fires does so within 0.25 s of a missed beat: give it four times that
    assert "actuation guard wrote neutral" not in rig.node.output()
