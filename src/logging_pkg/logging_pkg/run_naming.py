"""Run folder names: `<model-folder>-YYYYMMDD-HHMMSS`, the layout DeepRacer Event Manager collects.

Source: the community car's logger, whose bag folders DREM picks up by this pattern (prefix = the model's
folder name, then the local start time). The same rule reads a name back, so the console and the disk rules
only ever touch folders the logger made.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

STAMP_FORMAT = "%Y%m%d-%H%M%S"
NO_MODEL = "no-model"
_NAME = re.compile(r"^(?P<model>.+)-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_prefix(model_dir: str) -> str:
    """The model's folder name, made safe for a folder name (a model folder can be anything a user typed)."""
    name = _UNSAFE.sub("_", Path(model_dir.rstrip("/")).name).strip("._")
    return name or NO_MODEL


def run_folder_name(model_dir: str, start: datetime) -> str:
    return f"{model_prefix(model_dir)}-{start.strftime(STAMP_FORMAT)}"


def unique_run_folder(parent: Path, model_dir: str, start: datetime) -> Path:
    """A new folder path; two runs started in the same second get `-2`, `-3` (the pattern still matches)."""
    base = run_folder_name(model_dir, start)
    candidate, number = parent / base, 1
    while candidate.exists():
        number += 1
        candidate = parent / f"{base}-{number}"
    return candidate


def parse_run_folder_name(name: str) -> tuple[str, datetime] | None:
    """(model prefix, start time) of a run folder's name, or None when the name is not one of ours."""
    match = _NAME.match(name)
    if not match:
        return None
    try:
        return match["model"], datetime.strptime(match["stamp"], STAMP_FORMAT)
    except ValueError:
        return None
