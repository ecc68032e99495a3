"""The navigation state machine, driven with a fake clock: modes, start/stop, the latched emergency
stop, who may drive, freshness timeouts, stale policy outputs, max speed and the optional rate limits."""

from __future__ import annotations

import itertools
import math

import pytest

from deepracer_common_pkg.action_space import ActionSpace
from navigation_pkg.config import NavigationConfig
from navigation_pkg.drive_control import AUTONOMOUS, CALIBRATION, MANUAL, MODES, NEUTRAL, REPEAT, DriveControl

SPACE = ActionSpace("discrete", steering_angle=(-30.0, 0.0, 15.0), speed=(0.4, 0.8, 0.4))
LEFT_SLOW = [0.1, 0.1, 0.8]  # action 2: angle 0.5, speed 0.4 of top 0.8 -> 0.8 before max speed
CONFIG = NavigationConfig(manual_timeout_s=0.5, autonomous_timeout_s=0.25, max_policy_age_s=0.2,
                          watchdog_period_s=0.05, initial_max_speed=0.5)


class FakeClock:
    """One clock for both the timeouts and the ROS stamps; tests move it by hand."""

    def __init__(self) -> None:
        self.ns = 1_700_000_000 * 1_000_000_000

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += round(seconds * 1e9)

    def ago(self, seconds: float) -> int:
        return self.ns - round(seconds * 1e9)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock: FakeClock, config: NavigationConfig = CONFIG) -> DriveControl:
    return DriveControl(config, monotonic_ns=clock, stamp_ns=clock)


def driving_manual(clock: FakeClock, config: NavigationConfig = CONFIG) -> DriveControl:
    control = make(clock, config)
    assert control.start().accepted
    return control


def driving_autonomous(clock: FakeClock, config: NavigationConfig = CONFIG) -> DriveControl:
    control = make(clock, config)
    control.set_model(SPACE, "model-a")
    control.set_mode(AUTONOMOUS)
    assert control.start().accepted
    return control


# --- initial state and starting --------------------------------------------------------------------

def test_starts_stopped_in_manual_with_no_model(clock):
    state = make(clock).state()
    assert (state.mode, state.started, state.emergency_stop, state.model_ready) == (MANUAL, False, False, False)
    assert state.max_speed == 0.5
    assert state.last_command_age_s == -1.0
    assert state.neutral_reason == "stopped"


def test_a_state_is_the_same_while_only_its_command_age_moves(clock):
    """Navigation publishes its state when it changes and compares it on every frame: the age of the last command
    moves with every frame and must not count, anything else must."""
    control = driving_manual(clock)
    control.on_manual(0.2, 0.5, clock())
    before = control.state()
    clock.advance(0.05)
    after = control.state()
    assert after.last_command_age_s > before.last_command_age_s
    assert after == before
    control.on_manual(0.2, 0.6, clock())
    assert control.stop().accepted
    assert control.state() != before


def test_start_with_zero_max_speed_warns_that_the_car_will_not_move(clock):
    outcome = make(clock, NavigationConfig()).start()
    assert outcome.accepted and "max speed is 0 %" in outcome.reason


def test_autonomous_cannot_start_without_a_model_and_says_why(clock):
    control = make(clock)
    control.set_model(None, "model-a", "inference model state is 'loading'")
    control.set_mode(AUTONOMOUS)
    outcome = control.start()
    assert not outcome.accepted
    assert "loaded model" in outcome.reason and "'loading'" in outcome.reason
    control.set_model(SPACE, "model-a")
    assert control.start().accepted
    assert control.state().started


def test_calibration_cannot_start(clock):
    control = make(clock)
    control.set_mode(CALIBRATION)
    outcome = control.start()
    assert not outcome.accepted and "calibration" in outcome.reason
    assert not control.state().started


def test_stop_always_publishes_neutral_with_steering_held(clock):
    control = driving_manual(clock)
    control.on_manual(-0.4, 1.0, clock())
    outcome = control.stop()
    assert outcome.command.throttle == 0.0 and outcome.command.angle == pytest.approx(-0.4)
    assert outcome.command.source == NEUTRAL and outcome.command.stamp_ns == clock()
    assert not control.state().started
    assert control.stop().command.throttle == 0.0  # even when already stopped


# --- modes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("after", [AUTONOMOUS, CALIBRATION])
def test_a_mode_change_centres_the_steering_as_the_original_ctrl_did(clock, after):
    control = driving_manual(clock)
    control.on_manual(-0.4, 1.0, clock())
    outcome = control.set_mode(after)
    assert (outcome.command.angle, outcome.command.throttle) == (0.0, 0.0) and outcome.command.source == NEUTRAL
    control.set_mode(MANUAL)
    control.start()
    assert control.on_manual(0.2, 0.0, clock()).command.angle == pytest.approx(0.2)


@pytest.mark.parametrize(("before", "after"), list(itertools.product(MODES, MODES)))
def test_every_mode_transition(clock, before, after):
    control = make(clock)
    control.set_model(SPACE, "model-a")
    control.set_mode(before)
    control.start()  # refused in calibration, so "started" is whatever the mode allows
    was_started = control.state().started
    outcome = control.set_mode(after)
    assert outcome.accepted
    assert control.state().mode == after
    if before == after:  # idempotent: a console re-sending the current mode does not stop the car
        assert outcome.command is None
        assert control.state().started == was_started
    else:  # switching stops first
        assert outcome.command is not None and outcome.command.throttle == 0.0
        assert not control.state().started
        assert control.state().neutral_reason == f"mode changed to {after}"


def test_unknown_mode_is_refused_and_changes_nothing(clock):
    control = driving_manual(clock)
    outcome = control.set_mode("auto")
    assert not outcome.accepted and "'auto'" in outcome.reason and "autonomous" in outcome.reason
    assert control.state().mode == MANUAL and control.state().started


# --- only the active source drives -----------------------------------------------------------------

def test_manual_commands_are_ignored_in_autonomous_mode(clock):
    control = driving_autonomous(clock)
    outcome = control.on_manual(0.5, 0.5, clock())
    assert not outcome.accepted and outcome.command is None and not outcome.dropped


def test_policy_outputs_are_ignored_in_manual_mode(clock):
    control = driving_manual(clock)
    control.set_model(SPACE, "model-a")
    outcome = control.on_policy(LEFT_SLOW, clock(), "model-a")
    assert not outcome.accepted and outcome.command is None


@pytest.mark.parametrize("mode", MODES)
def test_nothing_drives_before_start(clock, mode):
    control = make(clock)
    control.set_model(SPACE, "model-a")
    control.set_mode(mode)
    assert control.on_manual(0.5, 0.5, clock()).command is None
    assert control.on_policy(LEFT_SLOW, clock(), "model-a").command is None


# --- manual driving --------------------------------------------------------------------------------

def test_manual_is_proportional_and_scaled_by_max_speed(clock):
    control = driving_manual(clock)
    command = control.on_manual(-0.37, 0.61, clock.ago(0.01)).command
    assert command.angle == pytest.approx(-0.37)      # no quantisation to {0, 0.3, 0.5, 0.8}
    assert command.throttle == pytest.approx(0.305)   # 0.61 * 0.5
    assert command.stamp_ns == clock.ago(0.01) and command.source == MANUAL
    assert control.state().neutral_reason == ""


@pytest.mark.parametrize(("angle", "throttle"), [(1.2, 0.0), (0.0, -1.01), (math.nan, 0.0), (0.0, math.inf)])
def test_manual_values_outside_the_range_are_dropped(clock, angle, throttle):
    outcome = driving_manual(clock).on_manual(angle, throttle, clock())
    assert outcome.dropped and outcome.command is None and "outside [-1, 1]" in outcome.reason


def test_max_speed_applies_to_following_commands_and_is_validated(clock):
    control = driving_manual(clock)
    assert control.set_max_speed(0.2).accepted
    assert control.on_manual(0.0, 1.0, clock()).command.throttle == pytest.approx(0.2)
    for bad in (1.01, -0.1, math.nan):
        outcome = control.set_max_speed(bad)
        assert not outcome.accepted and "[0, 1]" in outcome.reason
    assert control.state().max_speed == pytest.approx(0.2)


# --- autonomous driving ----------------------------------------------------------------------------

def test_policy_output_becomes_the_mapped_command_with_its_frame_stamp(clock):
    control = driving_autonomous(clock)
    stamp = clock.ago(0.05)
    command = control.on_policy(LEFT_SLOW, stamp, "model-a").command
    assert command.angle == pytest.approx(0.5)
    assert command.throttle == pytest.approx(0.8 * 0.5)
    assert command.stamp_ns == stamp and command.source == AUTONOMOUS


def test_linear_speed_mapping_option(clock):
    control = driving_autonomous(clock, NavigationConfig(initial_max_speed=1.0, speed_mapping="linear"))
    assert control.on_policy(LEFT_SLOW, clock(), "").command.throttle == pytest.approx(0.5)


@pytest.mark.parametrize("age_s", [0.21, 5.0, -0.21])
def test_policy_output_outside_the_age_bound_is_not_acted_on(clock, age_s):
    control = driving_autonomous(clock)
    outcome = control.on_policy(LEFT_SLOW, clock.ago(age_s), "model-a")
    assert outcome.dropped and outcome.command is None
    assert "max_policy_age_s 0.2" in outcome.reason


def test_policy_output_just_inside_the_age_bound_is_acted_on(clock):
    assert driving_autonomous(clock).on_policy(LEFT_SLOW, clock.ago(0.19), "model-a").command is not None


def test_output_of_another_model_or_shape_is_dropped(clock):
    control = driving_autonomous(clock)
    other = control.on_policy(LEFT_SLOW, clock(), "model-b")
    assert other.dropped and "'model-b'" in other.reason
    misshapen = control.on_policy([0.5, 0.5], clock(), "model-a")
    assert misshapen.dropped and "2 outputs" in misshapen.reason


def test_losing_the_model_while_driving_stops(clock):
    control = driving_autonomous(clock)
    control.on_policy(LEFT_SLOW, clock(), "model-a")
    outcome = control.set_model(None, "model-a", "inference model state is 'error': bad graph")
    assert outcome.command.throttle == 0.0
    state = control.state()
    assert not state.started and not state.model_ready and "bad graph" in state.neutral_reason


def test_a_new_model_while_driving_stops(clock):
    control = driving_autonomous(clock)
    outcome = control.set_model(SPACE, "model-b")
    assert outcome.command.throttle == 0.0 and not control.state().started
    assert control.state().model_name == "model-b"


def test_republished_same_model_changes_nothing(clock):
    control = driving_autonomous(clock)
    outcome = control.set_model(ActionSpace("discrete", steering_angle=SPACE.steering_angle,
                                                speed=SPACE.speed), "model-a")
    assert outcome.command is None and control.state().started


# --- the latched emergency stop --------------------------------------------------------------------

def test_emergency_stop_latches_until_an_explicit_reset(clock):
    control = driving_manual(clock)
    control.on_manual(0.3, 0.9, clock())
    outcome = control.trigger_emergency_stop()
    assert outcome.command.throttle == 0.0 and outcome.command.angle == pytest.approx(0.3)
    assert control.state().emergency_stop and not control.state().started

    assert not control.start().accepted
    control.stop()
    control.set_mode(AUTONOMOUS)
    control.set_mode(MANUAL)
    control.set_max_speed(1.0)
    refused = control.start()
    assert not refused.accepted and "reset" in refused.reason
    assert control.on_manual(0.3, 0.9, clock()).command is None
    assert control.state().emergency_stop

    assert control.reset_emergency_stop().accepted
    state = control.state()
    assert not state.emergency_stop and not state.started  # a reset does not drive by itself
    assert control.start().accepted
    assert control.on_manual(0.3, 0.9, clock()).command.throttle == pytest.approx(0.9)


def test_reset_without_emergency_stop_is_harmless(clock):
    control = driving_manual(clock)
    outcome = control.reset_emergency_stop()
    assert outcome.accepted and outcome.command is None and control.state().started


# --- freshness timeouts (the watchdog) -------------------------------------------------------------

def test_manual_timeout_gives_neutral_with_steering_held(clock):
    control = driving_manual(clock)
    control.on_manual(0.6, 0.8, clock())
    clock.advance(0.5)
    assert control.tick().command.source == REPEAT  # fresh: the held command, not neutral
    clock.advance(0.001)
    outcome = control.tick()
    assert outcome.command.throttle == 0.0 and outcome.command.angle == pytest.approx(0.6)
    assert outcome.command.source == NEUTRAL and outcome.command.stamp_ns == clock()
    assert "manual_timeout_s 0.5" in outcome.reason
    assert control.state().neutral_reason == outcome.reason
    assert control.state().started  # still started: fresh commands drive again
    clock.advance(1.0)
    assert control.tick().command is None  # neutral once, not on every tick
    assert control.on_manual(0.0, 0.5, clock()).command.throttle == pytest.approx(0.25)


def test_autonomous_timeout_gives_neutral(clock):
    control = driving_autonomous(clock)
    control.on_policy(LEFT_SLOW, clock(), "model-a")
    clock.advance(0.25)
    assert control.tick().command.source == REPEAT
    clock.advance(0.001)
    outcome = control.tick()
    assert outcome.command.throttle == 0.0 and "autonomous_timeout_s 0.25" in outcome.reason


def test_a_run_with_no_policy_output_since_start_stops_after_policy_stall_stop_s_and_says_why(clock):
    """Issue 23: a started run whose camera delivered nothing showed "waiting for the first policy output" for 11 s
    and would have driven off when frames came back. Until the limit only the start waits; then the run ends."""
    control = driving_autonomous(clock)
    clock.advance(CONFIG.policy_stall_stop_s)
    assert control.tick().command is None and control.state().started
    clock.advance(0.001)
    outcome = control.tick()
    assert outcome.command is not None and outcome.command.throttle == 0.0
    state = control.state()
    assert not state.started
    assert "since Start" in state.neutral_reason and "check the camera picture" in state.neutral_reason
    clock.advance(0.01)
    assert not control.on_policy(LEFT_SLOW, clock(), "model-a").accepted  # a late picture does not drive


def test_a_short_gap_in_policy_outputs_is_neutral_and_a_long_one_ends_the_run(clock):
    control = driving_autonomous(clock)
    control.on_policy(LEFT_SLOW, clock(), "model-a")
    clock.advance(0.3)
    assert control.tick().command.throttle == 0.0  # autonomous_timeout_s: neutral, still started
    clock.advance(0.1)
    assert control.on_policy(LEFT_SLOW, clock(), "model-a").command.throttle > 0  # back: drives on
    clock.advance(CONFIG.policy_stall_stop_s + 0.01)
    control.tick()
    assert not control.state().started and "stopped giving steering" in control.state().neutral_reason


def test_the_stall_rule_is_for_autonomous_runs_only(clock):
    control = driving_manual(clock)
    clock.advance(CONFIG.policy_stall_stop_s * 2)
    control.tick()
    assert control.state().started


def test_policy_stall_stop_must_exceed_the_autonomous_timeout():
    with pytest.raises(ValueError, match=r"policy_stall_stop_s 0\.2 must exceed autonomous_timeout_s 0\.25"):
        NavigationConfig(policy_stall_stop_s=0.2)


def test_stale_policy_outputs_do_not_keep_the_car_going(clock):
    control = driving_autonomous(clock)
    control.on_policy(LEFT_SLOW, clock(), "model-a")
    for _ in range(5):  # the pipeline keeps delivering, but every frame is old
        clock.advance(0.06)
        assert control.on_policy(LEFT_SLOW, clock.ago(1.0), "model-a").dropped
        control.tick()
    assert control.state().neutral_reason.startswith("no fresh policy output")


def test_last_command_age_is_reported(clock):
    control = driving_manual(clock)
    control.on_manual(0.0, 0.1, clock())
    clock.advance(0.3)
    assert control.state().last_command_age_s == pytest.approx(0.3)


def test_shutdown_publishes_neutral_and_stops(clock):
    control = driving_manual(clock)
    control.on_manual(0.2, 0.9, clock())
    outcome = control.shutdown()
    assert outcome.command.throttle == 0.0 and outcome.command.angle == pytest.approx(0.2)
    assert not control.state().started


# --- optional rate limits --------------------------------------------------------------------------

def test_without_rate_limits_commands_apply_at_once(clock):
    control = driving_manual(clock, NavigationConfig(initial_max_speed=1.0))
    control.on_manual(-1.0, 0.0, clock())
    clock.advance(0.01)
    command = control.on_manual(1.0, 1.0, clock()).command
    assert (command.angle, command.throttle) == (1.0, 1.0)


def test_rate_limits_bound_throttle_rise_and_steering_but_never_slowing_down(clock):
    config = NavigationConfig(initial_max_speed=1.0, max_throttle_rate_per_s=2.0, max_steering_rate_per_s=4.0)
    control = driving_manual(clock, config)
    clock.advance(0.1)
    first = control.on_manual(1.0, 1.0, clock()).command
    assert first.angle == pytest.approx(0.4) and first.throttle == pytest.approx(0.2)
    clock.advance(0.1)
    second = control.on_manual(1.0, 1.0, clock()).command
    assert second.angle == pytest.approx(0.8) and second.throttle == pytest.approx(0.4)
    clock.advance(0.01)
    slower = control.on_manual(1.0, 0.1, clock()).command
    assert slower.throttle == pytest.approx(0.1)  # falling towards neutral is immediate
    clock.advance(0.01)
    reverse = control.on_manual(1.0, -1.0, clock()).command
    assert reverse.throttle == pytest.approx(-0.02)  # through neutral at once, then rising again


def test_rate_limited_first_step_after_a_pause_is_bounded_by_the_timeout(clock):
    config = NavigationConfig(initial_max_speed=1.0, max_throttle_rate_per_s=1.0)
    control = driving_manual(clock, config)
    clock.advance(60.0)
    assert control.on_manual(0.0, 1.0, clock()).command.throttle == pytest.approx(0.5)  # 1/s * 0.5 s


# --- stale manual commands and the command chain to the servo (issue 19, finding 2) ----------------

def test_manual_command_older_than_its_bound_is_not_acted_on(clock):
    """A navigation node woken from SIGSTOP finds commands 1.5-4 s old: none may drive."""
    control = driving_manual(clock)
    outcome = control.on_manual(0.0, 1.0, clock.ago(1.55))
    assert outcome.dropped and outcome.command is None and "max_manual_age_s 0.2" in outcome.reason
    assert control.on_manual(0.0, 1.0, clock.ago(0.19)).command is not None


def test_held_command_is_repeated_so_a_slow_source_cannot_make_the_throttle_pulse(clock):
    """Commands every 0.3 s (within manual_timeout_s 0.5): the servo, which times out after 0.25 s, must hear
    from navigation at least every command_repeat_s, with the same throttle."""
    control = driving_manual(clock)
    sent = [control.on_manual(0.1, 0.8, clock()).command]
    for _ in range(3):
        for _ in range(6):  # watchdog ticks every 0.05 s between two commands 0.3 s apart
            clock.advance(0.05)
            command = control.tick().command
            if command is not None:
                sent.append(command)
        sent.append(control.on_manual(0.1, 0.8, clock()).command)
    assert all(c.throttle == pytest.approx(0.4) for c in sent)  # never a neutral between
    assert {c.source for c in sent} == {MANUAL, REPEAT}
    # never more than command_repeat_s (0.1 s) + one tick between two commands to the servo
    assert len(sent) >= 3 * 0.3 / 0.15


def test_no_repeat_after_neutral_or_when_not_driving(clock):
    control = driving_manual(clock)
    assert control.tick().command is None  # started, but nothing to hold yet
    control.on_manual(0.0, 0.5, clock())
    control.stop()
    clock.advance(0.2)
    assert control.tick().command is None


# --- nodes on the driving path (issue 19, finding 1: stay stopped after a crash) ---------------------

def test_restart_of_a_driving_path_node_stops_the_run_until_started_again(clock):
    control = driving_autonomous(clock)
    control.on_heartbeat("camera_node", "boot-1", "")
    control.on_policy(LEFT_SLOW, clock(), "model-a")
    outcome = control.on_heartbeat("camera_node", "boot-2", "")
    assert outcome.command.throttle == 0.0 and "camera_node restarted" in outcome.reason
    state = control.state()
    assert not state.started and "camera_node restarted" in state.neutral_reason
    clock.advance(0.01)
    assert control.on_policy(LEFT_SLOW, clock(), "model-a").command is None  # fresh outputs do not drive
    assert control.start().accepted
    assert control.on_policy(LEFT_SLOW, clock(), "model-a").command.throttle > 0


def test_fault_reported_by_the_servo_stops_the_run_in_every_mode(clock):
    for make_driving in (driving_manual, driving_autonomous):
        control = make_driving(clock)
        control.on_heartbeat("servo_node", "boot-1", "")
        outcome = control.on_heartbeat("servo_node", "boot-1", "servo node was unresponsive (...)")
        assert outcome.command is not None and not control.state().started
        assert "servo node was unresponsive" in control.state().neutral_reason


def test_node_off_the_mode_path_does_not_stop_the_run(clock):
    control = driving_manual(clock)
    control.on_heartbeat("camera_node", "boot-1", "")
    assert control.on_heartbeat("camera_node", "boot-2", "").command is None
    assert control.state().started


def test_silent_driving_path_node_stops_the_run_and_refuses_a_start(clock):
    control = driving_manual(clock)
    control.on_heartbeat("servo_node", "boot-1", "")
    clock.advance(0.9)
    assert control.tick().command is None or control.state().started
    clock.advance(0.2)
    outcome = control.tick()
    assert not control.state().started and "servo_node silent for 1.1 s" in outcome.reason
    refused = control.start()
    assert not refused.accepted and "servo_node silent" in refused.reason
    control.on_heartbeat("servo_node", "boot-1", "")
    assert control.start().accepted


def test_a_silent_driving_path_node_stops_the_run_on_the_next_input_without_a_watchdog_tick(clock):
    """The node's watchdog wakes only when inputs stop (issue 23: each wake-up costs the car CPU): while the policy
    keeps giving steering, each output checks the driving path's nodes itself, so a servo node gone silent still
    stops the run, at the first output past its timeout, in autonomous and manual mode alike."""
    for make_driving, act in ((driving_autonomous, lambda c: c.on_policy(LEFT_SLOW, clock(), "model-a")),
                              (driving_manual, lambda c: c.on_manual(0.0, 0.5, clock()))):
        control = make_driving(clock)
        control.on_heartbeat("servo_node", "boot-1", "")
        for _ in range(30):  # 0.99 s of inputs at 30 a second: within peer_timeout_s, they drive
            clock.advance(0.033)
            assert act(control).command.throttle > 0
        clock.advance(0.1)
        outcome = act(control)
        assert outcome.command is not None and outcome.command.throttle == 0.0
        assert not control.state().started and "servo_node silent for 1.1 s" in outcome.reason


def test_a_node_that_beat_at_the_idle_rate_before_the_start_gets_a_whole_timeout_after_it(clock):
    """Before a Start the nodes beat every 0.5 s and switch to fast beats when they hear it: a servo that beat 0.9 s
    before the Start passed it and was "silent for 1.1 s" 0.2 s later, before its fast beat came (the closed-loop
    test on a loaded machine). Its silence counts from the Start; a node that stays silent still stops the run."""
    control = make(clock)
    control.on_heartbeat("servo_node", "boot-1", "")
    clock.advance(0.9)
    assert control.start().accepted
    clock.advance(0.2)
    assert control.tick().command is None or control.state().started
    assert control.state().started
    clock.advance(0.85)
    outcome = control.tick()
    assert not control.state().started and "servo_node silent for" in outcome.reason


def test_heartbeats_while_stopped_change_nothing(clock):
    control = make(clock)
    control.on_heartbeat("servo_node", "boot-1", "")
    assert control.on_heartbeat("servo_node", "boot-2", "servo node started: waiting").command is None
    control.on_heartbeat("servo_node", "boot-2", "")
    assert control.start().accepted


def test_a_different_model_resets_max_speed_to_zero_and_says_so(clock):
    """Issue 14, finding 10: the previous racer's maximum speed carried over to the next racer's model."""
    control = make(clock)
    control.set_model(SPACE, "model-a")
    assert control.state().max_speed == 0.5  # the first model after start keeps initial_max_speed
    control.set_max_speed(0.8)
    control.set_model(None, "model-b", "inference model state is 'loading'")
    assert control.state().max_speed == pytest.approx(0.8)  # nothing new is loaded yet
    outcome = control.set_model(SPACE, "model-b")
    assert control.state().max_speed == 0.0 and "max speed reset to 0 %" in outcome.reason
    control.set_max_speed(0.3)
    control.set_model(None, "model-b", "inference model state is 'loading'")
    assert "max speed" not in control.set_model(SPACE, "model-b").reason  # the same model again keeps it
    assert control.state().max_speed == pytest.approx(0.3)


def test_after_a_fresh_input_the_watchdog_has_nothing_to_decide_until_a_repeat_or_the_timeout_is_due(clock):
    """quiet_after_input_s, the car's watchdog's sleep after each input: checks any sooner decide nothing."""
    slow_repeat = NavigationConfig(manual_timeout_s=0.5, autonomous_timeout_s=0.25, max_policy_age_s=0.2,
                                   watchdog_period_s=0.05, command_repeat_s=0.4, policy_stall_stop_s=2.0)
    for config, mode, quiet in ((CONFIG, MANUAL, CONFIG.command_repeat_s), (slow_repeat, MANUAL, 0.4),
                                (slow_repeat, AUTONOMOUS, 0.25)):
        control = driving_autonomous(clock, config) if mode == AUTONOMOUS else driving_manual(clock, config)
        if mode == AUTONOMOUS:
            assert control.on_policy(LEFT_SLOW, clock.ns, "model-a").command is not None
        else:
            assert control.on_manual(0.5, 0.5, clock.ns).command is not None
        assert control.quiet_after_input_s() == pytest.approx(quiet)
        clock.advance(quiet - 0.01)
        assert control.tick().command is None  # nothing due before
        clock.advance(0.011)
        assert control.tick().command is not None  # the repeat, or the timeout's neutral
        clock.advance(1.0)


def test_a_node_of_navigations_own_process_is_never_silent_but_its_faults_count(clock):
    """Its beats come from its process's one timer, which runs whenever navigation does: a Start right after a model
    load that held the whole process up for over a second was refused for "camera_node silent" (DREM loads, then
    starts, at once). A node beating over DDS is still silent after peer_timeout_s."""
    control = driving_autonomous(clock)
    control.on_heartbeat("camera_node", "boot-1", "", in_process=True)
    control.on_heartbeat("camera_node", "boot-1", "")  # the same beat over DDS, for readers elsewhere
    clock.advance(1.5)
    assert control.on_policy(LEFT_SLOW, clock(), "model-a").command.throttle > 0
    assert control.tick().command is None and control.state().started
    control.stop()
    assert control.start().accepted
    outcome = control.on_heartbeat("camera_node", "boot-1", "the camera is gone")
    assert not control.state().started and "the camera is gone" in outcome.reason
