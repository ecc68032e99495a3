"""When runs are recorded: start on an autonomous start, idle end, stop_logging, modes, and the disk rules.

The clocks and the disk's free space are injected (a disk cannot be filled here); the bags are real files
read back with `rosbags`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rosbags.highlevel import AnyReader

from deepracer_common_pkg import names
from logging_pkg.bag_format import COMPLETE, MODEL_KEY, RACER_KEY, STATE_KEY
from logging_pkg.config import LoggingConfig
from logging_pkg.disk_guard import MB, folder_bytes
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.recorder import RunRecorder
from logging_pkg.topics import recorded_topics
from support.bag_messages import frame, navigation, write_run

DEFINITIONS = DefinitionLibrary()


class Rig:
    """A recorder with hand-driven clocks and a disk of `disk_mb` that holds only the runs."""

    def __init__(self, tmp_path: Path, disk_mb: float = 10_000.0, **config) -> None:
        self.output = tmp_path / "logs"
        self.mono = 100.0
        self.wall = 1_700_000_000_000_000_000
        self.local = datetime(2026, 12, 1, 9, 0, 0)
        self.disk_bytes = disk_mb * MB
        self.model_name = "demo"
        self.lines: list[str] = []
        settings = {"output_path": str(self.output), "idle_timeout_s": 15.0, "chunk_kb": 16, **config}
        self.recorder = RunRecorder(LoggingConfig(**settings), recorded_topics(set()), DEFINITIONS,
                                    log=self.lines.append, wall_ns=lambda: self.wall, monotonic=lambda: self.mono,
                                    local_now=lambda: self.local, free_reader=self.free)

    def free(self, parent: Path) -> int:
        used = sum(folder_bytes(p) for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else 0
        return int(self.disk_bytes - used)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += int(seconds * 1e9)
        self.local += timedelta(seconds=seconds)

    def drive(self, mode: str = "autonomous", started: bool = True, model_name: str | None = None,
              run_started_ns: int = 1) -> None:
        """Navigation's state; its model is the last one named here ("demo" at first), as navigation keeps it."""
        self.model_name = self.model_name if model_name is None else model_name
        self.recorder.on_message(names.NAVIGATION_STATE, navigation(mode, started))
        self.recorder.on_navigation(mode, started, self.model_name, run_started_ns if started else 0)

    def frames(self, count: int, period_s: float = 1 / 30) -> None:
        for i in range(count):
            self.recorder.on_message(names.CAMERA_FRAMES, frame(i, self.wall, noise=True))
            self.advance(period_s)
            self.recorder.tick()

    def runs(self) -> list[Path]:
        return sorted(p for p in self.output.iterdir() if p.is_dir()) if self.output.is_dir() else []


def _state(folder: Path) -> str:
    info = yaml.safe_load((folder / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    return info["custom_data"][STATE_KEY]


def _custom(folder: Path) -> dict[str, str]:
    return yaml.safe_load((folder / "metadata.yaml").read_text())["rosbag2_bagfile_information"]["custom_data"]


def _frames(folder: Path) -> int:
    with AnyReader([folder]) as reader:
        return sum(c.msgcount for c in reader.connections if c.topic == names.CAMERA_FRAMES)


def test_nothing_is_recorded_until_an_autonomous_run_starts(tmp_path):
    rig = Rig(tmp_path)
    rig.recorder.on_model("/models/demo")
    rig.drive("manual", True)
    rig.frames(10)
    rig.drive("autonomous", False)
    rig.frames(10)
    assert rig.runs() == []
    rig.drive("autonomous", True)
    assert [p.name for p in rig.runs()] == ["demo-20261201-090000"]


def test_a_run_is_named_after_navigations_model_when_the_model_state_has_not_arrived(tmp_path):
    # Found in the stack test: the navigation state that starts the run can reach the logger before inference's
    # model state does (two topics, matched in either order). Navigation's state names the model it drives.
    rig = Rig(tmp_path)
    rig.drive("autonomous", True, model_name="reinvent-2018")
    assert [p.name for p in rig.runs()] == ["reinvent-2018-20261201-090000"]


def test_the_bag_ends_after_the_idle_time_and_a_restart_within_it_stays_one_run(tmp_path):
    rig = Rig(tmp_path, idle_timeout_s=15.0)
    rig.recorder.on_model("/models/demo")
    rig.drive()
    rig.frames(30)
    rig.drive("autonomous", False)
    rig.frames(14 * 30)  # 14 s idle: still the same bag
    assert rig.recorder.recording is not None
    rig.drive()  # a retry within the idle time
    rig.frames(30)
    rig.drive("autonomous", False)
    rig.frames(14 * 30)
    assert rig.recorder.recording is not None
    rig.advance(1.1)
    rig.recorder.tick()
    assert rig.recorder.recording is None
    [run] = rig.runs()
    assert _state(run) == COMPLETE
    assert _frames(run) == 30 + 14 * 30 + 30 + 14 * 30
    assert any("no autonomous driving for 15 s" in line for line in rig.lines)


def test_every_bag_starts_with_the_drive_state_that_started_it(tmp_path):
    rig = Rig(tmp_path)
    rig.drive()
    rig.recorder.stop_logging()
    [run] = rig.runs()
    with AnyReader([run]) as reader:
        connections = [c for c in reader.connections if c.topic == names.NAVIGATION_STATE]
        states = [reader.deserialize(raw, c.msgtype) for c, _, raw in reader.messages(connections=connections)]
    assert [(s.mode, s.started) for s in states] == [("autonomous", True)]


def test_stop_logging_closes_the_bag_and_the_next_one_waits_for_the_next_start(tmp_path):
    rig = Rig(tmp_path)
    rig.recorder.on_model("/models/demo")
    rig.drive()
    rig.frames(10)
    assert "closed" in rig.recorder.stop_logging()
    [run] = rig.runs()
    assert _state(run) == COMPLETE and _frames(run) == 10
    rig.frames(10)  # still driving: no new folder appears while a tool copies the logs
    assert len(rig.runs()) == 1
    assert rig.recorder.stop_logging() == "not recording"
    rig.drive("autonomous", False)
    rig.advance(2)
    rig.drive()
    assert len(rig.runs()) == 2


def test_a_stop_and_start_heard_only_as_the_new_runs_state_still_counts_as_the_next_start(tmp_path):
    """The logging stack test on a loaded machine: after stop_logging, a Stop then a Start reached the logger as
    the Start alone (the state is latched, depth 1), so it never saw "the next start" and recorded nothing. The
    run's new start time says it is another run."""
    rig = Rig(tmp_path)
    rig.drive(run_started_ns=1_000)
    rig.frames(5)
    rig.recorder.stop_logging()
    rig.advance(1)
    rig.drive(run_started_ns=1_000)  # the same run's state again (a speed change): still held
    assert len(rig.runs()) == 1
    rig.drive(run_started_ns=2_000)  # a new run, its "stopped" never heard
    assert len(rig.runs()) == 2 and rig.recorder.recording == rig.runs()[-1]


def test_usb_only_without_a_stick_records_nothing_and_says_why(tmp_path):
    rig = Rig(tmp_path, logging_mode="usb_only")
    rig.drive()
    rig.frames(5)
    assert rig.runs() == [] and rig.recorder.recording is None
    assert any("usb_only" in line and "no USB stick" in line for line in rig.lines)


def test_never_records_nothing(tmp_path):
    rig = Rig(tmp_path, logging_mode="never")
    rig.drive()
    rig.frames(5)
    assert rig.runs() == []


def test_with_a_stick_the_system_node_reports_runs_go_onto_the_stick_and_back_when_it_goes(tmp_path):
    rig = Rig(tmp_path, logging_mode="usb_only")
    stick = tmp_path / "media" / "STICK" / "logs"
    stick.mkdir(parents=True)
    rig.recorder.on_usb_logs_dir(str(stick))
    rig.drive()
    rig.recorder.stop_logging()
    assert len(list(stick.iterdir())) == 1 and rig.runs() == []
    rig.recorder.on_usb_logs_dir("")  # stick pulled: usb_only records nothing
    rig.drive("autonomous", False)
    rig.drive()
    assert rig.recorder.recording is None


def test_a_stick_that_comes_in_with_a_bag_left_open_gets_it_recovered(tmp_path):
    stick = tmp_path / "STICK" / "logs"
    write_run(stick / "demo-20261130-200000", frames=200, close=False)
    rig = Rig(tmp_path)
    rig.recorder.on_usb_logs_dir(str(stick))
    [run] = list(stick.iterdir())
    assert _state(run) == "incomplete" and 0 < _frames(run) < 200


def _three_old_runs(rig: Rig, frames_each: int = 60) -> list[str]:
    names_ = []
    for _ in range(3):
        rig.drive()
        rig.frames(frames_each)
        names_.append(rig.recorder.recording.name)
        rig.recorder.stop_logging()
        rig.drive("autonomous", False)
        rig.advance(60)
    return names_


def test_the_size_cap_removes_the_oldest_runs_first_each_with_a_log_line(tmp_path):
    rig = Rig(tmp_path)
    old = _three_old_runs(rig)
    each_mb = folder_bytes(rig.output / old[0]) / MB
    rig.recorder.configure(LoggingConfig(**{**rig.recorder.config.__dict__, "max_total_mb": each_mb * 3.5}))
    rig.drive()
    rig.frames(90)  # the fourth run grows past the cap: the oldest goes, then the next
    assert not (rig.output / old[0]).exists()
    assert (rig.output / old[2]).exists()
    assert rig.recorder.recording is not None
    removed = [line for line in rig.lines if line.startswith("removed old run")]
    assert removed[0].startswith(f"removed old run {old[0]}") and "cap" in removed[0]
    assert sum(folder_bytes(p) for p in rig.runs()) <= each_mb * 3.5 * MB + 64 * 1024


def test_a_run_that_would_break_the_free_space_floor_is_stopped_cleanly_after_older_runs_go(tmp_path):
    rig = Rig(tmp_path)
    old = _three_old_runs(rig)
    used_mb = sum(folder_bytes(p) for p in rig.runs()) / MB
    rig.disk_bytes = (used_mb + 0.5) * MB  # 0.5 MB free
    rig.recorder.configure(LoggingConfig(**{**rig.recorder.config.__dict__, "min_free_mb": 0.4}))
    rig.drive()
    rig.frames(600)  # ~11 MB of frames: far more than the disk has
    assert rig.recorder.recording is None
    assert all(not (rig.output / name).exists() for name in old)
    [current] = rig.runs()
    assert _state(current) == COMPLETE and _frames(current) > 0  # closed, readable
    assert rig.free(rig.output) >= 0
    assert any("stopped to keep the disk from filling" in line and "floor" in line for line in rig.lines)
    rig.frames(30)  # the same run does not start a new bag
    assert len(rig.runs()) == 1


def test_a_run_is_not_started_on_a_disk_already_below_the_floor(tmp_path):
    rig = Rig(tmp_path, disk_mb=1.0, min_free_mb=2.0)
    rig.drive()
    assert rig.runs() == []
    assert any("not recording this run" in line and "floor" in line for line in rig.lines)


def test_folders_that_are_not_runs_are_never_removed(tmp_path):
    rig = Rig(tmp_path)
    _three_old_runs(rig)
    keep = rig.output / "my-notes"
    keep.mkdir()
    (keep / "big.bin").write_bytes(bytes(200_000))
    rig.recorder.configure(LoggingConfig(**{**rig.recorder.config.__dict__, "max_total_mb": 0.01}))
    rig.drive()
    rig.frames(3)
    assert (keep / "big.bin").exists()


@pytest.mark.parametrize("mode", ["always"])
def test_shutdown_closes_the_open_bag(tmp_path, mode):
    rig = Rig(tmp_path, logging_mode=mode)
    rig.drive()
    rig.frames(5)
    rig.recorder.shutdown()
    [run] = rig.runs()
    assert _state(run) == COMPLETE and _frames(run) == 5


# --- DREM's fetch after each race, and one bag per racer's run (issues 24 and 25, item 4) -------------------------


def test_stop_logging_after_the_race_ended_leaves_the_next_start_its_own_bag(tmp_path):
    """DREM calls stop_logging right after a race is submitted, usually seconds after the car stopped: the next
    run, started within the idle time, must be recorded (it was held until the next drive ended)."""
    rig = Rig(tmp_path)
    rig.drive(model_name="demo")
    rig.frames(30)
    rig.drive("autonomous", False)
    rig.frames(3 * 30)
    assert "closed" in rig.recorder.stop_logging()
    rig.frames(30)
    rig.drive(model_name="demo", run_started_ns=2)  # the next racer, 4 s after the stop
    rig.frames(30)
    assert rig.recorder.recording is not None
    rig.recorder.stop_logging()
    first, second = rig.runs()
    assert _frames(first) == 30 + 3 * 30 and _frames(second) == 30


def test_another_racer_within_the_idle_time_gets_a_bag_of_its_own_named_for_them(tmp_path):
    rig = Rig(tmp_path)
    rig.recorder.on_racer("Ann Lee")
    rig.drive(model_name="sample-model-48")
    rig.frames(30)
    rig.drive("autonomous", False)
    rig.frames(2 * 30)
    rig.recorder.on_racer("Bo")  # "Next racer", same model: Ann's run is over at once
    assert rig.recorder.recording is None
    rig.advance(1)
    rig.drive(model_name="sample-model-48", run_started_ns=2)
    rig.frames(30)
    rig.recorder.shutdown()
    ann, bo = sorted(rig.runs(), key=lambda p: p.stat().st_mtime_ns)
    assert ann.name == "AnnLee-sample-model-48-20261201-090000" and bo.name.startswith("Bo-sample-model-48-2026")
    assert (_frames(ann), _frames(bo)) == (30 + 2 * 30, 30)
    assert _custom(ann)[RACER_KEY] == "Ann Lee" and _custom(bo)[RACER_KEY] == "Bo"
    assert any("the racer changed" in line for line in rig.lines)


def test_a_model_change_always_starts_a_new_bag_and_the_same_racer_and_model_retrying_stays_one(tmp_path):
    rig = Rig(tmp_path)
    rig.recorder.on_racer("Ann")
    rig.recorder.on_model("/models/first")
    rig.drive(model_name="first")
    rig.frames(10)
    rig.drive("autonomous", False)
    rig.advance(2)
    rig.drive(model_name="first", run_started_ns=2)  # a retry: the same run
    rig.frames(10)
    rig.drive("autonomous", False)
    rig.recorder.on_model("/models/first")  # the same model loaded again: nothing changes
    assert rig.recorder.recording is not None
    rig.recorder.on_model("")  # loading the next one
    rig.recorder.on_model("/models/second")
    assert rig.recorder.recording is None
    rig.advance(2)
    rig.drive(model_name="second", run_started_ns=3)
    rig.frames(10)
    rig.drive(model_name="third", run_started_ns=3)  # navigation says another model drives: never one bag
    rig.frames(10)
    rig.recorder.shutdown()
    runs = sorted(rig.runs(), key=lambda p: _custom(p)[MODEL_KEY])
    assert [(p.name.rsplit("-", 2)[0], _frames(p)) for p in runs] == [("Ann-first", 20), ("Ann-second", 10),
                                                                        ("Ann-third", 10)]


def test_a_run_driving_on_after_stop_logging_gets_a_new_bag_after_the_pause_or_at_once_for_another_racer(tmp_path):
    rig = Rig(tmp_path, stop_logging_pause_s=15.0)
    rig.recorder.on_racer("Ann")
    rig.drive()
    rig.frames(10)
    rig.recorder.stop_logging()  # a late fetch while the car still drives
    rig.frames(int(14.5 * 30))  # the collecting tool lists and copies meanwhile: no new folder appears
    assert len(rig.runs()) == 1
    rig.frames(30)  # the pause is over: the run that goes on is recorded again
    assert len(rig.runs()) == 2 and rig.recorder.recording is not None
    rig.recorder.stop_logging()
    rig.recorder.on_racer("Bo")  # another racer's drive is never held
    assert len(rig.runs()) == 3 and rig.recorder.recording.name.startswith("Bo-demo-")


def test_a_bag_opened_before_the_model_was_known_takes_it_without_a_new_bag(tmp_path):
    rig = Rig(tmp_path)
    rig.drive(model_name="")
    rig.recorder.on_model("/models/late")
    rig.frames(5)
    rig.recorder.shutdown()
    [run] = rig.runs()
    assert _frames(run) == 5 and _custom(run)[MODEL_KEY] == "late"
