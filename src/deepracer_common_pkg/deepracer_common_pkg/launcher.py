"""Run the car stack's node graph in a plain venv, where `ros2 launch` does not exist.

The graph's processes (graph.py: nodes that share one) are started in graph order, each at its niceness. Children
live in their own sessions so a terminal Ctrl-C reaches only the launcher, which then stops them in reverse order
(console first, servo last, so the last thing written to the wheels is neutral). A child that dies unexpectedly is
restarted with backoff; a child is also told to stop (SIGTERM) if the launcher itself dies.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from deepracer_common_pkg import timeout_chain
from deepracer_common_pkg.graph import (
    DEFAULT_DATA_DIR,
    GraphError,
    ProcessSpec,
    group_processes,
    load_graph,
    ros_params_document,
    with_clock,
)

STOP_GRACE_S = 8.0  # how long a node gets to publish neutral and exit after SIGINT
RESTART_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_UPTIME_S = 60.0  # a node that ran this long starts its backoff afresh after a crash
LOOK_AGAIN_S = 2.0  # the children are looked at on SIGCHLD, and at least this often (a run without the handler)
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


def process_command(process: ProcessSpec, params_file: Path, python: str = sys.executable) -> list[str]:
    """A node alone runs its own module, remapped to its graph name and namespace; several run under the process
    host."""
    if len(process.nodes) == 1:
        spec = process.nodes[0]
        namespace = ["-r", f"__ns:={spec.namespace}"] if spec.namespace else []
        return [python, "-m", spec.module, "--ros-args", "-r", f"__node:={spec.name}", *namespace,
                "--params-file", str(params_file)]
    return [python, "-m", "deepracer_common_pkg.process_host", *process.modules, "--ros-args", *process.remaps,
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


def _child_setup(niceness: int) -> Callable[[], None]:
    def setup() -> None:
        """Child-side: get SIGTERM when the launcher dies, so no node outlives it holding the wheels; take the
        process's niceness (a negative one needs root or CAP_SYS_NICE: without, the process runs at 0)."""
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if niceness:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, 0, niceness)
    return setup


def may_raise_priority() -> bool:
    """Can this launcher give its children a negative niceness?"""
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return os.geteuid() == 0 or soft > 20


@dataclass
class _Child:
    spec: ProcessSpec
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0


class Supervisor:
    def __init__(self, processes: list[ProcessSpec], work_dir: Path, env: dict[str, str], out=sys.stdout) -> None:
        self._env = env
        self._out = out
        self._out_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake = threading.Event()  # a stop asked, or a child exited (SIGCHLD): look at the children now
        self._children: list[_Child] = []
        for process in processes:
            params_file = work_dir / f"{process.name}.params.yaml"
            params_file.write_text(yaml.safe_dump(ros_params_document(*process.nodes)))
            self._children.append(_Child(process, process_command(process, params_file)))

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
                                         preexec_fn=_child_setup(child.spec.niceness))
        child.started_at = time.monotonic()
        threading.Thread(target=self._relay, args=(child.spec.prefix, child.process.stdout), daemon=True).start()

    @staticmethod
    def _describe(process: ProcessSpec) -> str:
        return process.label if process.niceness == 0 else f"{process.label} at niceness {process.niceness}"

    def request_stop(self, *_: object) -> None:
        self._stopping.set()
        self._wake.set()

    def child_exited(self, *_: object) -> None:
        """SIGCHLD's handler: the supervisor wakes for it, instead of looking at its children five times a second
        (an idle car's wake-ups all cost it CPU; issue 23)."""
        self._wake.set()

    def run(self) -> int:
        """Start everything, supervise until asked to stop, then stop in reverse order."""
        for child in self._children:
            self._start(child)
        nodes = sum(len(child.spec.nodes) for child in self._children)
        self.say(f"[launcher] started {nodes} nodes in {len(self._children)} processes "
                 f"({'; '.join(self._describe(c.spec) for c in self._children)}); Ctrl-C stops them all")
        if any(c.spec.niceness < 0 for c in self._children) and not may_raise_priority():
            self.say("[launcher] not root: every process runs at normal priority (on the car the stack runs as root, "
                     "and the servo process goes first on the CPU)")
        while not self._stopping.is_set():
            self._wake.clear()
            now = time.monotonic()
            for child in self._children:
                code = child.process.poll() if child.process else None
                if child.process is not None and code is not None:
                    if now - child.started_at > STABLE_UPTIME_S:
                        child.restarts = 0
                    delay = RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]
                    self.say(f"[launcher] {child.spec.label} exited with code {code}; restarting in {delay:.0f} s")
                    child.process, child.next_start = None, now + delay
                    child.restarts += 1
                elif child.process is None and now >= child.next_start:
                    self._start(child)
            restarts = [child.next_start for child in self._children if child.process is None]
            self._wake.wait(min([LOOK_AGAIN_S, *(max(0.0, at - time.monotonic()) for at in restarts)]))
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
                    self.say(f"[launcher] {child.spec.label} did not stop after {sig.name}")
            code = process.returncode
            self.say(f"[launcher] {child.spec.label} stopped (exit code {code})")
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
        timeout_chain.check_graph(specs)  # the whole graph, --only or not: the rest runs from the same graph
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
        supervisor = Supervisor(group_processes(with_clock(specs)), Path(work), env)
        signal.signal(signal.SIGINT, supervisor.request_stop)
        signal.signal(signal.SIGTERM, supervisor.request_stop)
        signal.signal(signal.SIGCHLD, supervisor.child_exited)
        supervisor.say(f"[launcher] ROS_DOMAIN_ID={env['ROS_DOMAIN_ID']} discovery="
                       f"{env['ROS_AUTOMATIC_DISCOVERY_RANGE']} data={Path(args.data_dir).expanduser()}")
        return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
