"""Run folder names and recording modes, as event tools expect them (the community car logger's rules)."""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime

import pytest

from logging_pkg.config import LoggingConfig
from logging_pkg.output_folder import recording_folder
from logging_pkg.run_naming import drem_clean, parse_run_folder_name, run_folder_name, unique_run_folder

START = datetime(2026, 12, 1, 9, 5, 7)


def _drem_racer_name(racer: str) -> str:
    """What DREM v3.2.0's log fetch puts into `find -name "<racer>*"`: `re.sub("[^0-9a-zA-Z-]+", "", racerName)`."""
    return re.sub("[^0-9a-zA-Z-]+", "", racer)


def test_a_run_folder_is_the_model_folder_then_local_start_time():
    assert run_folder_name("/home/u/.deepracer/models/sample-model-48/", START) == "sample-model-48-20261201-090507"


def test_a_model_folder_name_is_cleaned_as_drem_cleans_a_racers_name_and_still_makes_one_folder():
    assert run_folder_name("/home/u/.deepracer/models/Sample_single_cam/", START) == "Samplesinglecam-20261201-090507"
    assert run_folder_name("/m/my model/../x y", START) == "xy-20261201-090507"
    assert run_folder_name("/m/--opt", START) == "opt-20261201-090507"  # never read as a shell option
    assert run_folder_name("", START) == "no-model-20261201-090507"
    assert run_folder_name("/m/__", START) == "no-model-20261201-090507"


@pytest.mark.parametrize("username", ["jane", "jane.doe", "jane_doe", "Jane-Doe-2", "o'brien", "zoë"])
def test_drems_find_matches_the_runs_of_a_model_it_uploaded_whatever_the_username(username):
    """DREM's model upload makes the folder `<username>-<file name without extension>`; its fetch matches
    `<cleaned racer name>*`, with the shell's own globbing (fnmatch)."""
    folder = run_folder_name(f"/opt/aws/deepracer/artifacts/{username}-fast_v2", START)
    assert fnmatch.fnmatchcase(folder, f"{_drem_racer_name(username)}*")


def test_the_event_queues_racer_comes_first_once():
    assert run_folder_name("/m/sample-model-48", START, racer="Ann Lee") == "AnnLee-sample-model-48-20261201-090507"
    assert run_folder_name("/m/AnnLee-fast", START, racer="Ann Lee") == "AnnLee-fast-20261201-090507"
    assert run_folder_name("", START, racer="Ann") == "Ann-20261201-090507"
    assert run_folder_name("/m/x", START, racer=" ") == "x-20261201-090507"
    assert drem_clean("Ann Lee") == _drem_racer_name("Ann Lee")


def test_two_runs_in_one_second_get_distinct_folders_that_still_parse(tmp_path):
    first = unique_run_folder(tmp_path, "demo", START)
    first.mkdir()
    second = unique_run_folder(tmp_path, "demo", START)
    assert second.name == "demo-20261201-090507-2"
    assert parse_run_folder_name(second.name) == ("demo", START)


def test_names_read_back_and_other_folders_are_not_runs():
    assert parse_run_folder_name("model-with-dashes-20261201-090507") == ("model-with-dashes", START)
    assert parse_run_folder_name("holiday-photos") is None
    assert parse_run_folder_name("demo-20261341-090507") is None  # no 41st of the 13th month


def test_always_records_to_output_path_without_a_stick_and_to_the_stick_with_one(tmp_path):
    output, stick = tmp_path / "logs", tmp_path / "STICK" / "logs"
    assert recording_folder("always", output, None) == output
    assert recording_folder("always", output, stick) == stick


def test_usb_only_records_nothing_without_a_stick_that_has_a_logs_folder(tmp_path):
    output, stick = tmp_path / "logs", tmp_path / "STICK" / "logs"
    assert recording_folder("usb_only", output, None) is None
    assert recording_folder("usb_only", output, stick) == stick


def test_never_records_nothing_even_with_a_stick(tmp_path):
    assert recording_folder("never", tmp_path / "logs", tmp_path / "STICK" / "logs") is None


@pytest.mark.parametrize(("field", "value", "words"), [
    ("logging_mode", "sometimes", "logging_mode must be one of"),
    ("idle_timeout_s", 0.0, "idle_timeout_s must be a number"),
    ("min_free_mb", -1.0, "min_free_mb must be a number"),
    ("output_path", "", "output_path must not be empty"),
    ("chunk_kb", 1, "chunk_kb must be"),
])
def test_bad_parameters_are_refused_naming_the_field(field, value, words):
    with pytest.raises(ValueError, match=words):
        LoggingConfig(**{field: value})
