"""What the console reads from the logs folder: the run list (with incomplete and corrupt bags), a replay's
timeline and pictures, and the download archive."""

from __future__ import annotations

import io
import tarfile

import cv2
import numpy as np
import pytest

from deepracer_common_pkg import names
from logging_pkg.bag_format import COMPLETE, INCOMPLETE, LAPS_KEY, MODEL_KEY, RECORDING
from logging_pkg.bag_recovery import recover
from logging_pkg.bag_writer import BagWriter
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.run_archive import stream_tar_gz
from logging_pkg.run_catalog import CORRUPT, RunNotFound, delete_run, list_runs, run_folder
from logging_pkg.run_replay import ReplayCache, RunReplay
from logging_pkg.topics import recorded_topics
from support.bag_messages import command, frame, result

T0 = 1_764_579_600_000_000_000  # 2025-12-01 09:00:00 UTC
DEFINITIONS = DefinitionLibrary()


def _run(root, name, frames=30, close=True, laps=None):
    writer = BagWriter(root / name, recorded_topics(set()), DEFINITIONS, start_ns=T0, chunk_bytes=32 * 1024,
                       custom={MODEL_KEY: "/models/Sample-model"})
    for i in range(frames):
        t = T0 + i * 50_000_000
        writer.write(names.CAMERA_FRAMES, frame(i, t), t)
        writer.write(names.INFERENCE_RESULTS, result(i, i % 5, t), t + 1_000)
        writer.write(names.NAVIGATION_SERVO_CMD, command(i / frames, 0.5, t), t + 2_000)
    if close:
        writer.close({LAPS_KEY: str(laps)} if laps is not None else None)
    else:
        writer.abandon()
    return root / name


def test_the_list_shows_each_run_newest_first_with_model_duration_frames_laps_size_and_state(tmp_path):
    _run(tmp_path, "Sample-model-20261201-090000", frames=30, laps=2)
    _run(tmp_path, "Sample-model-20261201-100000", frames=10)
    runs = list_runs(tmp_path)
    assert [r.name for r in runs] == ["Sample-model-20261201-100000", "Sample-model-20261201-090000"]
    older = runs[1]
    assert (older.model, older.frames, older.laps, older.state) == ("Sample-model", 30, 2, COMPLETE)
    assert older.duration_s == pytest.approx(29 * 0.05, abs=1e-3)
    assert older.start.startswith("2025-12-01T09:00:00")
    assert older.size_bytes > 0 and runs[0].laps is None


def test_a_killed_bag_is_listed_as_left_open_then_incomplete_once_recovered(tmp_path):
    folder = _run(tmp_path, "m-20261201-090000", close=False)
    [run] = list_runs(tmp_path)
    assert run.state == RECORDING and "recovered" in run.reason
    recover(folder)
    [run] = list_runs(tmp_path)
    assert run.state == INCOMPLETE and "last complete chunk" in run.reason and run.frames > 0


def test_a_corrupt_bag_is_listed_with_its_reason_and_nothing_else_is_lost(tmp_path):
    good = _run(tmp_path, "m-20261201-090000")
    broken = tmp_path / "m-20261201-100000"
    broken.mkdir()
    (broken / "metadata.yaml").write_text("rosbag2_bagfile_information: [not, a, bag")
    cut = _run(tmp_path, "m-20261201-110000")
    mcap = cut / "m-20261201-110000_0.mcap"
    mcap.write_bytes(mcap.read_bytes()[:-100])
    (tmp_path / "holiday-photos").mkdir()
    runs = {r.name: r for r in list_runs(tmp_path)}
    assert set(runs) == {"m-20261201-090000", "m-20261201-100000", "m-20261201-110000"}
    assert runs["m-20261201-100000"].state == CORRUPT and "not valid YAML" in runs["m-20261201-100000"].reason
    assert runs["m-20261201-110000"].state == CORRUPT and "cut short" in runs["m-20261201-110000"].reason
    assert runs["m-20261201-090000"].state == COMPLETE
    assert len(RunReplay(good).timeline.frames) == 30


def test_run_names_outside_the_folder_are_refused(tmp_path):
    _run(tmp_path, "m-20261201-090000")
    for name in ("../m-20261201-090000", "holiday-photos", "m-20261201-090000/../x", "m-20261201-120000"):
        with pytest.raises(RunNotFound):
            run_folder(tmp_path, name)


def test_an_open_run_is_not_deleted_and_a_closed_one_is(tmp_path):
    _run(tmp_path, "m-20261201-090000", close=False)
    _run(tmp_path, "m-20261201-100000")
    with pytest.raises(PermissionError, match="still open"):
        delete_run(tmp_path, "m-20261201-090000")
    delete_run(tmp_path, "m-20261201-100000")
    assert [r.name for r in list_runs(tmp_path)] == ["m-20261201-090000"]


def test_the_timeline_joins_each_frame_with_its_action_and_command_by_capture_stamp(tmp_path):
    folder = _run(tmp_path, "m-20261201-090000", frames=30)
    timeline = ReplayCache().get(folder).timeline
    assert len(timeline.frames) == 30 and timeline.action_space_type == "discrete"
    row = timeline.frames[7]
    assert (row.sequence, row.action_index, row.t_s) == (7, 2, pytest.approx(0.35))
    assert row.outputs[2] == pytest.approx(0.8) and row.steering == pytest.approx(7 / 30, abs=1e-4)
    assert row.throttle == pytest.approx(0.5)


def test_a_frame_picture_is_the_recorded_image(tmp_path):
    folder = _run(tmp_path, "m-20261201-090000", frames=30)
    replay = RunReplay(folder)
    picture = cv2.imdecode(np.frombuffer(replay.picture_png(replay.timeline.frames[21]), np.uint8),
                           cv2.IMREAD_UNCHANGED)
    assert picture.shape == (120, 160) and int(picture[5, 5]) == 21


def test_the_download_is_a_tar_gz_of_the_bag_folder(tmp_path):
    folder = _run(tmp_path, "m-20261201-090000", frames=30)
    data = b"".join(stream_tar_gz(folder))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert set(members) == {"m-20261201-090000/metadata.yaml", "m-20261201-090000/m-20261201-090000_0.mcap"}
        mcap = archive.extractfile("m-20261201-090000/m-20261201-090000_0.mcap").read()
    assert mcap == (folder / "m-20261201-090000_0.mcap").read_bytes()
