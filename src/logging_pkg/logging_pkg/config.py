"""The logging node's parameters: names, defaults (safe on a laptop: bags under ~/.deepracer/logs) and validation.

The names event tools read are kept: DeepRacer Event Manager reads `output_path` to find the bags it collects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The community car logger's modes (Never / USBOnly / Always), spelt as our parameters are.
MODES = ("never", "usb_only", "always")
COMPRESSIONS = ("zstd", "lz4", "none")


@dataclass(frozen=True)
class LoggingConfig:
    # Where run folders go when no USB stick with a `logs/` folder is mounted; `~` is expanded.
    output_path: str = "~/.deepracer/logs"
    # never: record nothing; usb_only: only onto a USB stick that has a `logs/` folder; always: the stick's
    # `logs/` folder when there is one, else output_path. The stick is the system node's to find
    # (/system_pkg/usb_logs_dir).
    logging_mode: str = "always"
    # Also record the original car's /inference_pkg/rl_results (InferResultsArray, with the JPEG picture), which
    # DeepRacer Event Manager's video tool reads from bags; compat_node publishes it only while someone listens.
    record_original_results: bool = True
    # A bag ends when the car has not been driving autonomously for this long (the community logger: 15 s); a stop
    # and a start of the same racer and model within it stay one run.
    idle_timeout_s: float = 15.0
    # After stop_logging, a run that goes on driving gets a new bag only this much later: a collecting tool lists
    # the folders in the first seconds after its call (DREM: `ros2 param get`, then `find`), so no new folder
    # appears while it copies; a run its call cut (the next racer's, when the fetch came late) loses at most this.
    stop_logging_pause_s: float = 15.0
    # The disk never fills: all runs together stay under the cap, and the disk keeps this much free.
    # Oldest runs go first; a run that would break the floor is stopped.
    max_total_mb: float = 4096.0
    min_free_mb: float = 1024.0
    # MCAP chunk size: a killed logger loses at most the chunk being filled (~1 s of frames at 30 fps).
    chunk_kb: int = 512
    # Each chunk's compression (rosbag2's MCAP storage and the rosbags reader open both). lz4: a 512 KB chunk
    # of the car's pictures took 0.63 ms against zstd's 1.84 ms here (zstd's files 15 % smaller), about two chunks
    # a second at 30 fps on the logger's thread, which shares the car's two slow cores with the frame path.
    compression: str = "lz4"
    # The logger runs at this nice level, so on a busy CPU the frame path's processes go first.
    niceness: int = 10
    # How often the disk rules, the idle end and the USB stick are checked.
    check_period_s: float = 0.5

    def __post_init__(self) -> None:
        if not self.output_path:
            raise ValueError("output_path must not be empty (a folder for the run folders)")
        if self.logging_mode not in MODES:
            raise ValueError(f"logging_mode must be one of {MODES}, got {self.logging_mode!r}")
        if self.compression not in COMPRESSIONS:
            raise ValueError(f"compression must be one of {COMPRESSIONS}, got {self.compression!r}")
        for name, low, high in (("idle_timeout_s", 0.1, 3600.0), ("stop_logging_pause_s", 0.0, 3600.0),
                                ("check_period_s", 0.05, 10.0),
                                ("max_total_mb", 0.01, 1e7), ("min_free_mb", 0.0, 1e7)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
        if isinstance(self.niceness, bool) or not isinstance(self.niceness, int) or not 0 <= self.niceness <= 19:
            raise ValueError(f"niceness must be a whole number in [0, 19], got {self.niceness!r}")
        if isinstance(self.chunk_kb, bool) or not isinstance(self.chunk_kb, int) or not 16 <= self.chunk_kb <= 65536:
            raise ValueError(f"chunk_kb must be a whole number of KiB in [16, 65536], got {self.chunk_kb!r}")
