"""deepracer-eval as a racer runs it (the console script, a model package folder as exported, the real trained
sample model 48 from deepracer-utils): the whole car stack over real DDS, the simulator in lockstep.

What it must hold: the same model, track, speed and calibration give the same lap times to the millisecond, also
with busy-looping neighbours on every core of this machine (simulated time stands still while the stack thinks);
at 100 % speed the evaluation takes less wall time than the simulated time it drives; a calibration with the
steering reversed leaves the track in the first lap; a broken package gets the console upload's words.
Stand-ins: the camera device and the PWM hardware (a rendered camera, a folder of PWM files)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference_pkg.model_package import ModelPackageError, install

pytestmark = pytest.mark.real_model

SAMPLE_MODELS = Path(__file__).resolve().parents[2] / ".cache" / "deepracer-sample-model"
EVAL = Path(sys.executable).with_name("deepracer-eval")
RUN_TIMEOUT_S = 300
REVERSED_STEERING = {"Calibration": {"Servo": {"max": 1_700_000, "mid": 1_450_000, "min": 1_200_000, "polarity": -1},
                                     "Motor": {"max": 1_603_500, "mid": 1_446_000, "min": 1_311_000, "polarity": -1}},
                     "version": 1}


@pytest.fixture(scope="module")
def model_48(tmp_path_factory) -> Path:
    """The package as the DeepRacer console exports it: model_metadata.json beside the frozen graph."""
    folder = tmp_path_factory.mktemp("packages") / "sample-model-48"
    folder.mkdir()
    shutil.copy(SAMPLE_MODELS / "model_metadata.json", folder)
    shutil.copy(SAMPLE_MODELS / "model_48.pb", folder / "model.pb")
    return folder


def evaluate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(EVAL), *args], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def result_of(run: subprocess.CompletedProcess) -> dict:
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


def _spin(stop) -> None:
    while not stop.is_set():
        pass


class BusyNeighbours:
    """A busy loop on every core, as another program hogging this machine."""

    def __enter__(self):
        self._stop = multiprocessing.Event()
        self._loops = [multiprocessing.Process(target=_spin, args=(self._stop,), daemon=True)
                       for _ in range(os.cpu_count() or 2)]
        for loop in self._loops:
            loop.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        for loop in self._loops:
            loop.join(5)


def warnings_in(log: Path) -> str:
    """For a failure's message: what the car stack warned about (an unanswered frame names its simulated time)."""
    return "\n".join(line for line in log.read_text(errors="replace").splitlines() if "WARN" in line or "ERROR" in line)


@pytest.mark.parametrize("speed", [100, 50])
def test_the_same_model_laps_in_the_same_times_alone_and_under_load(model_48, speed, tmp_path) -> None:
    alone = result_of(evaluate(str(model_48), "--laps", "2", "--speed", str(speed), "--json",
                               "--keep-log", str(tmp_path / "alone.log")))
    assert alone["finished"] and len(alone["laps"]) == 2, alone
    assert alone["unanswered_frames"] == 0, f"{alone}\n{warnings_in(tmp_path / 'alone.log')}"
    with BusyNeighbours():
        loaded = result_of(evaluate(str(model_48), "--laps", "2", "--speed", str(speed), "--json",
                                    "--keep-log", str(tmp_path / "loaded.log")))
    assert loaded["unanswered_frames"] == 0, f"{loaded}\n{warnings_in(tmp_path / 'loaded.log')}"
    assert loaded["laps"] == alone["laps"], (alone, loaded)
    assert loaded["off_track"] == alone["off_track"] == 0, (alone, loaded)
    if speed == 100:  # faster than real time on this machine, alone
        assert alone["wall_s"] < alone["sim_s"], alone


def test_the_printed_report_names_each_lap_and_the_totals(model_48) -> None:
    run = evaluate(str(model_48), "--laps", "1")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "sample-model-48 on reinvent_base, 100 % speed, 15 decisions per second"
    assert lines[1].startswith("lap 1: ") and lines[1].endswith("100 % progress   no resets"), lines
    assert lines[2].startswith("total: 1 lap in "), lines
    assert "lap 1 done" in run.stderr  # the progress, one line per lap when not on a terminal


def test_reversed_steering_leaves_the_track_in_the_first_lap(model_48, tmp_path) -> None:
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps(REVERSED_STEERING))
    run = evaluate(str(model_48), "--laps", "1", "--calibration", str(calibration), "--time-limit", "10", "--json")
    assert run.returncode == 1, run.stderr  # not finished
    result = result_of(run)
    assert result["laps"] == [] and result["off_track"] >= 1, result


def test_a_broken_package_gets_the_uploads_words_and_nothing_runs(model_48, tmp_path) -> None:
    broken = tmp_path / "no-metadata"
    shutil.copytree(model_48, broken)
    (broken / "model_metadata.json").unlink()
    with pytest.raises(ModelPackageError) as console_words:
        install(broken, tmp_path / "models", label=broken.name)
    run = evaluate(str(broken), "--json")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == f"deepracer-eval: {console_words.value}"
