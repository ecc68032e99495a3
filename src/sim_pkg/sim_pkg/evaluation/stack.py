"""The car stack as deepracer-eval runs it: the graph's own launcher, on a temporary data folder, with the nodes
between the camera and the wheels (servo, simulator, navigation, inference, camera: the console, the logger and the
car's system parts have nothing to add to a lap) and the simulator in lockstep.

Why the launcher and the graph file: the evaluation is worth something only if it is the car's code as the car runs
it, in the same processes with the same parameters; only what makes it a simulation is set here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from deepracer_common_pkg.launcher import default_graph_path

EVALUATED_NODES = ("servo_node", "sim_node", "navigation_node", "inference_node", "camera_node")
STOP_WAIT_S = 30.0
# The simulated car is a stock DeepRacer: the simulator reads no calibration file (the original car's defaults),
# while the stack drives with the racer's (--calibration). A calibration that is wrong for a stock car shows.
STOCK_CAR = "stock-car-calibration.json"


@dataclass(frozen=True)
class EvalSettings:
    track: str
    action_rate_hz: float
    data_dir: Path


def launcher_command(settings: EvalSettings, graph: Path | None = None) -> list[str]:
    data = settings.data_dir
    sets = {
        "sim_node.clock_mode": "lockstep",
        "sim_node.track": settings.track,
        "sim_node.camera_fps": settings.action_rate_hz,
        "sim_node.calibration_path": str(data / STOCK_CAR),
        "camera_node.fps": settings.action_rate_hz,
        "inference_node.install_demo_model": False,
        "inference_node.max_rate_hz": 0.0,  # every frame answered: the simulator renders at the action rate
        "inference_node.action_rate_file": "",
    }
    command = [sys.executable, "-m", "deepracer_common_pkg.launcher", "--graph", str(graph or default_graph_path()),
               "--data-dir", str(data), "--only", ",".join(EVALUATED_NODES)]
    for key, value in sets.items():
        command += ["--set", f"{key}={json.dumps(value)}"]  # JSON is YAML: "" stays an empty string
    return command


class EvalStack:
    """The launched stack; its output goes to `log_path` (shown when something fails)."""

    def __init__(self, settings: EvalSettings, log_path: Path, env: dict[str, str]) -> None:
        """`env`: the launcher's environment (launcher.isolated_environment: this machine, a domain of its own)."""
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(launcher_command(settings), env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def prepare_data_dir(data_dir: Path, calibration: Path | None) -> None:
    """The temporary car: its models folder (filled by the caller) and the calibration the stack drives with."""
    (data_dir / "models").mkdir(parents=True, exist_ok=True)
    if calibration is not None:
        shutil.copyfile(calibration, data_dir / "calibration.json")
