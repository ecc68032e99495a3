"""The navigation node as a real process over real DDS: model gating, who drives, each timeout giving
neutral within its bound, stale policy outputs dropped, and stop / mode change / e-stop at once.

Nothing is faked: the test probe plays the inference node (ModelState, InferenceResult) and the console
(manual commands, services). One node process serves the whole module.
"""

from __future__ import annotations

import functools
import itertools
import os
import time

import pytest
from builtin_interfaces.msg import Time
from navigation.navigation_rig import NavigationRig
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue, SetParametersResult
from rcl_interfaces.srv import SetParameters

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.command_link import Command, CommandReceiver, address, command_from_bytes, readout_address
from deepracer_common_pkg.picture_link import PictureReceiver
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import DriveCommand
from navigation_pkg.readout_sampler import READOUT_PERIOD_S
from support.rosgraph import NodeProcess, RosProbe, wait_for, wait_for_any

MANUAL_TIMEOUT_S = 0.4
AUTONOMOUS_TIMEOUT_S = 0.3
WATCHDOG_PERIOD_S = 0.05
PARAMETERS = {
    "manual_timeout_s": MANUAL_TIMEOUT_S,
    "autonomous_timeout_s": AUTONOMOUS_TIMEOUT_S,
    "max_policy_age_s": 0.2,
    "watchdog_period_s": WATCHDOG_PERIOD_S,
    "initial_max_speed": 0.5,
}
# DDS both ways plus scheduling on a busy 2-core machine: the slack allowed beyond timeout + watchdog period.
MARGIN_S = 0.15
MODEL = "single-cam"
INDEX_4 = [0.01] * 4 + [0.86] + [0.01] * 10  # steering -15 of +-30, speed 4/3 of top 2 m/s


@pytest.fixture(scope="module")
def rig(ros_probe):
    with NodeProcess("navigation_pkg", "navigation_node", PARAMETERS) as node:
        rig = NavigationRig(ros_probe)
        yield rig
        rig.close()
        assert node.running(), node.output()


@pytest.fixture(autouse=True)
def stopped_manual(rig):
    """Every test begins stopped, e-stop clear, manual mode, 50 % max speed."""
    assert rig.reset_emergency_stop().success
    assert rig.start(False).success
    assert rig.set_mode("manual").success
    assert rig.set_max_speed(0.5).success
    rig.latest_state(lambda s: s.mode == "manual" and not s.started and not s.emergency_stop
                     and s.max_speed == 0.5, "reset state")


@pytest.fixture
def autonomous(rig, real_space):
    rig.load_model(MODEL, real_space("discrete_single_cam"))
    assert rig.set_mode("autonomous").success
    response = rig.start()
    assert response.success, response.message
    return rig


def test_autonomous_needs_a_loaded_model_and_then_maps_policy_outputs(rig, real_space):
    rig.unload_model("loading")
    assert rig.set_mode("autonomous").success
    refused = rig.start()
    assert not refused.success and "loaded model" in refused.message

    rig.load_model(MODEL, real_space("discrete_single_cam"))
    assert rig.start().success
    manual_stamp = rig.send_manual(0.9, 0.9)  # not the active source: must never reach the servo
    _, _, command = rig.drive(lambda: rig.send_policy(INDEX_4, MODEL))
    assert command.angle == pytest.approx(-0.5)
    assert command.throttle == pytest.approx(0.93333 * 0.5, abs=1e-4)  # parabola for M = 2, times 50 %
    assert not rig.was_echoed(manual_stamp)
    telemetry = rig.telemetry.wait_for(lambda t: t.count >= 1, what="navigation telemetry counting a command")
    assert telemetry.stage == "navigation"


def test_autonomous_timeout_gives_neutral_within_its_bound(autonomous):
    for _ in range(3):
        last_sent, last_stamp, last = autonomous.drive(lambda: autonomous.send_policy(INDEX_4, MODEL))
    received, neutral = autonomous.neutral_after(last_stamp)
    quiet = received - last_sent
    assert AUTONOMOUS_TIMEOUT_S <= quiet <= AUTONOMOUS_TIMEOUT_S + WATCHDOG_PERIOD_S + MARGIN_S
    assert neutral.angle == pytest.approx(last.angle)  # steering held
    state = autonomous.latest_state(lambda s: "autonomous_timeout_s" in s.neutral_reason, "timeout reason")
    assert state.started  # fresh outputs would drive again


def test_manual_timeout_gives_neutral_within_its_bound(rig):
    assert rig.start().success
    for throttle in (0.2, 0.4, 0.6):
        last_sent, last_stamp, last = rig.drive(lambda t=throttle: rig.send_manual(0.3, t))
    assert last.throttle == pytest.approx(0.3)  # proportional, times 50 %
    received, neutral = rig.neutral_after(last_stamp)
    quiet = received - last_sent
    assert MANUAL_TIMEOUT_S <= quiet <= MANUAL_TIMEOUT_S + WATCHDOG_PERIOD_S + MARGIN_S
    assert neutral.angle == pytest.approx(0.3)


def test_a_held_manual_command_is_repeated_until_the_manual_timeout(rig):
    """The drive pad sends when the racer moves it; navigation repeats the held command every command_repeat_s
    (0.1 s) so the servo's watchdog stays fed, until manual_timeout_s. On the car the watchdog sleeps after each
    input until a repeat can be due (DriveControl.quiet_after_input_s): the repeats must still come."""
    assert rig.start().success
    last_sent, last_stamp, last = rig.drive(lambda: rig.send_manual(-0.2, 0.6))
    received, _ = rig.neutral_after(last_stamp)
    repeats = [(t, m) for t, m in rig.servo.timed()
               if last_sent < t < received and to_ns(m.header.stamp) == 0 and m.throttle == last.throttle]
    assert len(repeats) >= 2, [(round(t - last_sent, 3), m.throttle) for t, m in rig.servo.timed() if t > last_sent]
    assert repeats[0][0] - last_sent >= 0.1
    assert all(m.angle == pytest.approx(-0.2) for _, m in repeats)


def test_stale_policy_output_is_dropped_not_driven(autonomous):
    autonomous.telemetry.wait_for(what="navigation telemetry")
    baseline = autonomous.telemetry.latest().dropped
    stale_stamps: list[int] = []

    def counted_as_dropped() -> bool:
        # Resent until counted: a best-effort output can be lost, and telemetry comes once a second.
        stale_stamps.append(autonomous.send_policy(INDEX_4, MODEL, stamp_ns=boot_ns() - 1_000_000_000))
        return autonomous.telemetry.latest().dropped > baseline

    wait_for(counted_as_dropped, what="a stale output counted as dropped")
    assert not any(autonomous.was_echoed(stamp) for stamp in stale_stamps)
    _, _, fresh = autonomous.drive(lambda: autonomous.send_policy(INDEX_4, MODEL))
    assert fresh.throttle > 0


def test_stop_and_mode_change_publish_neutral_at_once(rig):
    assert rig.start().success
    rig.drive(lambda: rig.send_manual(-0.7, 1.0))
    asked = boot_ns()
    assert rig.start(False).success
    answered = time.monotonic()
    received, neutral = rig.neutral_after(asked)
    assert received - answered <= MARGIN_S
    assert neutral.angle == pytest.approx(-0.7)

    assert rig.start().success
    rig.drive(lambda: rig.send_manual(0.2, 1.0))
    asked = boot_ns()
    assert rig.set_mode("calibration").success
    answered = time.monotonic()
    received, _ = rig.neutral_after(asked)
    assert received - answered <= MARGIN_S
    state = rig.latest_state(lambda s: s.mode == "calibration", "calibration mode")
    assert not state.started and state.neutral_reason == "mode changed to calibration"
    refused = rig.start()
    assert not refused.success and "calibration" in refused.message


def test_emergency_stop_latches_until_reset(rig):
    assert rig.start().success
    rig.drive(lambda: rig.send_manual(0.5, 0.8))
    asked = boot_ns()
    assert rig.emergency_stop().success
    _, neutral = rig.neutral_after(asked)
    assert neutral.angle == pytest.approx(0.5)
    assert rig.latest_state(lambda s: s.emergency_stop, "e-stop in state").started is False

    refused = rig.start()
    assert not refused.success and "reset" in refused.message
    assert rig.set_mode("autonomous").success and rig.set_mode("manual").success
    assert not rig.start().success

    assert rig.reset_emergency_stop().success
    state = rig.latest_state(lambda s: not s.emergency_stop, "e-stop cleared")
    assert not state.started
    assert rig.start().success
    assert rig.drive(lambda: rig.send_manual(0.0, 0.8))[2].throttle == pytest.approx(0.4)


def test_bad_service_values_are_refused_with_a_reason(rig):
    mode = rig.set_mode("auto")
    assert not mode.success and "'auto'" in mode.reason
    speed = rig.set_max_speed(1.5)
    assert not speed.success and "[0, 1]" in speed.reason
    assert rig.latest_state().max_speed == pytest.approx(0.5)


def set_parameter_of(rig, name: str, value: float) -> SetParametersResult:
    request = SetParameters.Request(parameters=[
        Parameter(name=name, value=ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value))])
    return rig.probe.call(SetParameters, "/navigation_node/set_parameters", request).results[0]


def test_run_time_changes_that_could_break_a_link_checked_at_start_are_refused(rig):
    """Issue 26, item 5: the launcher checked command_repeat_s + watchdog_period_s (0.1 + 0.05 s here) against the
    servo's command_timeout_s, and the camera's and the action rate against autonomous_timeout_s. At run time
    navigation knows neither other value: it may shorten its silence and lengthen its timeout, never the reverse."""
    set_parameter = functools.partial(set_parameter_of, rig)
    longer = set_parameter("command_repeat_s", 0.3)
    assert not longer.successful
    assert "longer than the 0.15 s checked against the servo's command_timeout_s at start" in longer.reason
    shorter = set_parameter("autonomous_timeout_s", 0.1)
    assert not shorter.successful and "may not go below its 0.3 s at start" in shorter.reason
    try:
        assert set_parameter("command_repeat_s", 0.08).successful
        assert set_parameter("autonomous_timeout_s", 0.5).successful
    finally:
        assert set_parameter("command_repeat_s", 0.1).successful
        assert set_parameter("autonomous_timeout_s", AUTONOMOUS_TIMEOUT_S).successful


def test_state_is_republished_about_once_a_second_while_started_and_held_and_not_at_all_when_not(rig):
    rig.state.wait_for(what="a state message")  # one that may still be from the reset
    rig.state.clear()
    # Not started: nothing changes, nothing is sent (the state is latched for a reader that comes).
    assert not wait_for_any(lambda: rig.state.messages, 2.5)
    assert rig.start().success
    # Started, no pad command yet (held at neutral): the console shows how long the pad has been quiet, from a
    # state sent once a second.
    rig.state.wait_for(lambda _: len(rig.state.messages) >= 4, timeout=5.0, what="four state messages")
    times = [received for received, _ in rig.state.timed()[-3:]]
    assert all(0.7 <= later - earlier <= 1.3 for earlier, later in itertools.pairwise(times)), times
    # Driving (the pad held): the age is not shown, and nothing is sent while nothing changes.
    deadline = time.monotonic() + 2.5
    rig.drive(lambda: rig.send_manual(0.1, 0.2))
    rig.state.clear()
    while time.monotonic() < deadline:
        rig.send_manual(0.1, 0.2)
        time.sleep(0.05)
    assert not [m for m in rig.state.messages if m.started and not m.neutral_reason], rig.state.messages


def test_parameters_change_at_run_time_and_bad_values_are_refused(rig):
    set_parameter = functools.partial(set_parameter_of, rig)
    refused = set_parameter("watchdog_period_s", 1.0)
    assert not refused.successful and "must not exceed manual_timeout_s" in refused.reason
    assert set_parameter("watchdog_period_s", 0.02).successful  # the watchdog timer is re-created
    try:
        assert rig.start().success
        last_sent, last_stamp, _ = rig.drive(lambda: rig.send_manual(0.0, 0.5))
        received, _ = rig.neutral_after(last_stamp)
        assert MANUAL_TIMEOUT_S <= received - last_sent <= MANUAL_TIMEOUT_S + 0.02 + MARGIN_S
    finally:
        assert set_parameter("watchdog_period_s", WATCHDOG_PERIOD_S).successful


@pytest.fixture
def alone():
    """A navigation node in a ROS domain of its own, with a probe there: how many read its commands over DDS is then
    this test's to say (the session's domain keeps readers of earlier modules)."""
    domain = (int(os.environ["ROS_DOMAIN_ID"]) - 1 + 30) % 100 + 1
    probe = RosProbe(domain_id=domain)
    try:
        with NodeProcess("navigation_pkg", "navigation_node", PARAMETERS, env={"ROS_DOMAIN_ID": str(domain)}) as node:
            rig = NavigationRig(probe)
            yield rig
            rig.close()
            assert node.running(), node.output()
    finally:
        probe.close()


def test_commands_go_on_the_servo_nodes_local_link_and_over_dds_only_for_another_reader(alone):
    """A servo node listening on the local link (played here by the test: the servo node is not part of this
    module) gets each command there; over DDS it goes only when a reader other than the servo node's own is there
    (this test's one DDS reader stands for the servo node's), and again as soon as the link is gone."""
    rig = alone
    heard: list[Command] = []
    link = CommandReceiver(address(rig.probe.node.context.get_domain_id(), "/servo_node"), heard.append,
                           lambda report: None)
    try:
        assert rig.set_mode("manual").success and rig.set_max_speed(0.5).success
        assert rig.start().success
        sent: set[int] = set()

        def first_on_link() -> int | None:  # the link is tried at most every RETRY_S: send until one is on it
            sent.add(rig.send_manual(0.3, 0.5))
            return next((to_ns(from_parts(c)) for c in heard if to_ns(from_parts(c)) in sent), None)
        on_link = wait_for(first_on_link, what="a command on the link", interval=0.05)
        later = rig.send_manual(0.3, 0.5)
        wait_for(lambda: any(to_ns(from_parts(c)) == later for c in heard), what="the next command on the link")
        assert rig.probe.node.count_subscribers(names.NAVIGATION_SERVO_CMD) == 1
        assert not rig.was_echoed(on_link) and not rig.was_echoed(later)  # one DDS reader: the servo node's

        another = rig.probe.subscribe(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND)
        try:
            wait_for(lambda: rig.probe.node.count_subscribers(names.NAVIGATION_SERVO_CMD) >= 2, what="2 readers")
            _, stamp, _ = rig.drive(lambda: rig.send_manual(0.3, 0.5))
            assert any(to_ns(from_parts(c)) == stamp for c in heard)  # on the link too
            assert not rig.was_echoed(on_link) and not rig.was_echoed(later)  # by now they would have come
        finally:
            rig.probe.node.destroy_subscription(another.subscription)
    finally:
        link.close()
    rig.drive(lambda: rig.send_manual(0.3, 0.5))  # the link gone: over DDS again


def from_parts(command: Command) -> Time:
    return Time(sec=command.sec, nanosec=command.nanosec)


def test_the_consoles_readout_gets_a_sample_of_the_commands_on_its_own_link_and_every_stop(alone):
    """Issue 23: the Control page's readout (the console of the same car, played here by the test's end of
    navigation's readout link) gets a command at most every READOUT_PERIOD_S, not each one, and a stop at once; it
    adds no reader over DDS, so navigation does not publish every command there."""
    rig = alone
    heard: list[Command] = []
    console = PictureReceiver(readout_address(rig.probe.node.context.get_domain_id(), "/navigation_node"),
                              lambda data: heard.append(command_from_bytes(data)), lambda up: None, pytest.fail,
                              name="test-readout")
    try:
        assert rig.set_mode("manual").success and rig.set_max_speed(0.5).success
        assert rig.start().success
        wait_for(lambda: rig.send_manual(0.3, 0.5) and heard, what="a command on the readout link", interval=0.05)
        heard.clear()
        started, inputs = time.monotonic(), 0
        while time.monotonic() - started < 1.0:  # 50 inputs a second: each makes a command
            rig.send_manual(0.3, 0.5)
            inputs += 1
            time.sleep(0.02)  # the drive pad's pace, not a synchronisation
        elapsed = time.monotonic() - started
        assert 1 <= len(heard) <= elapsed / READOUT_PERIOD_S + 2, (len(heard), inputs)
        assert all(c.angle == pytest.approx(0.3) and c.throttle != 0.0 for c in heard)
        assert rig.probe.node.count_subscribers(names.NAVIGATION_SERVO_CMD) == 1  # the test's, for the servo node
        moving = len(heard)
        assert rig.start(False).success
        stop = wait_for(lambda: next((c for c in heard[moving:] if c.throttle == 0.0), None), 2.0,
                        "the stop's neutral on the readout link")
        assert stop.angle == 0.0 or stop.angle == pytest.approx(0.3)
    finally:
        console.close()
