"""The whole car stack started the way a user starts it: our launcher, as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LaunchedStack:
    def __init__(self, data_dir: Path, *, sets: list[str] = (), only: str = "") -> None:
        self.data_dir = data_dir
        self.port = free_port()
        args = [sys.executable, "-m", "deepracer_common_pkg.launcher", "--graph", str(REPO / "launch/graph.yaml"),
                "--data-dir", str(data_dir), "--set", f"webserver_node.port={self.port}"]
        for item in sets:
            args += ["--set", item]
        if only:
            args += ["--only", only]
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO,
                                        env=dict(os.environ))
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
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise AssertionError(f"launcher did not stop:\n{self.output()}") from None
        return self.process.returncode


def temp_data_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="deepracer-data-"))
