"""The action rate a racer or technician chose, kept across restarts of the stack, and when it gives way.

DeepRacer trains at 15 decisions a second; a racer sets the car to match (the console, or `ros2 param set
/inference_node max_rate_hz`) and expects it to hold after a battery swap or a reboot, as calibration does. So
every change accepted at run time is written here (`keep`), with the launch configuration's value it replaced,
and put back in force when the node starts again (`at_start`) while the node is launched with that same value. A
launch with another value (`--set inference_node.max_rate_hz=10`, an edited graph) is a newer, deliberate choice:
it wins, and the kept one is forgotten. The file is small JSON, written atomically (`small_files`); an unreadable
one is a rate not kept, never a node that does not start.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from deepracer_common_pkg.small_files import atomic_write_json, read_json


@dataclass(frozen=True)
class KeptRate:
    chosen_hz: float  # 0 = every camera frame
    launched_hz: float  # the launch configuration's value when it was chosen


def read(path: Path) -> KeptRate | None:
    """The kept choice; None when there is none or the file is not one of ours (damaged: nothing is kept)."""
    try:
        data = read_json(path)
        kept = KeptRate(float(data["chosen_hz"]), float(data["launched_hz"]))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) and v >= 0 for v in (kept.chosen_hz, kept.launched_hz)):
        return None
    return kept


def at_start(path: Path, launched_hz: float) -> float | None:
    """The rate to put in force at start instead of the launch configuration's `launched_hz`, or None when that
    stands (nothing kept, or the launch configuration changed since the choice: then the file is removed)."""
    kept = read(path)
    if kept is None:
        return None
    if kept.launched_hz != launched_hz:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    return kept.chosen_hz if kept.chosen_hz != launched_hz else None


def keep(path: Path, chosen_hz: float, launched_hz: float) -> None:
    """Keep `chosen_hz` for the next start launched with `launched_hz`; no write when that is what is kept already,
    or when the launch value is chosen with nothing kept. OSError when it cannot be written."""
    kept = read(path)
    if kept == KeptRate(chosen_hz, launched_hz) or (kept is None and chosen_hz == launched_hz):
        return
    atomic_write_json(path, {"chosen_hz": chosen_hz, "launched_hz": launched_hz})
