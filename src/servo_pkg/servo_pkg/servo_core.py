"""Everything the servo node decides, without ROS: which duty cycles to write for which input, when the
watchdog stops the motor, and how calibration and tail-light changes are saved and applied.

Rules it keeps:
- Drive commands (normalised [-1, 1]) are honoured outside calibration mode; raw duty cycles only inside it
  (the calibration wizard owns the wheels then). A value out of range is refused before anything is written.
- Every mode change writes neutral on both channels: a mode switch never inherits a moving motor.
- Watchdog: when no drive command arrived for `command_timeout_s`, throttle goes to its calibrated neutral
  (steering stays where it is). It fires once per silence; the next command re-arms it.
- A calibration wheel move (one raw value, sent once by the wizard, as the original console sends it) is held for
  CALIBRATION_HOLD_S, not cut by that watchdog: the technician must see which way the wheels turn and match a
  speed. It ends sooner, throttle neutral at once, on the next value (Stop wheels sends the stopped value), on any
  mode change, and when the console goes away: its heartbeat stops for CONSOLE_QUIET_S or comes from a new
  process (`console_heard`, fed by the node while in calibration mode). Calibration mode without a console
  (a graph started without webserver_node) holds a move for CONSOLE_QUIET_S at most.
- A calibration change is validated, saved atomically, and only then applied, so the file and the car agree.
- Armed only by navigation: drive commands are honoured once navigation's state has said "not started" since this
  node came up, or since the actuation guard had to write neutral for it (the node was hung). A servo node
  restarted after a crash, or woken after a hang, never resumes a run on its own: `fault` says why it holds
  neutral, navigation stops on it (the node's heartbeat carries it), and the racer starts again.
Times come from `clock` (monotonic seconds) so tests can drive the watchdog without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.vocabulary import CALIBRATION as CALIBRATION_MODE
from servo_pkg.backends.base import TAIL_CHANNELS, PwmBackend
from servo_pkg.calibration_files import save_calibration, save_led_color
from servo_pkg.led_color import LedColor
from servo_pkg.pwm_math import (
    PWM_PERIOD_NS,
    STEERING,
    THROTTLE,
    Calibration,
    ChannelCalibration,
    check_channel,
    duty_ns,
)

WAITING_FOR_NAVIGATION = "servo node started: waiting for the navigation node's state"
RESTARTED_WHILE_DRIVING = "servo node restarted while the car was driving: start again to drive"
GUARD_NOT_WATCHING = "the actuation guard is starting again: nothing is driven until it watches"
UNRESPONSIVE = "servo node was unresponsive"
# How long one calibration wheel move keeps the wheels at its value. Chosen: 10 s. Long enough to see which way the
# raised wheels turn, to listen for the motor's whine either side of the stopped value and to read or compare a
# speed; every new value (a slider step, a ▶ tap) starts it again. Short enough that wheels left spinning by a
# technician who walked away, or whose phone lost the car's Wi-Fi (the page's own stop cannot arrive then), stop
# soon. The original console kept the value on the wheels until the next one, without a bound.
CALIBRATION_HOLD_S = 10.0
# The console node whose heartbeat (deepracer_common_pkg.heartbeat, every 0.1 s) keeps a held wheel move alive, and
# how long it may be silent: navigation's peer_timeout_s default, the same judgement of "gone" for the same beat.
CONSOLE_QUIET_S = 1.0
UNKNOWN_CONSOLE = ""  # the boot id of a console not heard yet


@dataclass(frozen=True)
class Written:
    """What went to the output. `enabled`: the outputs are on and the hardware took the values."""

    steering_ns: int
    throttle_ns: int
    enabled: bool
    reason: str


class ServoCore:
    def __init__(self, backend: PwmBackend, *, calibration: Calibration, led: LedColor, calibration_path: Path,
                 led_path: Path, command_timeout_s: float, clock: Callable[[], float] = time.monotonic,
                 booted_ns: int | None = None) -> None:
        self._backend = backend
        self.calibration = calibration
        self.led = led
        self._calibration_path = calibration_path
        self._led_path = led_path
        self.command_timeout_s = command_timeout_s
        self._clock = clock
        self.mode = ""
        neutral = calibration.neutral()
        self._steering_ns, self._throttle_ns = neutral[STEERING], neutral[THROTTLE]
        self._last_command = (0.0, 0.0)
        self._last_command_at: float | None = None
        self._holding_move = False  # the output holds a calibration wheel move, not a drive command
        self._console: tuple[str, float] | None = None  # the console's boot id and when it last beat
        self.fault = WAITING_FOR_NAVIGATION  # why drive commands are not honoured; "" when they are
        # The newest command refused only because navigation's first state had not come, and its stamp (s).
        self._held_for_navigation: tuple[object, float] | None = None
        self.guard_watching = True  # the node says so (guard_link.py): false while a new guard starts
        # When this node came up on the car's boot clock (car_clock), compared with navigation's run_started_ns.
        self.booted_ns = boot_ns() if booted_ns is None else booted_ns

    def start(self) -> Written:
        """Configure and activate the output (neutral), then light the tail light."""
        self._backend.set_neutral(self.calibration.neutral())
        try:
            self._backend.configure()
            written = self._backend.activate()
            self._backend.write(dict(zip(TAIL_CHANNELS, self.led.duty_ns(), strict=True)))
        except BaseException:
            self._backend.deactivate()
            raise
        return Written(self._steering_ns, self._throttle_ns, written, "activate")

    def stop(self) -> Written:
        """Throttle and steering neutral, tail light off, outputs off."""
        self._backend.deactivate()
        neutral = self.calibration.neutral()
        self._steering_ns, self._throttle_ns = neutral[STEERING], neutral[THROTTLE]
        self._last_command_at = None
        return Written(self._steering_ns, self._throttle_ns, False, "shutdown")

    @property
    def problem(self) -> str | None:
        """Why the output last refused a write, if it did."""
        return self._backend.problem

    def _output(self, steering_ns: int, throttle_ns: int, reason: str) -> Written:
        taken = self._backend.write({STEERING: steering_ns, THROTTLE: throttle_ns})
        self._steering_ns, self._throttle_ns = steering_ns, throttle_ns
        return Written(steering_ns, throttle_ns, taken and self._backend.active, reason)

    @property
    def refusal(self) -> str:
        """Why nothing that moves the car is written now; "" when it may be."""
        return self.fault or ("" if self.guard_watching else GUARD_NOT_WATCHING)

    @property
    def reported_fault(self) -> str:
        """What navigation must hear (the heartbeat): every refusal but waiting for navigation's own state.

        That one only navigation's state ends, and it must not stop a run: navigation may accept a Start before
        it hears this node, and this node then joins that run if it began after this node came up
        (follow_navigation). A node that came up into a run reports RESTARTED_WHILE_DRIVING instead."""
        return "" if self.refusal == WAITING_FOR_NAVIGATION else self.refusal

    def command(self, angle: float, throttle: float, sent_s: float = 0.0) -> Written | None:
        """Drive with normalised values; None (nothing written) in calibration mode or while refused. `sent_s`: the
        command's stamp; the watchdog counts from no earlier than it (a node's reading of the clock can lag the
        stamp: in lockstep the watchdog then wrote neutral mid-run at a moment the wall clock chose), and from no
        later than one timeout after now (a stamp from the future never keeps a throttle on longer than that)."""
        if self.mode == CALIBRATION_MODE or self.refusal:
            return None
        steering_ns = duty_ns(angle, self.calibration.steering)
        throttle_ns = duty_ns(throttle, self.calibration.throttle)
        self._last_command = (angle, throttle)
        # A command with the throttle at neutral leaves the watchdog nothing to cut.
        now = self._clock()
        heard = max(now, min(sent_s, now + self.command_timeout_s))
        self._last_command_at = heard if throttle_ns != self.calibration.throttle.mid_ns else None
        self._holding_move = False
        return self._output(steering_ns, throttle_ns, "command")

    def hold_until_navigation(self, command: object, sent_s: float) -> bool:
        """Keep a refused command (the newest) while the refusal is only that navigation's first state has not come:
        commands and state are two topics, discovered apart, and a run's first command can come before the state
        that started the run (lockstep then waited 5 s for its write). False, nothing kept, for any other refusal."""
        if self.refusal != WAITING_FOR_NAVIGATION:
            return False
        self._held_for_navigation = (command, sent_s)
        return True

    def command_held_for_navigation(self) -> object | None:
        """After navigation's state: the held command, once, if this node may drive now and it is within a
        command timeout of its stamp (after that, a newer one is due; a watchdog would have cut it anyway)."""
        held, self._held_for_navigation = self._held_for_navigation, None
        if held is None or self.refusal or self.mode == CALIBRATION_MODE:
            return None
        command, sent_s = held
        return command if self._clock() - sent_s <= self.command_timeout_s else None

    def raw(self, channel: str, ns: int) -> Written | None:
        """Set one channel's duty cycle directly (calibration wizard) and hold it for CALIBRATION_HOLD_S; None
        outside calibration mode."""
        check_channel(channel)
        if not 0 <= ns <= PWM_PERIOD_NS:
            raise ValueError(f"raw duty cycle must be 0..{PWM_PERIOD_NS} ns, got {ns}")
        if self.mode != CALIBRATION_MODE or not self.guard_watching:
            return None
        self._last_command_at = self._clock()
        self._holding_move = True
        steering_ns = ns if channel == STEERING else self._steering_ns
        throttle_ns = ns if channel == THROTTLE else self._throttle_ns
        return self._output(steering_ns, throttle_ns, CALIBRATION_MODE)

    def follow_navigation(self, mode: str, started: bool = False, run_started_ns: int = 0) -> Written | None:
        """Follow navigation's state: a mode change writes neutral on both channels; "not started" arms.

        The first state decides whether this node may drive the run in progress: only when that run was started
        after this node came up. Comparing times, not the order messages arrive in, matters because navigation
        may accept a Start before it hears this node and this node may hear navigation only after that Start.
        A run without a start time (0) counts as one started before."""
        if self.fault == WAITING_FOR_NAVIGATION:
            self.fault = RESTARTED_WHILE_DRIVING if started and run_started_ns < self.booted_ns else ""
            if not started:
                self._held_for_navigation = None  # a command for a run that is over
        elif self.fault and not started:
            self.fault = ""
        if mode == self.mode:
            return None
        self.mode = mode
        self._last_command = (0.0, 0.0)
        self._last_command_at = None
        self._holding_move = False
        # The console is taken as heard when calibration begins (it asked for it), so that one whose beats stop
        # before this node hears the first of them still counts as gone.
        self._console = (UNKNOWN_CONSOLE, self._clock()) if mode == CALIBRATION_MODE else None
        neutral = self.calibration.neutral()
        return self._output(neutral[STEERING], neutral[THROTTLE], "mode")

    def guard_fired(self, why: str) -> Written:
        """The actuation guard wrote neutral while this node was not running: hold it until navigation stops."""
        self.fault = f"{UNRESPONSIVE} ({why}): the actuation guard put the throttle to neutral"
        self._last_command_at = None
        self._holding_move = False
        self._last_command = (self._last_command[0], 0.0)
        return self._output(self._steering_ns, self.calibration.throttle.mid_ns, "guard")

    def woke(self, quiet_s: float) -> Written | None:
        """Asked before acting on anything: `quiet_s`, how long since this node last beat to its guard. Longer
        than the guard waits (`command_timeout_s`), this node was stopped or starved, and the guard has fired or is
        about to; it may be starved too, so its word can come after this node's next write. A command taken now
        may be as old as the stall (DDS hands over the sample it holds, not the newest one sent), so this node
        does what the guard's word would make it do, without waiting for it: neutral, held until navigation stops."""
        if quiet_s <= self.command_timeout_s or self.fault.startswith(UNRESPONSIVE):
            return None
        return self.guard_fired(f"it did not run for {quiet_s:.2f} s")

    @property
    def needs_watch(self) -> bool:
        """Whether anything can time out now: a command or a held wheel move on the output, calibration mode (whose
        console is watched), or an output that must hear from its host. Otherwise nothing the watchdog could do
        would change the wheels, and the node need not wake up for it (nor its guard: ServoNode rests it)."""
        return self._last_command_at is not None or self.mode == CALIBRATION_MODE or self._backend.needs_keepalive

    def check_watchdog(self) -> Written | None:
        """Call often (several times per timeout); returns the neutral write when the watchdog fires, a held wheel
        move's time is up, or the console that sent it has gone quiet."""
        if self._backend.active:
            self._backend.keepalive()
        if self._last_command_at is None:
            return None
        now = self._clock()
        if not self._holding_move:
            return self._throttle_neutral("watchdog") if now - self._last_command_at >= self.command_timeout_s \
                else None
        if now - self._last_command_at >= CALIBRATION_HOLD_S:
            return self._throttle_neutral("hold over")
        if self._console is not None and now - self._console[1] > CONSOLE_QUIET_S:
            return self._throttle_neutral("console gone")
        return None

    def console_heard(self, boot_id: str) -> Written | None:
        """A heartbeat of the console node (CONSOLE_NODE); a new boot id is a console that went away and came back
        knowing nothing of the wheels it left turning: a held wheel move ends at once."""
        previous, self._console = self._console, (boot_id, self._clock())
        if self._holding_move and previous is not None and previous[0] not in (UNKNOWN_CONSOLE, boot_id):
            return self._throttle_neutral("console gone")
        return None

    def _throttle_neutral(self, reason: str) -> Written:
        self._last_command_at = None
        self._holding_move = False
        self._last_command = (self._last_command[0], 0.0)
        return self._output(self._steering_ns, self.calibration.throttle.mid_ns, reason)

    def set_calibration(self, channel: str, calibration: ChannelCalibration) -> Written | None:
        """Save, then apply: outside calibration mode the last command is re-driven with the new values
        (so a new neutral takes effect at once); in calibration mode the wizard's raw values stay.
        OSError (file not saved) leaves the old calibration in force."""
        updated = self.calibration.with_channel(channel, calibration)
        save_calibration(self._calibration_path, updated)
        self.calibration = updated
        self._backend.set_neutral(updated.neutral())
        if self.mode == CALIBRATION_MODE:
            return None
        angle, throttle = self._last_command
        return self._output(duty_ns(angle, updated.steering), duty_ns(throttle, updated.throttle), "calibration")

    def set_led(self, color: LedColor) -> bool:
        """Save, then light; True when the output took the colour."""
        save_led_color(self._led_path, color)
        self.led = color
        return self._backend.write(dict(zip(TAIL_CHANNELS, color.duty_ns(), strict=True)))
