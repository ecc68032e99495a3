"""One simulated car on one track: duty cycles in, pose and race state out (no rclpy, no clock of its own).

The caller steps it with the time now and what the PWM wires carry. A wire that carries nothing (output
disabled, never written) leaves the servo where it is and the motor unpowered. When the car leaves the
track it stands still for `reset_pause_s`, then is put back on the centre line at the last point where it
was on the track, facing the driving direction, stopped: as the DeepRacer simulator resets a car.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim_pkg.actuation import Actuators
from sim_pkg.pwm_files import PwmReading
from sim_pkg.race import Race, RaceState
from sim_pkg.tracks import Track
from sim_pkg.vehicle import VehicleParams, VehicleState, from_centre, step

# A step longer than this (the process was stalled) is cut short: the car does not jump.
MAX_STEP_S = 0.1


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

    def step(self, now_s: float, wires: PwmReading) -> None:
        dt = min(max(0.0, now_s - self._last_step), MAX_STEP_S)
        self._last_step = now_s
        if self._resume_at is not None:
            if now_s < self._resume_at:
                return
            self._resume_at = None
            self._place(self.race.back_on_track())
        if wires.steering_ns is not None:
            self._wheel_angle = self.actuators.wheel_angle(wires.steering_ns)
        speed = self.actuators.target_speed(wires.throttle_ns) if wires.throttle_ns is not None else 0.0
        self.state = step(self.state, dt, self._wheel_angle, speed, self.vehicle)
        if self.race.observe(now_s, self.track.locate(*self.state.centre(self.vehicle))):
            self.state = VehicleState(self.state.x, self.state.y, self.state.yaw, steer=self.state.steer)
            self._resume_at = now_s + self.reset_pause_s

    def snapshot(self) -> SimSnapshot:
        x, y = self.state.centre(self.vehicle)
        return SimSnapshot(self.track.name, self.race.state(), x, y, self.state.yaw, self.state.speed)
