"""What deepracer-eval tells the racer: per-lap lines, the totals, the JSON object and the progress bar, from the
simulator's race state (SimState). No rclpy: fed plain numbers.

Off-track and resets are the same count here, as in the DeepRacer console's evaluation: every time the car
leaves the track it is put back (sim_pkg.simulation), and both names are given because racers know both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

BAR_WIDTH = 30


@dataclass(frozen=True)
class RaceSnapshot:
    """The race as the simulator last said it: completed laps (seconds, off-tracks each), the current lap's
    progress (percent), the total off-tracks, simulated time (s), frames the stack left unanswered."""

    lap_times_s: tuple[float, ...]
    lap_off_track: tuple[int, ...]
    off_track: int
    progress: float
    sim_time_s: float
    unanswered_frames: int = 0


@dataclass
class EvalResult:
    model: str
    track: str
    speed_pct: float
    action_rate_hz: float
    laps_wanted: int
    laps: list[float] = field(default_factory=list)  # lap times, seconds of simulated time, to the millisecond
    lap_off_track: list[int] = field(default_factory=list)
    off_track: int = 0
    resets: int = 0
    progress: float = 0.0  # of the lap under way when the evaluation ended (0 when every lap was completed)
    finished: bool = False
    stopped_because: str = ""  # why the evaluation ended before its laps ("" when it completed them)
    sim_s: float = 0.0  # simulated time from the Start to the end
    wall_s: float = 0.0  # this machine's time for the same
    unanswered_frames: int = 0  # lockstep frames the stack did not answer in time: the run is not reproducible

    def take(self, race: RaceSnapshot) -> None:
        """The race at the end (its sim_time_s counted from the Start)."""
        self.laps = [round(t, 3) for t in race.lap_times_s[:self.laps_wanted]]
        self.lap_off_track = list(race.lap_off_track[:self.laps_wanted])
        self.finished = len(self.laps) >= self.laps_wanted
        counted = sum(self.lap_off_track) if self.finished else race.off_track
        self.off_track = self.resets = counted
        self.progress = 0.0 if self.finished else round(race.progress, 1)
        self.sim_s = round(race.sim_time_s, 3)
        self.unanswered_frames = race.unanswered_frames

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def lap_line(number: int, time_s: float, off_track: int) -> str:
    resets = "no resets" if off_track == 0 else f"{off_track} off-track{'s' if off_track > 1 else ''} (reset)"
    return f"lap {number}: {time_s:8.3f} s   100 % progress   {resets}"


def summary_lines(result: EvalResult) -> list[str]:
    lines = [lap_line(i + 1, t, off) for i, (t, off) in enumerate(zip(result.laps, result.lap_off_track, strict=True))]
    if not result.finished:
        lines.append(f"lap {len(result.laps) + 1}: not finished, {result.progress:.0f} % progress "
                     f"({result.stopped_because})")
    total = sum(result.laps)
    laps_word = "lap" if len(result.laps) == 1 else "laps"
    lines.append(f"total: {len(result.laps)} {laps_word} in {total:.3f} s"
                 + (f" (best {min(result.laps):.3f} s)" if result.laps else "")
                 + f", {result.off_track} off-track / resets")
    lines.append(f"simulated {result.sim_s:.1f} s in {result.wall_s:.1f} s of wall time "
                 f"({result.sim_s / result.wall_s if result.wall_s > 0 else 0:.1f}x real time)")
    if result.unanswered_frames:
        lines.append(f"warning: the stack left {result.unanswered_frames} frame(s) unanswered within the "
                     "simulator's wait: this run is not reproducible (the machine was overloaded or a node hung)")
    return lines


def progress_bar(race: RaceSnapshot, laps_wanted: int, wall_s: float) -> str:
    """One line, redrawn in place: the share of all laps done, the lap under way, simulated and wall time."""
    done = min(1.0, (len(race.lap_times_s) + race.progress / 100) / laps_wanted)
    filled = round(done * BAR_WIDTH)
    lap = min(len(race.lap_times_s) + 1, laps_wanted)
    return (f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done * 100:3.0f} %  lap {lap}/{laps_wanted} "
            f"at {race.progress:3.0f} %  off-track {race.off_track}  simulated {race.sim_time_s:.1f} s, "
            f"wall {wall_s:.1f} s")
