"""External mode: an outside application (an AWS sample app on the original auto_drive topic) drives only through
the navigation state machine, under the same rules as the console's pad and its own timeout to neutral."""

from __future__ import annotations

import pytest

from navigation_pkg.config import NavigationConfig
from navigation_pkg.drive_control import EXTERNAL, MANUAL, NEUTRAL, DriveControl

CONFIG = NavigationConfig(manual_timeout_s=0.5, external_timeout_s=0.3, watchdog_period_s=0.05,
                          initial_max_speed=0.5)


class Clock:
    def __init__(self) -> None:
        self.ns = 1_700_000_000 * 1_000_000_000

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += round(seconds * 1e9)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def external(clock: Clock) -> DriveControl:
    control = DriveControl(CONFIG, monotonic_ns=clock, stamp_ns=clock)
    assert control.set_mode(EXTERNAL).accepted
    assert control.start().accepted
    return control


def test_external_commands_drive_unscaled_by_the_max_speed(clock):
    control = external(clock)
    outcome = control.on_external(0.4, 0.6)
    assert outcome.accepted and outcome.command.source == EXTERNAL
    assert (outcome.command.angle, outcome.command.throttle) == pytest.approx((0.4, 0.6))  # max speed is 0.5


def test_only_the_active_mode_source_drives(clock):
    control = external(clock)
    assert not control.on_manual(0.0, 0.5, clock()).accepted
    control.set_mode(MANUAL)
    control.start()
    refused = control.on_external(0.0, 0.5)
    assert not refused.accepted and "manual mode" in refused.reason


def test_quiet_application_gets_neutral_after_external_timeout(clock):
    control = external(clock)
    control.on_external(0.2, 0.6)
    clock.advance(0.25)
    assert control.tick().command.source != NEUTRAL  # a repeat of the held command, still fresh
    clock.advance(0.1)
    outcome = control.tick()
    assert outcome.command.source == NEUTRAL and outcome.command.throttle == 0.0
    assert "external_timeout_s" in outcome.reason and "external command" in outcome.reason
    assert control.state().started  # fresh commands drive again, as with the pad


def test_commands_are_dated_by_their_arrival_the_original_message_has_no_stamp(clock):
    control = external(clock)
    outcome = control.on_external(0.0, 0.3)
    assert outcome.accepted and outcome.command.stamp_ns == clock()


def test_out_of_range_command_is_dropped(clock):
    control = external(clock)
    outcome = control.on_external(0.0, 1.5)
    assert outcome.dropped and "outside [-1, 1]" in outcome.reason


def test_servo_restart_stops_an_external_run(clock):
    control = external(clock)
    control.on_heartbeat("servo_node", "boot-1", "")
    control.on_external(0.0, 0.5)
    outcome = control.on_heartbeat("servo_node", "boot-2", "")
    assert outcome.command.source == NEUTRAL and not control.state().started
    assert control.on_heartbeat("camera_node", "boot-x", "").command is None  # not on this mode's path


def test_external_timeout_is_validated():
    with pytest.raises(ValueError, match="external_timeout_s"):
        NavigationConfig(external_timeout_s=0.0)
