"""One way to run nodes, one or several in a process: init, spin, and a clean shutdown on Ctrl-C, SIGTERM or error.

rclpy's own signal handlers shut the context down the moment a signal arrives, after which nothing can be
published. We install our own instead: a signal only ends the spin loop, then each node's `on_shutdown()` runs
(in reverse start order) while its publishers still work (so a last neutral command goes out), and only then is
rclpy shut down.

The executor is rclpy's EventsExecutor (C++ dispatch, in Jazzy and Kilted): against the Python
SingleThreadedExecutor it took a policy result through navigation in 0.42 ms instead of 0.71 and halved
the navigation and servo nodes' CPU (make bench). It refuses guard conditions, so no node uses one. A node whose
callbacks block (a Wi-Fi join, a service call waiting on another node's answer) names its own executor in
`OWN_EXECUTOR`: it is then spun on a thread of its own, so it never holds up the other nodes of its process.

Once the nodes are built, everything allocated so far (rclpy, OpenVINO, numpy: some 54,000 objects) is moved out of
the garbage collector's reach with `gc.freeze()`: a full collection over them took 6.6 ms, two frames' worth of
latency at random moments; afterwards a collection only looks at what the nodes allocate while running.

The process heartbeats for every node it runs (heartbeat.py). Shutdown is nested try/finally: an error in a node's
on_shutdown (a backend that fails while writing neutral) still shuts the others down, destroys the nodes and shuts
rclpy down.
"""

from __future__ import annotations

import contextlib
import gc
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

import rclpy
from rclpy.executors import Executor, ExternalShutdownException
from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from deepracer_common_pkg.free_memory import release_free_memory
from deepracer_common_pkg.heartbeat import publish_heartbeats
from deepracer_common_pkg.thread_names import name_this_thread

# An idle executor wakes this often to see whether its context is still up: each wake-up costs ~2 ms of rebuilding
# its wait set, so it is rare; a stop does not wait for it (Spinner.stop interrupts the wait).
IDLE_SPIN_S = 5.0
# How often the main thread looks whether the ROS context ended by itself (a signal wakes it at once).
CONTEXT_CHECK_S = 1.0
# How long an executor's thread gets to finish its callback once shutdown began (the launcher's grace before
# SIGTERM is 8 s).
SPINNER_JOIN_S = 3.0


def run_node(make_node: Callable[[], Node], args: list[str] | None = None) -> None:
    run_nodes([make_node], args)


def stop_on_signals(stopping: threading.Event) -> dict[int, Any]:
    """Ctrl-C and SIGTERM set `stopping` instead of raising wherever the main thread is; the handlers they replace."""
    return {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}


def restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def run_nodes(makers: Sequence[Callable[[], Node]], args: list[str] | None = None,
              stopping: threading.Event | None = None) -> None:
    """Build the nodes in order, spin them until a signal or error, shut them down in reverse order. `stopping`: a
    caller's own stop request, already listening to the signals (a process host importing its nodes' modules).

    Every executor spins on a thread of its own while the main thread only waits for a signal: Python runs signal
    handlers on the main thread between bytecodes, never inside an executor's wait, which therefore had to return
    20 times a second just to let Ctrl-C in (a quarter of a core's percent per executor, for nothing)."""
    stopping = stopping or threading.Event()
    previous = stop_on_signals(stopping)
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    nodes: list[Node] = []
    spinners: list[Spinner] = []
    try:
        for make in makers:
            nodes.append(make())
        publish_heartbeats(nodes)
        gc.freeze()
        release_free_memory()  # what building the nodes needed and freed (imports, a demo model) goes back
        shared = [node for node in nodes if getattr(type(node), "OWN_EXECUTOR", None) is None]
        if shared:
            spinners.append(Spinner(EventsExecutor(), shared, "executor"))
        for node in nodes:
            own = getattr(type(node), "OWN_EXECUTOR", None)
            if own is not None:
                spinners.append(Spinner(own(), [node], f"{node.get_name()[:10]}-exec"))
        for spinner in spinners:
            spinner.start()
        while not stopping.wait(CONTEXT_CHECK_S) and rclpy.ok() and all(s.running for s in spinners):
            pass
    finally:
        stopping.set()
        try:
            for spinner in spinners:  # callbacks finish (bounded) before the nodes go
                spinner.stop(SPINNER_JOIN_S)
            _shut_down(list(reversed(nodes)))
        finally:
            rclpy.try_shutdown()
            restore_signals(previous)


class Spinner:
    """An executor spun on a thread of its own until `stop`: spin_once with a long timeout, never spin() (the
    EventsExecutor's spin() busy-waits: a whole core, measured), interrupted by the executor's shutdown."""

    def __init__(self, executor: Executor, nodes: Sequence[Node], thread_name: str) -> None:
        self._executor = executor
        self._context = nodes[0].context
        for node in nodes:
            executor.add_node(node)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._spin, args=(thread_name,), name=thread_name, daemon=True)

    def start(self) -> Spinner:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _spin(self, thread_name: str) -> None:
        name_this_thread(thread_name)
        with contextlib.suppress(KeyboardInterrupt, ExternalShutdownException):
            while not self._stopping.is_set() and self._context.ok():
                self._executor.spin_once(timeout_sec=IDLE_SPIN_S)

    def stop(self, timeout_s: float) -> None:
        self._stopping.set()
        self._executor.shutdown(timeout_sec=0)  # the wait in spin_once returns now
        self._thread.join(timeout_s)


def _shut_down(nodes: list[Node]) -> None:
    """Each node's on_shutdown, then destroy it; a failure in one still shuts the rest down, and is raised last."""
    if not nodes:
        return
    node, rest = nodes[0], nodes[1:]
    try:
        try:
            shutdown = getattr(node, "on_shutdown", None)
            if shutdown is not None:
                shutdown()
        finally:
            node.destroy_node()
    finally:
        _shut_down(rest)
