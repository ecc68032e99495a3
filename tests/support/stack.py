"""The whole car stack started the way a user starts it: our launcher, as a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import yaml
from std_srvs.srv import SetBool

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.driving_path import DRIVING_PATH
from deepracer_common_pkg.vocabulary import AUTONOMOUS
from deepracer_interfaces_pkg.msg import Heartbeat, ModelState, NavigationState
from deepracer_interfaces_pkg.srv import LoadModel, SetDriveMode, SetMaxSpeed
from support.rosgraph import stop_process, wait_for

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LaunchedStack:
    def __init__(self, data_dir: Path, *, sets: list[str] = (), only: str = "",
                 env: dict[str, str] | None = None, configs: list[Path] = (),
                 wrap: Callable[[list[str]], list[str]] | None = None,
                 graph: Path | None = None) -> None:
        """`wrap`: turns the launcher's command into the one to run, e.g. `CpuGroup.wrap` to start the launcher, and
        so every node, inside a CPU budget. `graph`: another graph file (`alone_in_its_process`)."""
        self.data_dir = data_dir
        self.port = free_port()
        args = [sys.executable, "-m", "deepracer_common_pkg.launcher",
                "--graph", str(graph or REPO / "launch/graph.yaml"), "--data-dir", str(data_dir),
                "--set", f"webserver_node.port={self.port}"]
        for item in sets:
            args += ["--set", item]
        for overlay in configs:  # e.g. a file with `bag_log_node: false` leaves that node out
            args += ["--config", str(overlay)]
        if only:
            args += ["--only", only]
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(wrap(args) if wrap else args, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, cwd=REPO,
                                        env={**os.environ, **(env or {})})  # e.g. a ROS_DOMAIN_ID of its own
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in iter(self.process.stdout.readline, b""):
            with self._lock:
                self._lines.append(raw.decode(errors="replace").rstrip())

    def output(self) -> str:
        with self._lock:
            return "\n".join(self._lines)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> int:
        return stop_process(self.process, sig, timeout, self.output)


def alone_in_its_process(node: str, into: Path) -> Path:
    """The stack's own graph with `node` taken out of the process it shares, for a test that stops that one node
    (SIGSTOP) while the others of its process go on."""
    document = yaml.safe_load((REPO / "launch/graph.yaml").read_text())
    for process in document["processes"].values():
        if node in process["nodes"]:
            process["nodes"].remove(node)
    graph = into / "graph.yaml"
    graph.write_text(yaml.safe_dump(document))
    return graph


def temp_data_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="deepracer-data-"))


def installed_model_dir(stack: LaunchedStack, timeout: float = 60.0) -> Path:
    """The first model folder under the stack's models root (the demo model on a fresh data dir)."""
    models = stack.data_dir / "models"
    return wait_for(lambda: next((p for p in sorted(models.iterdir()) if p.is_dir() and not p.name.startswith("."))
                                 if models.is_dir() else iter(()), None),
                    timeout, f"a model installed under {models}\n{stack.output()}")


def drive_autonomously(probe, model_dir: Path, max_speed: float = 1.0, timeout: float = 60.0) -> None:
    """What the console does: load the model, autonomous mode, max speed, start navigation (inference follows)."""
    states = probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
    navigation = probe.subscribe(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
    answer = probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=str(model_dir)), timeout)
    assert answer.success, answer.reason
    target = str(model_dir).rstrip("/")

    def settled():  # the newest state, not the first match: a "loaded" can be followed by a later request's state
        state = states.latest()
        return state if state is not None and state.state in ("loaded", "error") \
            and state.model_dir.rstrip("/") == target else None
    heard = lambda: [(m.state, m.model_dir, m.reason) for m in states.messages]  # noqa: E731
    final = wait_for(settled, timeout, lambda: f"{model_dir} loaded; heard {heard()}")
    assert final.state == "loaded", final.reason
    # Navigation hears the model state on its own subscription, maybe after this probe did (a loaded machine).
    navigation.wait_for(lambda s: s.model_ready, timeout, "navigation to see the model loaded")
    # Navigation refuses a Start while a node on the path has not beaten within peer_timeout_s; just after the stack
    # came up that happens (measured: "camera_node silent for 2.2 s", cause not found): wait for a beat of each, as
    # deepracer-eval does, rather than pressing Start again.
    beats = probe.subscribe(Heartbeat, names.HEARTBEAT, qos.HEARTBEAT)
    for node in DRIVING_PATH[AUTONOMOUS]:
        beats.wait_for(lambda m, node=node: m.node == node, timeout, f"a heartbeat of {node}")
    for srv_type, name, request in (
        (SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode="autonomous")),
        (SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED, SetMaxSpeed.Request(max_speed=max_speed)),
        (SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=True)),
    ):
        answer = probe.call(srv_type, name, request, timeout)
        assert answer.success, f"{name}: {getattr(answer, 'reason', None) or getattr(answer, 'message', '')}"


def console_login(stack: LaunchedStack, timeout: float = 90.0) -> tuple[str, str]:
    """(address, password) of the stack's console (http or, as on a car, https). The start line names where the
    generated password is kept (never the password itself: the launcher relays it into logs), so the password is
    read from that file."""
    banner = wait_for(lambda: re.search(r"Console: (https?://127\.0\.0\.1:\d+)\s+password: in (\S+)",
                                        stack.output()),
                      timeout, lambda: f"the console's address and password file\n{stack.output()[-3000:]}")
    return banner.group(1), Path(banner.group(2)).read_text().strip()
