"""One simulated car on one track: duty cycles in, pose and race state out (no rclpy, no clock of its own).

The caller steps it with the time now and what the PWM wires carry. A wire that carries nothing (output
disabled, never written) leaves the servo where it is and the motor unpowered. When the car leaves the
track it stands still for `reset_pause_s`, then is put back on the centre line at the last point where it
was on the track, facing the driving direction, stopped: as the DeepRacer simulator resets a car.

A stalled caller (a starved process) is not made up for: a step longer than MAX_STEP_S is cut short, so the
simulated world pauses rather than the car jumping. `step_gaps` keeps the recent gaps between steps, so a
run that went wrong can say whether the simulator itself was starved.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sim_pkg.actuation import Actuators
from sim_pkg.pwm_files import PwmReading
from sim_pkg.race import Race, RaceState
from sim_pkg.tracks import Track
from sim_pkg.vehicle import VehicleParams, VehicleState, from_centre, step

# A step longer than this (the process was stalled) is cut short: the car does not jump.
MAX_STEP_S = 0.1
# How far back `StepGaps` looks.
STEP_GAP_WINDOW_S = 5.0
# Slower than this, with no throttle asked for, the car stands stopped: that time is not on the lap clock.
STANDING_M_S = 0.01


@dataclass(frozen=True)
class StepGapStats:
    """Gaps between the simulator's steps over the last window: how many, median, longest (s), and how many
    were longer than MAX_STEP_S (cut short: the simulated world lost that time)."""

    steps: int
    median_s: float
    longest_s: float
    cut_short: int

    def __str__(self) -> str:
        return (f"{self.steps} steps in the last {STEP_GAP_WINDOW_S:g} s, gaps median {self.median_s * 1000:.0f} ms, "
                f"longest {self.longest_s * 1000:.0f} ms, {self.cut_short} over {MAX_STEP_S * 1000:.0f} ms cut short")


class StepGaps:
    """The wall-clock gaps between steps within the last `window_s` seconds."""

    def __init__(self, window_s: float = STEP_GAP_WINDOW_S) -> None:
        self.window_s = window_s
        self._gaps: deque[tuple[float, float]] = deque()

    def record(self, now_s: float, gap_s: float) -> None:
        self._gaps.append((now_s, gap_s))
        while self._gaps and self._gaps[0][0] < now_s - self.window_s:
            self._gaps.popleft()

    def stats(self) -> StepGapStats:
        gaps = sorted(gap for _, gap in self._gaps)
        if not gaps:
            return StepGapStats(0, 0.0, 0.0, 0)
        return StepGapStats(len(gaps), gaps[len(gaps) // 2], gaps[-1], sum(gap > MAX_STEP_S for gap in gaps))


@dataclass(frozen=True)
class SimSnapshot:
    track: str
    race: RaceState
    x: float  # the car's centre
    y: float
    yaw: float
    speed_m_s: float


class Simulation:
    def __init__(self, track: Track, actuators: Actuators, now_s: float, *,
                 vehicle: VehicleParams | None = None, reset_pause_s: float = 1.0) -> None:
        self.track = track
        self.actuators = actuators
        self.vehicle = vehicle or VehicleParams()
        self.reset_pause_s = reset_pause_s
        self.race = Race(track, now_s)
        self._wheel_angle = 0.0
        self._resume_at: float | None = None
        self.step_gaps = StepGaps()
        self.reset(now_s)

    def _place(self, s: float) -> None:
        x, y, heading = self.track.point_at(s)
        self.state = from_centre(x, y, heading, self.vehicle)
        self._wheel_angle = 0.0

    def reset(self, now_s: float) -> None:
        """The console's Reset: the car back on the start line, laps and counts cleared."""
        self._place(0.0)
        self.race.restart(now_s, 0.0)
        self._resume_at = None
        self._last_step = now_s

    def step(self, now_s: float, wires: PwmReading, gap_s: float | None = None) -> None:
        """`gap_s`: the time since the last step, when the caller has it exactly (from integer nanoseconds): a
        difference of two float times of the boot clock's size (1e4 s) is off by ~1e-12 s in a way that depends on
        where the run falls, and in a closed loop that can flip a discrete action and a lap by a step."""
        gap = max(0.0, now_s - self._last_step) if gap_s is None else gap_s
        dt = min(gap, MAX_STEP_S)
        self._last_step = now_s
        self.step_gaps.record(now_s, gap)
        if self._resume_at is not None:
            if now_s < self._resume_at:
                return
            self._resume_at = None
            self._place(self.race.back_on_track())
        if wires.steering_ns is not None:
            self._wheel_angle = self.actuators.wheel_angle(wires.steering_ns)
        speed = self.actuators.target_speed(wires.throttle_ns) if wires.throttle_ns is not None else 0.0
        self.state = step(self.state, dt, self._wheel_angle, speed, self.vehicle)
        under_way = speed != 0.0 or abs(self.state.speed) > STANDING_M_S
        if self.race.observe(now_s, self.track.locate(*self.state.centre(self.vehicle)), under_way=under_way):
            self.state = VehicleState(self.state.x, self.state.y, self.state.yaw, steer=self.state.steer)
            self._resume_at = now_s + self.reset_pause_s

    def snapshot(self) -> SimSnapshot:
        x, y = self.state.centre(self.vehicle)
        return SimSnapshot(self.track.name, self.race.state(), x, y, self.state.yaw, self.state.speed)
