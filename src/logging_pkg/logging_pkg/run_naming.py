"""Run folder names: `<prefix>-YYYYMMDD-HHMMSS`, the layout DeepRacer Event Manager collects.

Source: the community car's logger, whose bag folders DREM picks up by this pattern (prefix = the model's folder
name, then the local start time). DREM v3.2.0 fetches a racer's runs with `find -name "<racer>*"`, where <racer> is
the racer's name with every character but ASCII letters, digits and `-` removed, and uploads a racer's model into
the folder `<username>-<model file's name>`. So the prefix is cleaned the same way: removing characters one by one
keeps the `-` between username and model, and a DREM-uploaded model's runs start with the racer's cleaned name
whatever characters the username has. Where the console's event queue names the racer, the racer's cleaned name
comes first (once: a model folder that already starts with it is not prefixed again). The same rule reads a name
back, so the console and the disk rules only ever touch folders the logger made.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

STAMP_FORMAT = "%Y%m%d-%H%M%S"
NO_MODEL = "no-model"
_NAME = re.compile(r"^(?P<model>.+)-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?$")
_NOT_KEPT = re.compile(r"[^0-9A-Za-z-]+")  # what DREM removes from a racer's name before its find -name


def drem_clean(text: str) -> str:
    """`text` as DREM cleans a racer's name (ASCII letters, digits and `-` kept), without leading dashes: a folder
    name that starts with `-` would read as an option to the shell commands that collect it."""
    return _NOT_KEPT.sub("", text).lstrip("-")


def run_prefix(model_dir: str, racer: str = "") -> str:
    """The folder name's prefix for a run of the model in `model_dir` by `racer` ("" when not known)."""
    model = drem_clean(Path(model_dir.rstrip("/")).name)
    who = drem_clean(racer)
    if who and model != who and not model.startswith(f"{who}-"):
        model = f"{who}-{model}" if model else who
    return model or NO_MODEL


def run_folder_name(model_dir: str, start: datetime, racer: str = "") -> str:
    return f"{run_prefix(model_dir, racer)}-{start.strftime(STAMP_FORMAT)}"


def unique_run_folder(parent: Path, model_dir: str, start: datetime, racer: str = "") -> Path:
    """A new folder path; two runs started in the same second get `-2`, `-3` (the pattern still matches)."""
    base = run_folder_name(model_dir, start, racer)
    candidate, number = parent / base, 1
    while candidate.exists():
        number += 1
        candidate = parent / f"{base}-{number}"
    return candidate


def parse_run_folder_name(name: str) -> tuple[str, datetime] | None:
    """(prefix, start time) of a run folder's name, or None when the name is not one of ours."""
    match = _NAME.match(name)
    if not match:
        return None
    try:
        return match["model"], datetime.strptime(match["stamp"], STAMP_FORMAT)
    except ValueError:
        return None
