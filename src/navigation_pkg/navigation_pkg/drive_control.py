"""Who may drive the car, and when the throttle must go to neutral: the navigation state machine.

Rules (each answered with an Outcome: accepted or not, the reason, and the command to publish if any):
* modes manual / autonomous / calibration; only the active mode's source reaches the output, and only
  while started. Calibration never drives (the servo node takes raw duty cycles then).
* switching mode stops first and centres the steering (steering 0, throttle 0, as the original ctrl_pkg wrote on
  every mode change); stop, emergency stop and shutdown publish neutral at once.
* the emergency stop is latched: nothing starts again until an explicit reset.
* autonomous needs a loaded model; losing or changing the model while driving stops.
* freshness: a policy output whose frame is older than max_policy_age_s is not acted on; when the active
  source has sent nothing accepted for its timeout, `tick()` returns neutral. Only accepted inputs count
  as fresh, so stale or invalid outputs cannot keep a car going. When fresh commands come back while
  still started, the car drives again (the racer never pressed stop).
* a manual command stamped longer ago than max_manual_age_s is not acted on (a node that was hung and wakes up
  to a queue of old commands must not drive on them).
* while driving, the held command is sent again whenever nothing was sent for command_repeat_s, so the servo's
  command_timeout_s watches navigation's liveness only, and a source slower than it but within its own timeout
  cannot make the throttle pulse: one chain (docs/architecture.md, "Timeouts").
* peers: while started, a node on the mode's driving path that restarts, goes silent or reports a fault stops
  the run (peer_watch.py); the reason stays shown until the racer starts again.
* a started autonomous run that gets no policy output it can act on for policy_stall_stop_s (from Start, or from
  the last one) stops, with the reason: a camera or model that delivers nothing is not a short gap.
* external (an outside application, e.g. an AWS sample app, through the original topics): the same rules as
  manual (range) with its own external_timeout_s; the original message has no stamp, so a command is dated by its
  arrival; the throttle is taken as sent, not scaled by the max-speed setting (the application owns its speed, as
  on the original car).
* manual: angle and throttle in [-1, 1], proportional (the original quantised the pad to {0, 0.3, 0.5,
  0.8}, which made slow, fine driving on a touch screen impossible), throttle times the max speed.
* neutral = throttle 0 with the steering held where it was, so a coasting car does not swerve (a mode change
  centres it: the next mode starts from straight wheels).

Two clocks are passed in: `monotonic_ns` times the timeouts and dates the run's Start, and `stamp_ns` ages the
source stamps and stamps neutral commands. The node passes the stack's one clock for both
(deepracer_common_pkg.stack_clock: the car's boot clock, immune to wall-clock steps and the same in every process
on the car; or simulated time). Tests pass fake clocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from deepracer_common_pkg.action_space import ActionSpace
from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, EXTERNAL, MANUAL
from deepracer_common_pkg.vocabulary import DRIVE_MODES as MODES
from navigation_pkg.config import NavigationConfig
from navigation_pkg.peer_watch import PeerWatch
from navigation_pkg.speed_mapping import speed_to_throttle

NEUTRAL = "neutral"
REPEAT = "repeat"  # the held command again (command_repeat_s), not a new decision

_NS = 1_000_000_000
_SOURCE_WORDS = {MANUAL: "manual command", AUTONOMOUS: "policy output", EXTERNAL: "external command"}


@dataclass(frozen=True)
class Command:
    """What goes to the servo: normalised angle and throttle, the source stamp, and who produced it."""

    angle: float
    throttle: float
    stamp_ns: int
    source: str  # MANUAL | AUTONOMOUS | EXTERNAL | NEUTRAL | REPEAT


@dataclass(frozen=True)
class Outcome:
    """The answer of every rule. `dropped` marks an input from the driving source that was not acted on
    (stale or invalid), which the node counts as a telemetry drop."""

    accepted: bool
    reason: str
    command: Command | None = None
    dropped: bool = False


@dataclass(frozen=True)
class DriveState:
    mode: str
    started: bool
    emergency_stop: bool
    max_speed: float
    model_name: str
    model_ready: bool
    # Of the active source's last accepted command; -1 when there is none. Not part of what makes two states the
    # same: it moves with every frame, and navigation publishes its state when the rest changes.
    last_command_age_s: float = field(compare=False)
    neutral_reason: str  # why the car is not driving; "" while it is
    run_started_ns: int  # stamp clock time of the Start that began this run; 0 while stopped


class DriveControl:
    """The navigation state machine; the node feeds it inputs and publishes the commands it returns."""

    def __init__(self, config: NavigationConfig, *, monotonic_ns: Callable[[], int],
                 stamp_ns: Callable[[], int]) -> None:
        self._config = config
        self._monotonic_ns = monotonic_ns
        self._stamp_ns = stamp_ns
        self._mode = MANUAL
        self._started = False
        self._run_started_ns = 0
        self._emergency_stop = False
        self._max_speed = config.initial_max_speed
        self._space: ActionSpace | None = None
        self._model_name = ""
        self._last_ready_model = ""  # the last model that became ready, kept while the next one loads
        self._model_problem = "no model loaded"
        self._driving = False
        self._angle = 0.0
        self._throttle = 0.0
        self._last_input_ns: int | None = None
        self._last_output_ns = monotonic_ns()
        self._neutral_reason = "stopped"
        self._peers = PeerWatch(config.peer_timeout_s)

    def configure(self, config: NavigationConfig) -> None:
        """Take new parameters; the max-speed setting stays (initial_max_speed only applies at start)."""
        self._config = config
        self._peers.peer_timeout_s = config.peer_timeout_s

    # --- commands from the console -------------------------------------------------------------------

    def set_mode(self, mode: str) -> Outcome:
        if mode not in MODES:
            return Outcome(False, f"drive mode {mode!r} is unknown; expected one of {MODES}")
        if mode == self._mode:
            return Outcome(True, f"already in {mode} mode")
        self._started = False
        self._angle = 0.0
        command = self._neutral(f"mode changed to {mode}")
        self._mode = mode
        self._last_input_ns = None
        return Outcome(True, f"{mode} mode (stopped)", command)

    def start(self) -> Outcome:
        if self._emergency_stop:
            return Outcome(False, "the emergency stop is latched: reset it before starting")
        if self._mode == CALIBRATION:
            return Outcome(False, "calibration mode does not drive: switch to manual or autonomous first")
        if self._mode == AUTONOMOUS and self._space is None:
            return Outcome(False, f"autonomous driving needs a loaded model: {self._model_problem}")
        if self._started:
            return Outcome(True, "already started")
        problem = self._peers.problem(self._mode, self._monotonic_ns())
        if problem:
            return Outcome(False, f"cannot start: {problem}")
        self._started = True
        self._run_started_ns = self._monotonic_ns()
        self._neutral_reason = f"started: waiting for the first {_SOURCE_WORDS[self._mode]}"
        if self._max_speed == 0:
            return Outcome(True, "started, but max speed is 0 %: the car will not move until it is raised")
        return Outcome(True, "started")

    def stop(self) -> Outcome:
        self._started = False
        return Outcome(True, "stopped", self._neutral("stopped"))

    def trigger_emergency_stop(self) -> Outcome:
        self._emergency_stop = True
        self._started = False
        return Outcome(True, "emergency stop latched", self._neutral("emergency stop"))

    def reset_emergency_stop(self) -> Outcome:
        if not self._emergency_stop:
            return Outcome(True, "emergency stop was not latched")
        self._emergency_stop = False
        self._neutral_reason = "stopped"
        return Outcome(True, "emergency stop reset: start again to drive")

    def set_max_speed(self, max_speed: float) -> Outcome:
        if not (math.isfinite(max_speed) and 0.0 <= max_speed <= 1.0):
            return Outcome(False, f"max speed must be in [0, 1] (the console's percentage / 100), "
                                  f"got {max_speed}")
        self._max_speed = float(max_speed)
        return Outcome(True, f"max speed {max_speed * 100:.0f} %")

    def shutdown(self) -> Outcome:
        self._started = False
        return Outcome(True, "shutdown", self._neutral("node shutting down"))

    # --- what the inference node says ----------------------------------------------------------------

    def set_model(self, space: ActionSpace | None, model_name: str, problem: str = "") -> Outcome:
        """A model became ready (`space` given) or none is (`problem` says why). A change while
        driving autonomously stops: a new model is not driven without the racer starting it.

        A different model than the last ready one resets max speed to 0: at an event the next racer's model
        must not inherit the previous racer's speed, so each racer raises it from 0 (the first model after
        start keeps initial_max_speed; the same model loaded again keeps the setting)."""
        self._model_problem = problem or "no model loaded"
        if (space, model_name) == (self._space, self._model_name):
            return Outcome(True, "model unchanged")
        self._space, self._model_name = space, model_name
        reset = ""
        if space is not None:
            if self._last_ready_model not in ("", model_name):
                self._max_speed = 0.0
                reset = "; max speed reset to 0 % for the new model: raise it to drive"
            self._last_ready_model = model_name
        if self._mode == AUTONOMOUS and self._started:
            self._started = False
            what = f"model changed to {model_name!r}" if space is not None else self._model_problem
            return Outcome(True, what + reset, self._neutral(what))
        return Outcome(True, ("model ready" + reset) if space is not None else self._model_problem)

    # --- the drive sources ---------------------------------------------------------------------------

    def on_policy(self, outputs: Sequence[float], stamp_ns: int, model_name: str = "") -> Outcome:
        """One policy evaluation; `stamp_ns` is the capture stamp of its frame."""
        if self._mode != AUTONOMOUS:
            return Outcome(False, f"policy output ignored in {self._mode} mode")
        if not self._started or self._space is None:
            return Outcome(False, "policy output ignored: not started")
        if model_name and model_name != self._model_name:
            return Outcome(False, f"policy output from model {model_name!r} ignored: {self._model_name!r} "
                                  "is loaded", dropped=True)
        halted = self._path_halt(self._monotonic_ns())
        if halted is not None:
            return halted
        age_s = (self._stamp_ns() - stamp_ns) / _NS
        if abs(age_s) > self._config.max_policy_age_s:
            return Outcome(False, f"policy output is {age_s:.3f} s old (max_policy_age_s "
                                  f"{self._config.max_policy_age_s}): not acted on", dropped=True)
        try:
            action = self._space.action(outputs)
        except ValueError as error:
            return Outcome(False, str(error), dropped=True)
        throttle = speed_to_throttle(action.speed_mps, self._space.top_speed, self._max_speed,
                                     self._config.speed_mapping)
        return Outcome(True, "driving autonomously", self._drive(action.angle, throttle, stamp_ns, AUTONOMOUS))

    def on_manual(self, angle: float, throttle: float, stamp_ns: int) -> Outcome:
        """One drive-pad command; `stamp_ns` is its send time."""
        return self._on_command(MANUAL, angle, throttle, stamp_ns, self._max_speed)

    def on_external(self, angle: float, throttle: float) -> Outcome:
        """One outside application's command, as it arrives: the original message has no stamp, so it is dated by
        its arrival. Not scaled by the max speed."""
        return self._on_command(EXTERNAL, angle, throttle, self._stamp_ns(), 1.0)

    def _on_command(self, mode: str, angle: float, throttle: float, stamp_ns: int, scale: float) -> Outcome:
        what = _SOURCE_WORDS[mode]
        if self._mode != mode:
            return Outcome(False, f"{what} ignored in {self._mode} mode")
        if not self._started:
            return Outcome(False, f"{what} ignored: not started")
        halted = self._path_halt(self._monotonic_ns())
        if halted is not None:
            return halted
        age_s = (self._stamp_ns() - stamp_ns) / _NS
        if abs(age_s) > self._config.max_manual_age_s:
            return Outcome(False, f"{what} is {age_s:.3f} s old (max_manual_age_s "
                                  f"{self._config.max_manual_age_s}): not acted on", dropped=True)
        for name, value in (("angle", angle), ("throttle", throttle)):
            if not (math.isfinite(value) and -1.0 <= value <= 1.0):
                return Outcome(False, f"{what}: {name} {value} is outside [-1, 1]: not acted on", dropped=True)
        return Outcome(True, f"driving ({mode})", self._drive(angle, throttle * scale, stamp_ns, mode))

    def on_heartbeat(self, node: str, boot_id: str, fault: str, in_process: bool = False) -> Outcome:
        """A node's heartbeat (`in_process`: from a node of navigation's own process, peer_watch.py): a restart or a
        fault of a node on the driving path stops a started run."""
        event = self._peers.heartbeat(node, boot_id, fault, self._monotonic_ns(), in_process)
        if event is None or not self._started or not PeerWatch.on_path(self._mode, event[0]):
            return Outcome(False, "heartbeat noted")
        return self._halt(f"{event[1]} while the car was started: start again to drive")

    def tick(self) -> Outcome:
        """The watchdog: stop when a node on the driving path went silent; neutral once the driving source has
        been quiet for longer than its timeout; otherwise, while driving, repeat the held command when due."""
        now = self._monotonic_ns()
        if self._started:
            halted = self._path_halt(now)
            if halted is not None:
                return halted
            stall = self._policy_stall(now)
            if stall:
                return self._halt(stall)
        if not self._driving or self._last_input_ns is None:
            return Outcome(False, "not driving")
        name, timeout = self._timeout(self._mode)
        source = _SOURCE_WORDS[self._mode]
        quiet_s = (now - self._last_input_ns) / _NS
        if quiet_s > timeout:
            reason = f"no fresh {source} for {quiet_s:.2f} s ({name} {timeout})"
            return Outcome(True, reason, self._neutral(reason))
        if (now - self._last_output_ns) / _NS >= self._config.command_repeat_s:
            self._last_output_ns = now
            return Outcome(True, "held command repeated", Command(self._angle, self._throttle, 0, REPEAT))
        return Outcome(False, "source is fresh")

    def quiet_after_input_s(self) -> float:
        """After a fresh input, how long `tick` has nothing to decide: until the held command's repeat is due or the
        source's timeout can run out, whichever is first (a silent node on the path is found by the inputs
        themselves, `_path_halt`, and a policy stall takes longer than the timeout). Checks every watchdog_period_s
        from then on: the source's neutral comes within its timeout and a period, as with checks all along."""
        return min(self._config.command_repeat_s, self._timeout(self._mode)[1])

    def _path_halt(self, now: int) -> Outcome | None:
        """A started run stops when a node on its driving path went silent or reports a fault: checked by the watchdog
        and by every input the run acts on, since the node's watchdog wakes only when inputs stop (each wake-up costs
        the car CPU), and a silent servo node must stop the run while the camera keeps the policy going."""
        problem = self._peers.problem(self._mode, now, since_ns=self._run_started_ns)
        return self._halt(f"{problem}: start again to drive") if problem else None

    def _policy_stall(self, now: int) -> str | None:
        if self._mode != AUTONOMOUS:
            return None
        limit = self._config.policy_stall_stop_s
        acted = self._last_input_ns is not None and self._last_input_ns >= self._run_started_ns
        quiet_s = (now - (self._last_input_ns if acted else self._run_started_ns)) / _NS
        if quiet_s <= limit:
            return None
        what = "the model gave no steering since Start" if not acted else "the model stopped giving steering"
        return (f"{what} for {quiet_s:.1f} s (policy_stall_stop_s {limit}): no camera picture reached it, or it "
                "could not use them; check the camera picture and the model, then start again")

    def state(self) -> DriveState:
        age = -1.0 if self._last_input_ns is None else (self._monotonic_ns() - self._last_input_ns) / _NS
        return DriveState(mode=self._mode, started=self._started, emergency_stop=self._emergency_stop,
                          max_speed=self._max_speed, model_name=self._model_name,
                          model_ready=self._space is not None, last_command_age_s=age,
                          neutral_reason="" if self._driving else self._neutral_reason,
                          run_started_ns=self._run_started_ns if self._started else 0)

    # --- output --------------------------------------------------------------------------------------

    def _drive(self, angle: float, throttle: float, stamp_ns: int, source: str) -> Command:
        # An input is no older than its own stamp: this node's reading of the clock can lag the stamp (in lockstep
        # the frame path runs on the capture thread while /clock is heard on a starved executor), and a quiet counted
        # from that lagging reading put the throttle to neutral mid-run (a lap 16 ms slower under load).
        now = max(self._monotonic_ns(), stamp_ns)
        # After a pause the first step is bounded as if the source had sent at its slowest allowed rate.
        dt_s = min((now - self._last_output_ns) / _NS, self._timeout(source)[1])
        self._angle = _limit_steering(self._angle, angle, self._config.max_steering_rate_per_s, dt_s)
        self._throttle = _limit_throttle(self._throttle, throttle, self._config.max_throttle_rate_per_s, dt_s)
        self._last_input_ns = self._last_output_ns = now
        self._driving = True
        return Command(self._angle, self._throttle, stamp_ns, source)

    def _timeout(self, source: str) -> tuple[str, float]:
        if source == MANUAL:
            return "manual_timeout_s", self._config.manual_timeout_s
        if source == EXTERNAL:
            return "external_timeout_s", self._config.external_timeout_s
        return "autonomous_timeout_s", self._config.autonomous_timeout_s

    def _halt(self, reason: str) -> Outcome:
        """Stop the run (not latched like the emergency stop: Start drives again) and say why."""
        self._started = False
        return Outcome(True, reason, self._neutral(reason))

    def _neutral(self, reason: str) -> Command:
        self._throttle = 0.0
        self._driving = False
        self._neutral_reason = reason
        self._last_output_ns = self._monotonic_ns()
        return Command(self._angle, 0.0, self._stamp_ns(), NEUTRAL)


def _limit_steering(current: float, target: float, rate_per_s: float, dt_s: float) -> float:
    """Move at most `rate_per_s * dt_s` towards the target; a rate of 0 means no limit."""
    if rate_per_s == 0:
        return target
    step = rate_per_s * dt_s
    return current + max(-step, min(step, target - current))


def _limit_throttle(current: float, target: float, rate_per_s: float, dt_s: float) -> float:
    """Rise at most `rate_per_s * dt_s` away from neutral; falling towards neutral (or crossing it) is
    immediate, so a limit can never delay slowing down. A rate of 0 means no limit."""
    base = current if current * target > 0 else 0.0
    if rate_per_s == 0 or abs(target) <= abs(base):
        return target
    step = rate_per_s * dt_s
    return base + max(-step, min(step, target - base))
