"""When a run is recorded, and into which bag: the logging node's whole behaviour, without ROS.

A bag opens when an autonomous run starts (navigation's latched state: mode autonomous and started), in a new
folder `<model-folder>-YYYYMMDD-HHMMSS` under the mode's folder, and closes once the car has not been driving
autonomously for `idle_timeout_s` (a stop and start within that time stays one run, as a racer's retries do),
on `stop_logging`, when the disk rules say so, or at shutdown. After `stop_logging` or a disk stop, the next bag
waits for the next start: a collecting tool that stops logging does not see a new folder appear mid-copy.
The latest latched states (drive state, model, race) are written first into each new bag, so every bag says
which model drove and how.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from deepracer_common_pkg import names
from logging_pkg.bag_format import LAPS_KEY, MODEL_KEY, TopicSpec
from logging_pkg.bag_recovery import needs_recovery, recover
from logging_pkg.bag_writer import BagWriter
from logging_pkg.config import LoggingConfig
from logging_pkg.disk_guard import MB, DiskGuard, free_bytes, run_folders_oldest_first
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.output_folder import recording_folder
from logging_pkg.run_naming import unique_run_folder

AUTONOMOUS = "autonomous"
# Which topics are state: their newest message opens every bag.
_STATE_TOPICS = {names.NAVIGATION_STATE, names.INFERENCE_MODEL_STATE, names.SIM_STATE}


class RunRecorder:
    def __init__(self, config: LoggingConfig, topics: list[TopicSpec], definitions: DefinitionLibrary, *,
                 log: Callable[[str], None], wall_ns: Callable[[], int], monotonic: Callable[[], float],
                 local_now: Callable[[], datetime] = datetime.now,
                 free_reader: Callable[[Path], int] = free_bytes) -> None:
        self._topics = topics
        self._topic_names = {t.name for t in topics}
        self._definitions = definitions
        for topic in topics:  # a missing .msg file stops the node at start, not at the first run
            definitions.definition(topic.type_name)
        self._log = log
        self._wall_ns = wall_ns
        self._monotonic = monotonic
        self._local_now = local_now
        self._free_reader = free_reader
        self._states: dict[str, tuple[bytes, int]] = {}
        self._writer: BagWriter | None = None
        self._folder: Path | None = None
        self._driving = False
        self._run_started_ns = 0  # navigation's date of the run being driven (0: none)
        self._idle_since: float | None = None
        self._hold_until_next_start = False
        self._model_name = ""  # the model folder's name, from whichever of inference and navigation said it last
        self._usb_logs: Path | None = None
        self._laps: int | None = None
        self._laps_at_open: int | None = None
        self.configure(config)

    # --- configuration and start-up ---------------------------------------------------------------
    def configure(self, config: LoggingConfig) -> None:
        self.config = config
        self._guard = DiskGuard(int(config.max_total_mb * MB), int(config.min_free_mb * MB), self._log,
                                self._free_reader)

    @property
    def output_path(self) -> Path:
        return Path(self.config.output_path).expanduser()

    def target_folder(self) -> Path | None:
        return recording_folder(self.config.logging_mode, self.output_path, self._usb_logs)

    def on_usb_logs_dir(self, folder: str) -> None:
        """The system node's word on the USB stick's `logs/` folder ("" when no such stick is in); a stick that
        comes in may hold a bag a killed logger left open."""
        usb = Path(folder) if folder else None
        if usb is not None and usb != self._usb_logs:
            self._recover_in(usb)
        self._usb_logs = usb

    def recover_unclosed(self) -> list[Path]:
        """Close every bag a previous logger left open in output_path (it was killed): run once at start."""
        return self._recover_in(self.output_path)

    def _recover_in(self, parent: Path) -> list[Path]:
        recovered = []
        for run in run_folders_oldest_first(parent):
            if run == self.recording or not needs_recovery(run):
                continue
            try:
                counts = recover(run, self.config.compression)
            except (OSError, ValueError) as error:
                self._log(f"could not recover run {run.name}: {error}")
                continue
            self._log(f"recovered run {run.name} left open by a stopped logger: {sum(counts.values())} "
                      f"messages kept up to its last complete chunk; marked incomplete")
            recovered.append(run)
        return recovered

    # --- what the node feeds in -------------------------------------------------------------------
    @property
    def recording(self) -> Path | None:
        return self._folder if self._writer is not None else None

    def on_model(self, model_dir: str) -> None:
        self._model_name = Path(model_dir).name

    def on_laps(self, laps: int) -> None:
        """The simulator's lap counter (it counts from its own start): a run's laps are the difference."""
        self._laps = laps
        if self._writer is not None and self._laps_at_open is None:
            self._laps_at_open = laps

    def on_navigation(self, mode: str, started: bool, model_name: str, run_started_ns: int = 0) -> None:
        """Navigation's state. Its model name (the model folder's name) is the model this run drives: inference's
        model state, a separate topic, may reach this node only after the state that starts the run. A new
        `run_started_ns` while driving is a Stop and a Start whose "stopped" state never arrived (the state is
        latched with depth 1: a loaded node hears only the newest), so it counts as a stop then a start."""
        driving = mode == AUTONOMOUS and started
        if model_name:
            self._model_name = model_name
        if driving and self._driving and run_started_ns != self._run_started_ns:
            self._hold_until_next_start = False
            self._driving = False
        if driving and not self._driving:
            self._idle_since = None
            if self._writer is None and not self._hold_until_next_start:
                self._open()
        elif not driving and self._driving:
            self._idle_since = self._monotonic()
            self._hold_until_next_start = False
        self._driving = driving
        self._run_started_ns = run_started_ns if driving else 0

    def on_message(self, topic: str, data: bytes, received_ns: int | None = None) -> None:
        """Every recorded topic's serialized message, as received (at `received_ns`, wall clock; now when None)."""
        now = self._wall_ns() if received_ns is None else received_ns
        if topic in _STATE_TOPICS:
            self._states[topic] = (data, now)
        if self._writer is not None:
            try:
                self._writer.write(topic, data, now)
            except OSError as error:  # the disk filled faster than the checks, or the stick was pulled
                self._log(f"stopped recording {self._folder}: writing failed ({error.strerror})")
                self._abandon()

    def tick(self) -> None:
        """Run every check_period_s: the idle end and the disk rules."""
        if self._writer is None:
            return
        if self._idle_since is not None and self._monotonic() - self._idle_since >= self.config.idle_timeout_s:
            self._close(f"no autonomous driving for {self.config.idle_timeout_s:g} s")
            return
        verdict = self._guard.enforce(self._folder.parent, self._folder)
        if verdict.stop_current:
            self._close(f"stopped to keep the disk from filling: {verdict.reason}")
            self._hold_until_next_start = True

    def stop_logging(self) -> str:
        """The stop_logging service: end the current bag; the next one opens at the next autonomous start."""
        if self._writer is None:
            return "not recording"
        folder = self._folder
        self._close("stop_logging was called")
        self._hold_until_next_start = True
        return f"closed {folder}"

    def shutdown(self) -> None:
        if self._writer is not None:
            self._close("the logging node is shutting down")

    # --- bags -------------------------------------------------------------------------------------
    def _open(self) -> None:
        parent = self.target_folder()
        if parent is None:
            if self.config.logging_mode == "usb_only":
                self._log("not recording this run: logging_mode is usb_only and no USB stick with a logs/ "
                          "folder is mounted")
            return
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._log(f"not recording this run: cannot create {parent} ({error.strerror})")
            return
        refusal = self._guard.room_to_start(parent)
        if refusal:
            self._log(f"not recording this run: {refusal}")
            return
        folder = unique_run_folder(parent, self._model_name, self._local_now())
        try:
            self._writer = BagWriter(folder, self._topics, self._definitions, start_ns=self._wall_ns(),
                                     chunk_bytes=self.config.chunk_kb * 1024, compression=self.config.compression,
                                     custom={MODEL_KEY: self._model_name})
        except OSError as error:
            self._log(f"not recording this run: cannot write {folder} ({error.strerror})")
            return
        self._folder = folder
        self._laps_at_open = self._laps
        for topic, (data, _) in self._states.items():
            if topic in self._topic_names:
                self._writer.write(topic, data, self._wall_ns())
        self._log(f"recording {folder}")

    def _abandon(self) -> None:
        """Give up a bag that can no longer be written; the next start recovers what reached the disk."""
        writer, self._writer = self._writer, None
        self._hold_until_next_start = True
        with contextlib.suppress(OSError):
            writer.abandon()

    def _close(self, why: str) -> None:
        writer, self._writer = self._writer, None
        custom = {}
        if self._laps is not None and self._laps_at_open is not None:
            custom[LAPS_KEY] = str(max(0, self._laps - self._laps_at_open))
        try:
            writer.close(custom)
        except OSError as error:
            self._log(f"could not finish {writer.folder} ({error.strerror}); it is recovered at the next start")
            return
        counts = writer.counts
        self._log(f"closed {writer.folder} ({sum(counts.values())} messages, "
                  f"{counts.get(names.CAMERA_FRAMES, 0)} frames, {writer.size_bytes / MB:.1f} MB): {why}")
