"""Parameters of the inference node, with defaults that are safe on a laptop."""

from __future__ import annotations

from dataclasses import dataclass

# OpenVINO inference precisions the node accepts. Here rather than in policy_network, which imports OpenVINO: the
# launchers read this module's defaults (deepracer_common_pkg.timeout_chain) and must not load OpenVINO to do so.
PRECISIONS = ("f32", "bf16", "f16")


@dataclass(frozen=True)
class InferenceConfig:
    # Folder holding one sub-folder per installed model (`~` expanded by the node).
    models_root: str = "~/.deepracer/models"
    # OpenVINO inference precision; f32 makes results independent of the CPU (bf16 is this CPU's default).
    precision: str = "f32"
    # OpenVINO threads per inference; 1 gives the tightest worst case on a 2-core car; 0 lets OpenVINO pick.
    inference_threads: int = 1
    # The action rate: at most this many inferences (decisions) per second, chosen from the camera's frames as they
    # arrive, never delayed (runtime.FrameGate); 0 = one per camera frame. DeepRacer trains at 15.
    max_rate_hz: float = 0.0
    # Where a change of max_rate_hz made at run time (the console, `ros2 param set`) is kept, so it is in force again
    # after a restart launched with the same max_rate_hz (action_rate_memory); empty = not kept.
    action_rate_file: str = ""
    # On start, install a generated "demo" model when the models root has none (fresh local runs).
    install_demo_model: bool = False
    # Model (name under models_root, or a folder) to load on start; empty = wait for a load request.
    load_on_start: str = ""
    # A LiDAR model gets no result when the newest scan is older than this (seconds): no blind driving.
    lidar_timeout_s: float = 0.5

    def __post_init__(self) -> None:
        if not self.models_root.strip():
            raise ValueError("models_root must name a folder, got an empty string")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if not 0 <= self.inference_threads <= 64:
            raise ValueError(f"inference_threads must be 0 (automatic) to 64, got {self.inference_threads}")
        if not 0.0 <= self.max_rate_hz <= 1000.0:
            raise ValueError(f"max_rate_hz must be 0 (no cap) to 1000, got {self.max_rate_hz}")
        if not 0.0 < self.lidar_timeout_s <= 10.0:
            raise ValueError(f"lidar_timeout_s must be above 0 and at most 10, got {self.lidar_timeout_s}")
