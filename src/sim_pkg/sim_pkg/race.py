"""Track rules: progress along the centre line, laps and lap times, off-track.

Progress is unwrapped arc length: each step adds the (short way round) change of the car's arc position,
so driving backwards takes progress away. A lap is counted when progress first reaches the next whole
multiple of the track length, i.e. when the car crosses the start line in the driving direction having
covered the whole lap; crossing it backwards and forwards again counts nothing. Lap times run from one
such crossing to the next, the pause after leaving the track included (as a race clock does), but not the time the
car stands stopped by its driver: the wait before Start, a Stop and the next Start (`observe(..., under_way=False)`).
Lap times then compare with the simulator's and with each other whatever happened between the runs.

Off-track rule: the car is off the track when its centre is more than half the track width plus half the
car's wheel track (0.08 m) from the centre line: then even its inner wheels are past the border line, all four
wheels are off. A car cutting a bend with two wheels over the tape, as fast racing lines do, is still on the
track; the DeepRacer reward parameter `all_wheels_on_track` would already be false there, and counting that as
leaving the track would fail good models. The centre-line distance is used rather than the border polylines
because the borders of the real tracks are parallel to the centre within a few millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim_pkg.tracks import Location, Track
from sim_pkg.vehicle import WHEEL_TRACK_M

OFF_TRACK_MARGIN_M = WHEEL_TRACK_M / 2


@dataclass(frozen=True)
class RaceState:
    laps: int
    lap_times_s: tuple[float, ...]
    off_track: int
    lap_off_track: tuple[int, ...]  # of each completed lap (each one a reset of the car)
    progress: float  # percent of the current lap
    on_track: bool


class Race:
    def __init__(self, track: Track, now_s: float, *, margin_m: float = OFF_TRACK_MARGIN_M) -> None:
        self.track = track
        self.limit_m = track.width / 2 + margin_m
        self.restart(now_s, 0.0)

    def restart(self, now_s: float, s: float) -> None:
        """A fresh race with the car at arc position `s`."""
        self._unwrapped = 0.0
        self._last_s = s % self.track.length
        self._last_on_track = 0.0
        self._lap_start = now_s
        self._seen_at = now_s
        self._stopped_s = 0.0  # of the current lap: time the car stood stopped, taken off its lap time
        self.laps = 0
        self.lap_times: list[float] = []
        self.off_track = 0
        self._off_track_at_lap_start = 0
        self.lap_off_track: list[int] = []
        self.on_track = True

    def observe(self, now_s: float, where: Location, *, under_way: bool = True) -> bool:
        """Account for the car's new location; True when this step took it off the track. `under_way`: whether
        the time since the last observation counts on the lap clock (False while the car stands stopped)."""
        if not under_way:
            self._stopped_s += max(0.0, now_s - self._seen_at)
        self._seen_at = now_s
        length = self.track.length
        change = (where.s - self._last_s + length / 2) % length - length / 2
        self._unwrapped += change
        self._last_s = where.s
        if self._unwrapped >= (self.laps + 1) * length:
            self.laps += 1
            self.lap_times.append(now_s - self._lap_start - self._stopped_s)
            self.lap_off_track.append(self.off_track - self._off_track_at_lap_start)
            self._off_track_at_lap_start = self.off_track
            self._lap_start = now_s
            self._stopped_s = 0.0
        was_on = self.on_track
        self.on_track = abs(where.lateral) <= self.limit_m
        if self.on_track:
            self._last_on_track = self._unwrapped
        elif was_on:
            self.off_track += 1
            return True
        return False

    def back_on_track(self) -> float:
        """Progress goes back to the last on-track point; returns its arc position, to put the car there."""
        self._unwrapped = self._last_on_track
        self._last_s = self._unwrapped % self.track.length
        self.on_track = True
        return self._last_s

    def state(self) -> RaceState:
        lap = (self._unwrapped - self.laps * self.track.length) / self.track.length
        return RaceState(self.laps, tuple(self.lap_times), self.off_track, tuple(self.lap_off_track),
                         100.0 * min(1.0, max(0.0, lap)), self.on_track)
