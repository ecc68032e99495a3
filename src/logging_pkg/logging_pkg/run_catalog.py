"""The runs in a logs folder, as the console lists them: model, racer, start, duration, frames, laps, size, state.

Read from each bag's metadata.yaml only (never the bag itself), so listing a hundred runs costs a hundred small
files. A folder that is not a readable bag is listed with the reason, and nothing else is touched. Runs are
named and found by run_naming.py, so a folder that is not a run (a stick's other files) is neither listed
nor deleted.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deepracer_common_pkg import names
from logging_pkg.bag_format import (
    COMPLETE,
    INCOMPLETE,
    LAPS_KEY,
    MODEL_KEY,
    RACER_KEY,
    REASON_KEY,
    RECORDING,
    STATE_KEY,
    mcap_file_name,
    mcap_is_closed,
    read_metadata,
)
from logging_pkg.disk_guard import folder_bytes
from logging_pkg.run_naming import parse_run_folder_name

CORRUPT = "corrupt"
LEFT_OPEN = ("the logger stopped without closing this bag; it is recovered (kept up to its last complete chunk) "
             "when the logging node next starts")


@dataclass(frozen=True)
class RunSummary:
    name: str
    model: str
    racer: str            # as the console's event queue named them; "" when it named nobody
    start: str            # ISO 8601, UTC
    duration_s: float
    frames: int
    laps: int | None      # None when no simulator ran
    size_bytes: int
    state: str            # complete | incomplete | recording | corrupt
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RunNotFound(LookupError):
    pass


def run_folder(root: Path, name: str) -> Path:
    """The folder of run `name` under `root`; RunNotFound for anything else (other folders, `..`, slashes)."""
    if "/" in name or "\\" in name or parse_run_folder_name(name) is None:
        raise RunNotFound(f"{name!r} is not a run name (expected <model>-YYYYMMDD-HHMMSS)")
    folder = root / name
    if not folder.is_dir():
        raise RunNotFound(f"no run {name!r} in {root}")
    return folder


def summarize(folder: Path) -> RunSummary:
    prefix, started = parse_run_folder_name(folder.name) or (folder.name, None)
    size = folder_bytes(folder)
    try:
        info = read_metadata(folder)
        custom = info.get("custom_data") or {}
        counts = {t["topic_metadata"]["name"]: int(t.get("message_count", 0))
                  for t in info["topics_with_message_count"]}
        start_ns = int(info["starting_time"]["nanoseconds_since_epoch"])
        duration_s = int(info["duration"]["nanoseconds"]) / 1e9
    except (ValueError, KeyError, TypeError) as error:
        reason = str(error) if isinstance(error, ValueError) else "metadata.yaml lacks the fields of a rosbag2 bag"
        return RunSummary(folder.name, prefix, "", started.isoformat() if started else "", 0.0, 0, None, size,
                          CORRUPT, reason)
    state, reason = custom.get(STATE_KEY, COMPLETE), custom.get(REASON_KEY, "")
    mcap = folder / mcap_file_name(folder)
    if not mcap.is_file():
        state, reason = CORRUPT, f"the bag file {mcap.name} is missing"
    elif state in (COMPLETE, INCOMPLETE) and not mcap_is_closed(mcap):
        state, reason = CORRUPT, f"{mcap.name} is cut short (metadata.yaml says the bag was closed)"
    elif state == RECORDING:
        reason = LEFT_OPEN
    model = Path(custom.get(MODEL_KEY, "")).name or prefix
    laps = custom.get(LAPS_KEY)
    return RunSummary(folder.name, model, str(custom.get(RACER_KEY, "")),
                      datetime.fromtimestamp(start_ns / 1e9, UTC).isoformat(), duration_s,
                      counts.get(names.CAMERA_FRAMES, 0), int(laps) if laps not in (None, "") else None, size,
                      state, reason)


def list_runs(root: Path) -> list[RunSummary]:
    """Newest first."""
    if not root.is_dir():
        return []
    runs = [(parsed[1], child) for child in root.iterdir()
            if child.is_dir() and (parsed := parse_run_folder_name(child.name)) is not None]
    return [summarize(folder) for _, folder in sorted(runs, key=lambda item: (item[0], item[1].name), reverse=True)]


def delete_run(root: Path, name: str) -> None:
    folder = run_folder(root, name)
    if summarize(folder).state == RECORDING:
        raise PermissionError(f"run {name} is still open (being recorded, or left open by a stopped logger): "
                              "stop the run, or wait for the logging node to recover it, then delete it")
    shutil.rmtree(folder)
