"""The servo node's decisions without ROS: commands, calibration mode, watchdog, calibration and tail-light
changes, start and stop; on the simulated output, with a hand-driven clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servo_pkg.backends.factory import make_backend
from servo_pkg.backends.maestro import MaestroBackend
from servo_pkg.backends.simulated import SimulatedBackend
from servo_pkg.backends.sysfs import SysfsBackend
from servo_pkg.config import ServoConfig, parse_channel_map
from servo_pkg.led_color import LedColor
from servo_pkg.pwm_math import Calibration, ChannelCalibration
from servo_pkg.servo_core import CALIBRATION_HOLD_S, CONSOLE_QUIET_S, ServoCore, Written

TIMEOUT = 0.25


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rig(tmp_path: Path):
    clock = Clock()
    backend = SimulatedBackend(Calibration().neutral())
    core = ServoCore(backend, calibration=Calibration(), led=LedColor(red=1, green=2, blue=3),
                     calibration_path=tmp_path / "calibration.json", led_path=tmp_path / "led_values.json",
                     command_timeout_s=TIMEOUT, clock=clock)
    core.start()
    core.follow_navigation("manual")
    backend.writes.clear()
    return core, backend, clock, tmp_path


def test_start_writes_neutral_then_the_tail_light(tmp_path: Path) -> None:
    backend = SimulatedBackend(Calibration().neutral())
    core = ServoCore(backend, calibration=Calibration(), led=LedColor(red=1, green=0, blue=255),
                     calibration_path=tmp_path / "c.json", led_path=tmp_path / "l.json", command_timeout_s=TIMEOUT)
    assert core.start() == Written(1_450_000, 1_446_000, True, "activate")
    assert backend.writes == [{"steering": 1_450_000, "throttle": 1_446_000},
                              {"tail_red": 39_215, "tail_green": 0, "tail_blue": 9_999_825}]
    assert backend.powered


def test_failed_start_leaves_no_half_configured_output(tmp_path: Path) -> None:
    backend = SysfsBackend(Calibration().neutral(), pwm_root=tmp_path / "none", gpio_root=tmp_path, enable_gpio=436)
    core = ServoCore(backend, calibration=Calibration(), led=LedColor(0, 0, 0), calibration_path=tmp_path / "c",
                     led_path=tmp_path / "l", command_timeout_s=TIMEOUT)
    with pytest.raises(Exception, match="export"):
        core.start()
    assert not backend.active


def test_command_writes_calibrated_duty_cycles(rig) -> None:
    core, backend, _, _ = rig
    assert core.command(0.5, 0.5) == Written(1_575_000, 1_378_500, True, "command")
    assert backend.values["throttle"] == 1_378_500


def test_out_of_range_command_is_refused_before_anything_is_written(rig) -> None:
    core, backend, _, _ = rig
    with pytest.raises(ValueError, match=r"got 1\.5"):
        core.command(0.0, 1.5)
    assert backend.writes == []


def test_raw_pwm_only_in_calibration_mode_and_drive_commands_only_outside(rig) -> None:
    core, backend, _, _ = rig
    assert core.raw("steering", 1_600_000) is None
    assert backend.writes == []
    assert core.follow_navigation("calibration") == Written(1_450_000, 1_446_000, True, "mode")
    assert core.raw("steering", 1_600_000) == Written(1_600_000, 1_446_000, True, "calibration")
    assert core.raw("throttle", 1_500_000) == Written(1_600_000, 1_500_000, True, "calibration")
    assert core.command(0.0, 1.0) is None
    assert backend.values["throttle"] == 1_500_000
    with pytest.raises(ValueError, match="got 20000001"):
        core.raw("throttle", 20_000_001)
    with pytest.raises(ValueError, match="got 'angle'"):
        core.raw("angle", 1_500_000)
    # Leaving calibration mode: both channels neutral.
    assert core.follow_navigation("manual") == Written(1_450_000, 1_446_000, True, "mode")
    assert core.follow_navigation("manual") is None


def test_watchdog_sets_throttle_neutral_once_after_the_timeout(rig) -> None:
    core, _, clock, _ = rig
    core.command(-0.5, 1.0)
    clock.now += TIMEOUT * 0.9
    assert core.check_watchdog() is None
    core.command(-0.5, 1.0)  # a fresh command re-arms it
    clock.now += TIMEOUT * 0.9
    assert core.check_watchdog() is None
    clock.now += TIMEOUT * 0.1
    assert core.check_watchdog() == Written(1_325_000, 1_446_000, True, "watchdog")  # steering kept
    clock.now += 10
    assert core.check_watchdog() is None


def test_the_watchdog_counts_from_the_commands_stamp_when_the_clock_reading_lags_it(rig) -> None:
    """In lockstep the servo node heard /clock late on a busy machine: a command stamped 0.2 s ahead of its reading
    was taken as 0.2 s old, and the watchdog wrote neutral mid-run. A stamp far in the future counts as one timeout."""
    core, _, clock, _ = rig
    core.command(-0.5, 1.0, sent_s=clock.now + 0.2)
    clock.now += TIMEOUT * 0.9 + 0.2
    assert core.check_watchdog() is None
    clock.now += TIMEOUT * 0.2
    assert core.check_watchdog() is not None
    core.command(-0.5, 1.0, sent_s=clock.now + 100.0)
    clock.now += TIMEOUT * 2.05
    assert core.check_watchdog() is not None


# --- a calibration wheel move is held (issue 25, item 3: the watchdog cut the wizard's single value in 0.05-0.3 s) ---

def test_a_wheel_move_is_held_for_the_calibration_hold_then_the_throttle_goes_neutral(rig) -> None:
    core, backend, clock, _ = rig
    core.follow_navigation("calibration")
    core.raw("throttle", 1_300_000)  # sent once, as the original console and its UI send it
    for _ in range(int(CALIBRATION_HOLD_S / 0.05) - 1):  # the node's watchdog checks, every 0.05 s
        clock.now += 0.05
        core.console_heard("console-1")  # the console's heartbeat (every 0.1 s on the car)
        assert core.check_watchdog() is None
    assert backend.values["throttle"] == 1_300_000 and CALIBRATION_HOLD_S >= 5.0
    clock.now += 0.05
    assert core.check_watchdog() == Written(1_450_000, 1_446_000, True, "hold over")
    clock.now += 10
    assert core.check_watchdog() is None


def _heard_for(core: ServoCore, clock: Clock, seconds: float) -> None:
    for _ in range(round(seconds / 0.1)):
        clock.now += 0.1
        core.console_heard("console-1")
        assert core.check_watchdog() is None


def test_a_new_value_starts_the_hold_again_and_a_mode_change_ends_it_at_once(rig) -> None:
    core, backend, clock, _ = rig
    core.follow_navigation("calibration")
    core.raw("throttle", 1_300_000)
    _heard_for(core, clock, CALIBRATION_HOLD_S - 1)
    core.raw("throttle", 1_320_000)  # the next slider step
    _heard_for(core, clock, CALIBRATION_HOLD_S - 1)
    assert core.check_watchdog() is None and backend.values["throttle"] == 1_320_000
    assert core.follow_navigation("manual") == Written(1_450_000, 1_446_000, True, "mode")  # leaving calibration
    clock.now += 2
    assert core.check_watchdog() is None


def test_a_held_wheel_move_ends_when_the_console_goes_quiet_or_restarts(rig) -> None:
    core, backend, clock, _ = rig
    core.follow_navigation("calibration")
    core.console_heard("console-1")
    core.raw("throttle", 1_300_000)
    for _ in range(30):  # three seconds of beats every 0.1 s: held
        clock.now += 0.1
        assert core.console_heard("console-1") is None and core.check_watchdog() is None
    clock.now += CONSOLE_QUIET_S  # the console's beats stop (killed, hung)
    assert core.check_watchdog() is None
    clock.now += 0.05
    assert core.check_watchdog() == Written(1_450_000, 1_446_000, True, "console gone")

    core.raw("throttle", 1_300_000)
    clock.now += 0.1
    assert core.console_heard("console-2") == Written(1_450_000, 1_446_000, True, "console gone")  # restarted
    assert backend.values["throttle"] == 1_446_000


def test_a_console_never_heard_in_calibration_mode_counts_as_gone_after_the_quiet_time(rig) -> None:
    """The console asked for calibration mode, so it counts as heard then: killed before this node heard its
    first beat (a new subscription), its held move still ends."""
    core, _, clock, _ = rig
    core.follow_navigation("calibration")
    core.raw("throttle", 1_300_000)
    clock.now += CONSOLE_QUIET_S
    assert core.check_watchdog() is None
    clock.now += 0.05
    assert core.check_watchdog() == Written(1_450_000, 1_446_000, True, "console gone")
    core.console_heard("console-1")  # its first beat after that is no restart of a known console
    core.raw("throttle", 1_300_000)
    _heard_for(core, clock, 2.0)


def test_drive_commands_keep_the_short_watchdog_after_calibration(rig) -> None:
    core, _, clock, _ = rig
    core.follow_navigation("calibration")
    core.raw("throttle", 1_300_000)
    core.follow_navigation("manual")
    core.command(0.0, 1.0)
    clock.now += TIMEOUT
    assert core.check_watchdog() == Written(1_450_000, 1_446_000, True, "watchdog")


def test_watchdog_is_idle_before_any_command(rig) -> None:
    core, _, clock, _ = rig
    clock.now += 100
    assert core.check_watchdog() is None
    assert not core.needs_watch


def test_only_a_throttle_off_neutral_or_calibration_needs_the_watchdog(rig) -> None:
    """Issue 23: an idle car's servo node (and its guard) need not wake up: nothing it could time out would change
    the wheels. A steering-only command leaves the throttle neutral too."""
    core, _, clock, tmp_path = rig
    core.command(0.5, 0.0)
    assert not core.needs_watch
    core.command(0.5, 0.3)
    assert core.needs_watch
    clock.now += TIMEOUT
    assert core.check_watchdog().reason == "watchdog"
    assert not core.needs_watch  # the watchdog put the throttle back: nothing left to watch
    core.follow_navigation("calibration")
    assert core.needs_watch  # a wheel move is held, and the console watched, in calibration mode
    maestro = ServoCore(make_backend(ServoConfig(backend="maestro", serial_port=str(tmp_path / "tty")),
                                     Calibration().neutral()),
                        calibration=Calibration(), led=LedColor(0, 0, 0), calibration_path=tmp_path / "c",
                        led_path=tmp_path / "l", command_timeout_s=TIMEOUT)
    assert maestro.needs_watch  # its own serial timeout must keep hearing from this node


def test_set_calibration_saves_then_applies_at_once(rig) -> None:
    core, backend, clock, folder = rig
    core.command(0.0, 0.5)
    clock.now += TIMEOUT
    core.check_watchdog()
    throttle = ChannelCalibration(min_ns=1_300_000, mid_ns=1_480_000, max_ns=1_600_000, polarity=-1)
    assert core.set_calibration("throttle", throttle) == Written(1_450_000, 1_480_000, True, "calibration")
    saved = json.loads((folder / "calibration.json").read_text())
    assert saved["Calibration"]["Motor"] == {"max": 1_600_000, "mid": 1_480_000, "min": 1_300_000, "polarity": -1}
    assert backend.neutral["throttle"] == 1_480_000
    assert core.command(0.0, 1.0).throttle_ns == 1_300_000


def test_set_calibration_in_calibration_mode_keeps_the_wizards_raw_values(rig) -> None:
    core, backend, _, _ = rig
    core.follow_navigation("calibration")
    core.raw("steering", 1_620_000)
    steering = ChannelCalibration(min_ns=1_250_000, mid_ns=1_440_000, max_ns=1_620_000, polarity=1)
    assert core.set_calibration("steering", steering) is None
    assert backend.values["steering"] == 1_620_000
    assert core.calibration.steering == steering


def test_unsaveable_calibration_stays_unapplied(rig) -> None:
    core, _, _, folder = rig
    (folder / "calibration.json").mkdir()  # a folder where the file should be: the save fails
    before = core.calibration
    with pytest.raises(OSError):
        core.set_calibration("steering", ChannelCalibration(1_000_000, 1_500_000, 2_000_000, 1))
    assert core.calibration == before


def test_set_led_saves_and_lights(rig) -> None:
    core, backend, _, folder = rig
    assert core.set_led(LedColor(red=255, green=0, blue=0))
    assert backend.values["tail_red"] == 9_999_825 and backend.values["tail_blue"] == 0
    assert json.loads((folder / "led_values.json").read_text())["Led Values"]["red_pwm"] == 9_999_825


def test_stop_leaves_neutral_and_outputs_off(rig) -> None:
    core, backend, _, _ = rig
    core.command(1.0, -1.0)
    assert core.stop() == Written(1_450_000, 1_446_000, False, "shutdown")
    assert backend.values == {"steering": 1_450_000, "throttle": 1_446_000, "tail_red": 0, "tail_green": 0,
                              "tail_blue": 0}
    assert not backend.powered and not backend.active
    with pytest.raises(RuntimeError):
        backend.write({"throttle": 1_446_000})


def test_config_defaults_are_safe_and_bad_values_name_the_field() -> None:
    config = ServoConfig()
    assert config.backend == "simulated" and config.command_timeout_s == 0.25
    with pytest.raises(ValueError, match=r"backend must be one of .* got 'pca'"):
        ServoConfig(backend="pca")
    with pytest.raises(ValueError, match=r"command_timeout_s .* got 0\.0"):
        ServoConfig(command_timeout_s=0.0)
    with pytest.raises(ValueError, match="serial_baud must be a positive integer, got -1"):
        ServoConfig(serial_baud=-1)


@pytest.mark.parametrize(("text", "message"), [
    ("steering=0,led=2", "'led=2'"), ("steering=0,throttle=0", "twice"), ("", "maps no channel"),
    ("throttle=24", "channel 0..23"), ("steering:0", "'steering:0'"),
])
def test_serial_channel_map_is_validated(text: str, message: str) -> None:
    assert parse_channel_map(" steering = 5 , throttle=0") == {"steering": 5, "throttle": 0}
    with pytest.raises(ValueError, match=message):
        ServoConfig(serial_channels=text)


def test_backend_parameter_picks_the_output(tmp_path: Path) -> None:
    neutral = Calibration().neutral()
    assert isinstance(make_backend(ServoConfig(), neutral), SimulatedBackend)
    assert isinstance(make_backend(ServoConfig(backend="sysfs", sysfs_pwm_root=str(tmp_path)), neutral),
                      SysfsBackend)
    maestro = make_backend(ServoConfig(backend="maestro", serial_port=str(tmp_path / "tty")), neutral)
    assert isinstance(maestro, MaestroBackend) and not maestro.connected


# --- armed only by navigation (issue 19, finding 1: a restarted or woken servo never resumes a run) ---------

def _fresh_core(tmp_path: Path) -> tuple[ServoCore, SimulatedBackend]:
    backend = SimulatedBackend(Calibration().neutral())
    core = ServoCore(backend, calibration=Calibration(), led=LedColor(0, 0, 0), calibration_path=tmp_path / "c",
                     led_path=tmp_path / "l", command_timeout_s=TIMEOUT)
    core.start()
    return core, backend


def test_no_drive_command_is_honoured_before_navigation_has_spoken(tmp_path: Path) -> None:
    core, backend = _fresh_core(tmp_path)
    assert core.command(0.0, 1.0) is None and "waiting for the navigation" in core.fault
    assert core.reported_fault == ""  # not a fault that stops a run navigation may already have started
    assert backend.values["throttle"] == 1_446_000


def test_restarted_while_navigation_drives_holds_neutral_until_navigation_stops(tmp_path: Path) -> None:
    core, _backend = _fresh_core(tmp_path)
    # the latched state a restarted node finds: a run started before this node came up
    core.follow_navigation("manual", started=True, run_started_ns=core.booted_ns - 1)
    assert core.command(0.0, 1.0) is None and "restarted while the car was driving" in core.fault
    core.follow_navigation("manual", started=True)
    assert core.command(0.0, 1.0) is None
    core.follow_navigation("manual", started=False)
    assert core.fault == ""
    assert core.command(0.0, 1.0).throttle_ns == 1_311_000


def test_a_run_started_after_this_node_came_up_is_driven_whenever_its_state_arrives(tmp_path: Path) -> None:
    # The fault matrix's CI failure: navigation accepted Start before it had heard this node, and this node's first
    # navigation state (discovery is slower one way than the other) already said "started". That run began after
    # this node came up, so it is this node's run, not one it restarted into.
    core, _backend = _fresh_core(tmp_path)
    core.follow_navigation("manual", started=True, run_started_ns=core.booted_ns + 1)
    assert core.fault == ""
    assert core.command(0.0, 1.0).throttle_ns == 1_311_000


def _core_on(tmp_path: Path, now: list[float]) -> ServoCore:
    core = ServoCore(SimulatedBackend(Calibration().neutral()), calibration=Calibration(), led=LedColor(0, 0, 0),
                     calibration_path=tmp_path / "c", led_path=tmp_path / "l", command_timeout_s=TIMEOUT,
                     clock=lambda: now[0])
    core.start()
    return core


def test_a_command_that_came_before_navigations_first_state_is_given_back_when_that_state_says_drive(tmp_path):
    """deepracer-eval on CI (lockstep, busy neighbours): the run's first command reached this node before
    navigation's state did (two topics, discovered apart), was refused, and the simulator waited 5 s for its write.
    Only the newest is kept, and only for this refusal; given back once, if still within a command timeout."""
    now = [100.0]
    core = _core_on(tmp_path, now)
    assert core.command(0.0, 1.0, 100.0) is None
    assert core.hold_until_navigation("first", 100.0) and core.hold_until_navigation("newest", 100.05)
    now[0] = 100.05 + TIMEOUT / 2
    core.follow_navigation("autonomous", started=True, run_started_ns=core.booted_ns + 1)
    assert core.command_held_for_navigation() == "newest"
    assert core.command_held_for_navigation() is None, "given back once"
    assert not core.hold_until_navigation("later", now[0]), "held only while waiting for navigation's first state"


@pytest.mark.parametrize("case", ["stale", "not started", "a run this node restarted into", "guard not watching"])
def test_a_held_command_is_dropped_unless_it_may_drive_now(tmp_path, case):
    now = [100.0]
    core = _core_on(tmp_path, now)
    assert core.hold_until_navigation("held", 100.0)
    now[0] = 100.0 + (TIMEOUT + 0.01 if case == "stale" else 0.05)
    core.guard_watching = case != "guard not watching"
    core.follow_navigation("autonomous", started=case != "not started",
                           run_started_ns=core.booted_ns + (-1 if case == "a run this node restarted into" else 1))
    assert core.command_held_for_navigation() is None


def test_a_run_without_a_start_time_counts_as_one_started_before_this_node(tmp_path: Path) -> None:
    core, _backend = _fresh_core(tmp_path)
    core.follow_navigation("manual", started=True, run_started_ns=0)
    assert "restarted while the car was driving" in core.reported_fault


def test_guard_fired_writes_neutral_and_holds_it_until_navigation_stops(rig) -> None:
    core, backend, _, _ = rig
    core.command(0.3, 1.0)
    written = core.guard_fired("no heartbeat from the servo node for 0.30 s")
    assert (written.throttle_ns, written.reason) == (1_446_000, "guard")
    assert written.steering_ns == backend.values["steering"]  # steering held
    assert "unresponsive" in core.fault and core.command(0.3, 1.0) is None
    core.follow_navigation("manual", started=False)
    assert core.command(0.3, 1.0).throttle_ns == 1_311_000


def test_a_node_that_did_not_run_for_longer_than_its_guard_waits_holds_neutral_without_the_guards_word(rig):
    """Fault matrix on CI: a servo node starved for 1.35 s (its guard starved too, so the guard's word came late)
    woke to a driving command over a second old, DDS having handed it the sample it held, and wrote it. How long
    it went without beating to the guard tells it; it then does what the guard's word would make it do."""
    core, backend, _, _ = rig
    core.command(0.3, 1.0)
    assert core.woke(core.command_timeout_s) is None  # within what the guard waits: nothing happened
    written = core.woke(1.35)
    assert (written.throttle_ns, written.reason) == (1_446_000, "guard")
    assert "did not run for 1.35 s" in core.fault and core.command(0.3, 1.0) is None
    assert core.woke(1.40) is None  # once is enough: the stall is already told
    assert backend.values["throttle"] == 1_446_000
    core.follow_navigation("manual", started=False)
    assert core.command(0.3, 1.0).throttle_ns == 1_311_000


def test_nothing_that_moves_the_car_is_written_while_no_guard_watches(tmp_path: Path) -> None:
    core, backend = _fresh_core(tmp_path)
    core.follow_navigation("manual", started=False)
    core.guard_watching = False  # the guard died and a new one is starting
    assert core.command(0.0, 1.0) is None and "actuation guard" in core.refusal
    core.follow_navigation("calibration")
    assert core.raw("throttle", 1_600_000) is None
    assert backend.values["throttle"] == 1_446_000
    core.guard_watching = True
    assert core.raw("throttle", 1_600_000).throttle_ns == 1_600_000
