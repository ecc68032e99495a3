"""When a run is recorded, and into which bag: the logging node's whole behaviour, without ROS.

A bag holds one racer's run with one model. It opens when an autonomous run starts (navigation's latched state:
mode autonomous and started), in a new folder `<racer>-<model-folder>-YYYYMMDD-HHMMSS` (run_naming.py; the racer
is the console's event-queue racer, when it names one) under the mode's folder, and closes once the car has not
been driving autonomously for `idle_timeout_s`: a stop and a start of the same racer and model within that time
stays one run, as a racer's retries do. Another racer (the console's "Next racer") or another model ends the bag at
once, and that run gets its own. A bag also closes on `stop_logging`, when the disk rules say so, or at shutdown.

`stop_logging` is how a collecting tool (DREM, right after each race) gets a finished bag: the bag closes, and the
next one opens at the next start, or at another racer or model. A run that goes on driving gets a new bag only
`stop_logging_pause_s` later, so the tool never sees a new folder appear while it lists and copies, and a run the
tool's late call cut (the next racer's, already started) loses at most that much. After a disk stop, the drive in
progress is not recorded again. The latest latched states (drive state, model, race) are written first into each
new bag, so every bag says which model drove and how.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deepracer_common_pkg import names
from logging_pkg.bag_format import LAPS_KEY, MODEL_KEY, RACER_KEY, TopicSpec
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


@dataclass(frozen=True)
class _Hold:
    """A drive whose bag was cut while it went on: not recorded again while it is the same drive (racer, model,
    navigation's start time) until `until` (monotonic s; None: until it ends)."""
    drive: tuple[str, str, int]
    until: float | None


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
        self._owner: tuple[str, str] = ("", "")  # (racer, model) of the open bag
        self._driving = False
        self._run_started_ns = 0  # navigation's date of the run being driven (0: none)
        self._idle_since: float | None = None
        self._hold: _Hold | None = None
        self._model_name = ""  # the model folder's name, from whichever of inference and navigation said it last
        self._racer = ""  # who drives now, as the console's event queue says ("" when it names nobody)
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
        """Inference's loaded model ("" while none is loaded: the last one known stays the run's model)."""
        self._set_model(Path(model_dir).name)

    def on_racer(self, racer: str) -> None:
        """The console's word on who drives now ("" when its event queue names nobody)."""
        if racer != self._racer:
            self._racer = racer
            self._owner_changed("the racer changed")

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
            self._set_model(model_name)
        if driving and self._driving and run_started_ns != self._run_started_ns:
            self._driving = False
            self._hold = None
        if driving and not self._driving:
            self._driving, self._run_started_ns, self._idle_since = True, run_started_ns, None
            self._record_this_drive()
        elif not driving and self._driving:
            self._driving, self._run_started_ns, self._idle_since = False, 0, self._monotonic()
            self._hold = None

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
        """Run every check_period_s: the idle end, the end of the pause after stop_logging, the disk rules."""
        if self._writer is None:
            if self._driving and self._hold is not None and self._hold.until is not None and not self._held():
                self._record_this_drive()
            return
        if self._idle_since is not None and self._monotonic() - self._idle_since >= self.config.idle_timeout_s:
            self._close(f"no autonomous driving for {self.config.idle_timeout_s:g} s")
            return
        verdict = self._guard.enforce(self._folder.parent, self._folder)
        if verdict.stop_current:
            self._close(f"stopped to keep the disk from filling: {verdict.reason}")
            self._hold_this_drive(None)

    def stop_logging(self) -> str:
        """The stop_logging service: end the current bag (see the module's docstring for the next one)."""
        if self._writer is None:
            return "not recording"
        folder = self._folder
        self._close("stop_logging was called")
        self._hold_this_drive(self._monotonic() + self.config.stop_logging_pause_s)
        return f"closed {folder}"

    def shutdown(self) -> None:
        if self._writer is not None:
            self._close("the logging node is shutting down")

    # --- which run a bag holds ----------------------------------------------------------------------
    def _set_model(self, name: str) -> None:
        if name and name != self._model_name:
            self._model_name = name
            self._owner_changed("the model changed")

    def _owner_changed(self, why: str) -> None:
        """A bag holds one racer's run with one model: another ends it; a drive going on gets its own bag."""
        if self._writer is not None and not self._owns_open_bag():
            self._close(f"{why}: each racer's run with each model has its own bag")
        if self._driving and self._writer is None:
            self._record_this_drive()

    def _owns_open_bag(self) -> bool:
        """Whether the open bag is the current racer's with the current model. A bag opened before any model was
        known (a bare state without one) takes the first model it hears."""
        racer, model = self._owner
        if racer != self._racer or model not in ("", self._model_name):
            return False
        self._owner = (racer, self._model_name)
        return True

    def _record_this_drive(self) -> None:
        """A bag still open is this racer's with this model (a change closed it at once): a retry, the same run."""
        if self._writer is None and not self._held():
            self._open()

    def _hold_this_drive(self, until: float | None) -> None:
        self._hold = _Hold((self._racer, self._model_name, self._run_started_ns), until) if self._driving else None

    def _held(self) -> bool:
        hold = self._hold
        if hold is not None and (hold.drive != (self._racer, self._model_name, self._run_started_ns)
                                 or (hold.until is not None and self._monotonic() >= hold.until)):
            self._hold = hold = None
        return hold is not None

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
        folder = unique_run_folder(parent, self._model_name, self._local_now(), self._racer)
        custom = {MODEL_KEY: self._model_name, **({RACER_KEY: self._racer} if self._racer else {})}
        try:
            self._writer = BagWriter(folder, self._topics, self._definitions, start_ns=self._wall_ns(),
                                     chunk_bytes=self.config.chunk_kb * 1024, compression=self.config.compression,
                                     custom=custom)
        except OSError as error:
            self._log(f"not recording this run: cannot write {folder} ({error.strerror})")
            return
        self._folder = folder
        self._owner = (self._racer, self._model_name)
        self._laps_at_open = self._laps
        for topic, (data, _) in self._states.items():
            if topic in self._topic_names:
                self._writer.write(topic, data, self._wall_ns())
        self._log(f"recording {folder}")

    def _abandon(self) -> None:
        """Give up a bag that can no longer be written; the next start recovers what reached the disk."""
        writer, self._writer = self._writer, None
        self._hold_this_drive(None)
        with contextlib.suppress(OSError):
            writer.abandon()

    def _close(self, why: str) -> None:
        writer, self._writer = self._writer, None
        custom = {MODEL_KEY: self._owner[1]}  # the model, if the bag opened before it was known
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
