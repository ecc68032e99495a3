"""Run the car stack's node graph in a plain venv, where `ros2 launch` does not exist.

Each node runs as its own process, started in graph order. Children live in their own sessions so a
terminal Ctrl-C reaches only the launcher, which then stops them in reverse order (webserver and
camera first, servo last, so the last thing written to the wheels is neutral). A child that dies
unexpectedly is restarted with backoff; a child is also told to stop (SIGTERM) if the launcher itself dies.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from deepracer_common_pkg.graph import DEFAULT_DATA_DIR, GraphError, NodeSpec, load_graph, ros_params_document

STOP_GRACE_S = 8.0  # how long a node gets to publish neutral and exit after SIGINT
RESTART_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_UPTIME_S = 60.0  # a node that ran this long starts its backoff afresh after a crash
_PR_SET_PDEATHSIG = 1
# Loaded here, before any thread exists: a forked child must not dlopen (it could deadlock).
_LIBC = ctypes.CDLL(None, use_errno=True)


def isolated_environment(base: Mapping[str, str], log_dir: str) -> dict[str, str]:
    """DDS stays on this machine and in a domain of its own unless the caller already chose one."""
    env = dict(base)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
    env.setdefault("ROS_LOG_DIR", log_dir)
    env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def node_command(spec: NodeSpec, params_file: Path, python: str = sys.executable) -> list[str]:
    namespace = ["-r", f"__ns:={spec.namespace}"] if spec.namespace else []
    return [python, "-m", spec.module, "--ros-args", "-r", f"__node:={spec.name}", *namespace,
            "--params-file", str(params_file)]


def parse_set(assignments: list[str]) -> dict[str, dict[str, object]]:
    """`node.param=value` strings (value parsed as YAML) -> {node: {param: value}}."""
    result: dict[str, dict[str, object]] = {}
    for item in assignments:
        target, sep, raw = item.partition("=")
        node, dot, param = target.partition(".")
        if not sep or not dot or not node or not param:
            raise GraphError(f"--set {item!r}: expected NODE.PARAM=VALUE, e.g. webserver_node.port=8081")
        result.setdefault(node, {})[param] = yaml.safe_load(raw)
    return result


def _die_with_parent() -> None:
    """Child-side: get SIGTERM when the launcher dies, so no node outlives it holding the wheels."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class _Child:
    spec: NodeSpec
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0


class Supervisor:
    def __init__(self, specs: list[NodeSpec], work_dir: Path, env: dict[str, str], out=sys.stdout) -> None:
        self._env = env
        self._out = out
        self._out_lock = threading.Lock()
        self._stopping = threading.Event()
        self._children: list[_Child] = []
        for spec in specs:
            params_file = work_dir / f"{spec.name}.params.yaml"
            params_file.write_text(yaml.safe_dump(ros_params_document(spec)))
            self._children.append(_Child(spec, node_command(spec, params_file)))

    def say(self, line: str) -> None:
        with self._out_lock:
            print(line, file=self._out, flush=True)

    def _relay(self, name: str, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.say(f"[{name}] {raw.decode(errors='replace').rstrip()}")
        stream.close()

    def _start(self, child: _Child) -> None:
        child.process = subprocess.Popen(child.command, env=self._env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent)
        child.started_at = time.monotonic()
        threading.Thread(target=self._relay, args=(child.spec.name, child.process.stdout), daemon=True).start()

    def request_stop(self, *_: object) -> None:
        self._stopping.set()

    def run(self) -> int:
        """Start everything, supervise until asked to stop, then stop in reverse order."""
        for child in self._children:
            self._start(child)
        self.say(f"[launcher] started {len(self._children)} nodes; Ctrl-C stops them all")
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            for child in self._children:
                code = child.process.poll() if child.process else None
                if child.process is not None and code is not None:
                    if now - child.started_at > STABLE_UPTIME_S:
                        child.restarts = 0
                    delay = RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]
                    self.say(f"[launcher] {child.spec.name} exited with code {code}; restarting in {delay:.0f} s")
                    child.process, child.next_start = None, now + delay
                    child.restarts += 1
                elif child.process is None and now >= child.next_start:
                    self._start(child)
        return self.stop_all()

    def stop_all(self) -> int:
        worst = 0
        for child in reversed(self._children):
            process = child.process
            if process is None or process.poll() is not None:
                continue
            for sig, grace in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
                process.send_signal(sig)
                try:
                    process.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    self.say(f"[launcher] {child.spec.name} did not stop after {sig.name}")
            code = process.returncode
            self.say(f"[launcher] {child.spec.name} stopped (exit code {code})")
            worst = worst or (0 if code in (0, -signal.SIGINT) else 1)
        return worst


def default_graph_path() -> Path:
    """launch/graph.yaml of the checkout this package runs from (the venv installs the packages editable,
    and `ros2 launch` reads the same file beside its launch file), so the launcher works from any folder."""
    return Path(__file__).resolve().parents[3] / "launch" / "graph.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deepracer-launch", description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=default_graph_path(),
                        help="the node graph (YAML; default: the checkout's %(default)s)")
    parser.add_argument("--config", type=Path, action="append", default=[],
                        help="overlay of per-node parameters, e.g. launch/car.yaml (repeatable)")
    parser.add_argument("--data-dir", default=os.environ.get("DEEPRACER_DATA_DIR", DEFAULT_DATA_DIR),
                        help="where models, calibration and console files live (default %(default)s)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="NODE.PARAM=VALUE",
                        help="override one parameter (repeatable)")
    parser.add_argument("--only", default="", help="comma-separated node names to run (default: all)")
    args = parser.parse_args(argv)
    try:
        specs = load_graph(args.graph, args.config, args.data_dir)
        for name, params in parse_set(args.assignments).items():
            matches = [s for s in specs if s.name == name]
            if not matches:
                raise GraphError(f"--set: unknown node {name!r}; the graph has {[s.name for s in specs]}")
            matches[0].parameters.update(params)
        if args.only:
            wanted = {n.strip() for n in args.only.split(",") if n.strip()}
            unknown = wanted - {s.name for s in specs}
            if unknown:
                raise GraphError(f"--only: unknown node(s) {sorted(unknown)}")
            specs = [s for s in specs if s.name in wanted]
    except GraphError as error:
        print(f"deepracer-launch: {error}", file=sys.stderr)
        return 2
    Path(args.data_dir).expanduser().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deepracer-launch-") as work:
        env = isolated_environment(os.environ, str(Path(work) / "ros_log"))
        supervisor = Supervisor(specs, Path(work), env)
        signal.signal(signal.SIGINT, supervisor.request_stop)
        signal.signal(signal.SIGTERM, supervisor.request_stop)
        supervisor.say(f"[launcher] ROS_DOMAIN_ID={env['ROS_DOMAIN_ID']} discovery="
                       f"{env['ROS_AUTOMATIC_DISCOVERY_RANGE']} data={Path(args.data_dir).expanduser()}")
        return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
