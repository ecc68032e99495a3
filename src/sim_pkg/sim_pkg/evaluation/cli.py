"""deepracer-eval: drive a model round a simulated track through the car's own code, faster than real time, and say
how it lapped.

The model package (a console upload .tar.gz, or a folder) is installed by the car's own installer into a temporary
data folder (never the car's), and the car stack (its graph, its processes: camera, inference, navigation, servo
and its guard) drives the simulated car with the simulator in lockstep: time stands still while the stack thinks,
and each answer reaches the car the car's measured latency after its frame. The same model, track, speed,
calibration and action rate give the same lap times on every run, at any load.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from deepracer_common_pkg.launcher import isolated_environment
from inference_pkg.model_package import ModelPackageError, install
from servo_pkg.calibration_files import load_calibration
from sim_pkg.config import SimConfig
from sim_pkg.evaluation.report import EvalResult, RaceSnapshot, progress_bar, summary_lines
from sim_pkg.evaluation.session import EvalError, EvalSession
from sim_pkg.evaluation.stack import EvalSettings, EvalStack, prepare_data_dir
from sim_pkg.tracks import TRACKS

DEFAULT_ACTION_RATE_HZ = 15.0  # the camera node's default rate, and the rate DeepRacer models are trained at
LAP_TIME_LIMIT_S = 180.0  # simulated seconds per lap wanted: a model that cannot get round stops here
BAR_PERIOD_S = 0.2
USAGE_ERROR, NOT_FINISHED = 2, 1


def _percent(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text}: the maximum speed is a percentage from 1 to 100")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or not 1 <= value <= 60:
        raise argparse.ArgumentTypeError(f"{text}: the action rate is 1 to 60 decisions per second")
    return value


def _laps(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text}: choose 1 to 100 laps")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="deepracer-eval", description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the model package: the .tar.gz exported from the DeepRacer "
                                                 "console (as uploaded to the car), or its unpacked folder")
    parser.add_argument("--track", default=SimConfig.track, choices=TRACKS, help="default %(default)s")
    parser.add_argument("--laps", type=_laps, default=3, help="laps to drive (default %(default)s)")
    parser.add_argument("--speed", type=_percent, default=100.0, metavar="PCT",
                        help="the console's maximum speed, percent (default %(default)s)")
    parser.add_argument("--calibration", type=Path, help="the car's calibration.json to drive with (default: the "
                                                         "original car's defaults); the simulated car is stock")
    parser.add_argument("--action-rate", type=_rate, default=DEFAULT_ACTION_RATE_HZ, metavar="HZ",
                        help="decisions per second: the camera's frame rate in the simulation (default "
                             "%(default)g, as DeepRacer trains)")
    parser.add_argument("--time-limit", type=float, metavar="S", help="simulated seconds before an unfinished "
                        f"evaluation ends (default {LAP_TIME_LIMIT_S:g} per lap)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (laps, off_track, wall_s, ...)")
    parser.add_argument("--keep-log", type=Path, metavar="FILE", help="keep the car stack's output in FILE")
    return parser.parse_args(argv)


def _check_calibration(path: Path | None) -> str:
    if path is None:
        return ""
    if not path.is_file():
        return f"--calibration {path}: no such file"
    loaded = load_calibration(path)
    return f"--calibration {path}: {loaded.note}" if loaded.note else ""


class _Bar:
    """The progress bar on standard error, redrawn in place on a terminal; elsewhere a line per lap."""

    def __init__(self, laps: int) -> None:
        self._laps = laps
        self._tty = sys.stderr.isatty()
        self._drawn = 0.0
        self._laps_said = 0
        self.started_wall = time.monotonic()

    def show(self, race: RaceSnapshot) -> None:
        now = time.monotonic()
        if self._tty and now - self._drawn >= BAR_PERIOD_S:
            self._drawn = now
            print("\r" + progress_bar(race, self._laps, now - self.started_wall), end="", file=sys.stderr, flush=True)
        elif not self._tty and len(race.lap_times_s) > self._laps_said:
            self._laps_said = len(race.lap_times_s)
            print(f"lap {self._laps_said} done at {race.sim_time_s:.1f} s simulated, {now - self.started_wall:.1f} s "
                  "wall", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self._tty:
            print(file=sys.stderr, flush=True)


def _snapshot(state, since_s: float = 0.0) -> RaceSnapshot:
    """`since_s`: the simulated time the run started at (the simulator's clock starts from the boot clock's)."""
    return RaceSnapshot(tuple(state.lap_times_s), tuple(state.lap_off_track), state.off_track, state.progress,
                        state.sim_time_s - since_s, state.unanswered_frames)


def evaluate(args: argparse.Namespace, work: Path) -> tuple[EvalResult, int]:
    data = work / "car"
    prepare_data_dir(data, args.calibration)
    try:
        installed = install(args.model, data / "models", label=args.model.name)
    except ModelPackageError as error:  # the console's words for the same package
        raise EvalError(str(error)) from None
    result = EvalResult(model=installed.name, track=args.track, speed_pct=args.speed,
                        action_rate_hz=args.action_rate, laps_wanted=args.laps)
    env = isolated_environment(os.environ, str(work / "ros_log"))
    os.environ.update({key: env[key] for key in ("ROS_DOMAIN_ID", "ROS_AUTOMATIC_DISCOVERY_RANGE")})  # ours too
    stack = EvalStack(EvalSettings(args.track, args.action_rate, data), args.keep_log or work / "stack.log", env)
    session = None
    try:
        session = EvalSession(alive=lambda: stack.process.poll() is None)
        session.wait_for_stack()
        session.load_model(str(installed.path))
        session.prepare(args.speed)
        bar = _Bar(args.laps)
        started = session.start()
        bar.started_wall = time.monotonic()
        limit_s = started.sim_time_s + (args.time_limit or LAP_TIME_LIMIT_S * args.laps)

        def done(state) -> bool:
            return len(state.lap_times_s) >= args.laps or state.sim_time_s > limit_s
        try:
            final = session.follow(done, lambda state: bar.show(_snapshot(state, started.sim_time_s)))
        except EvalError as error:
            final, result.stopped_because = session.sim.message, str(error)
        result.wall_s = round(time.monotonic() - bar.started_wall, 3)
        bar.end()
        session.stop()
        result.take(_snapshot(final, started.sim_time_s))
        if not result.finished and not result.stopped_because:
            result.stopped_because = f"time limit: {result.sim_s:.0f} s of simulated time"
        return result, 0 if result.finished else NOT_FINISHED
    except EvalError as error:
        raise EvalError(f"{error}\nthe car stack's last lines:\n{stack.tail()}") from None
    finally:
        if session is not None:
            session.close()
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problem = "" if args.model.exists() else f"{args.model}: no such file or folder"
    problem = problem or _check_calibration(args.calibration)
    if problem:
        print(f"deepracer-eval: {problem}", file=sys.stderr)
        return USAGE_ERROR
    with tempfile.TemporaryDirectory(prefix="deepracer-eval-") as work:
        try:
            result, code = evaluate(args, Path(work))
        except EvalError as error:
            print(f"deepracer-eval: {error}", file=sys.stderr)
            return USAGE_ERROR
    if args.json:
        print(result.to_json())
    else:
        print(f"{result.model} on {result.track}, {result.speed_pct:g} % speed, {result.action_rate_hz:g} "
              "decisions per second")
        print("\n".join(summary_lines(result)))
    return code


if __name__ == "__main__":
    sys.exit(main())
