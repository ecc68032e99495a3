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

import rclpy
from rclpy.executors import Executor, ExternalShutdownException
from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from deepracer_common_pkg.heartbeat import publish_heartbeats

# How often the spin loop returns to Python, where signal handlers run: the bound on reacting to Ctrl-C.
SIGNAL_CHECK_S = 0.05
# How long a node's own executor thread gets to finish its callback once shutdown began (the launcher's grace
# before SIGTERM is 8 s).
OWN_EXECUTOR_JOIN_S = 3.0


def run_node(make_node: Callable[[], Node], args: list[str] | None = None) -> None:
    run_nodes([make_node], args)


def run_nodes(makers: Sequence[Callable[[], Node]], args: list[str] | None = None) -> None:
    """Build the nodes in order, spin them until a signal or error, shut them down in reverse order."""
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    nodes: list[Node] = []
    spinners: list[tuple[Executor, threading.Thread]] = []
    try:
        for make in makers:
            nodes.append(make())
        publish_heartbeats(nodes)
        gc.freeze()
        executor = EventsExecutor()
        for node in nodes:
            own = getattr(type(node), "OWN_EXECUTOR", None)
            if own is None:
                executor.add_node(node)
                continue
            spinner = own()
            spinner.add_node(node)
            thread = threading.Thread(target=spin_until, args=(spinner, stopping),
                                      name=f"{node.get_name()}-executor", daemon=True)
            thread.start()
            spinners.append((spinner, thread))
        spin_until(executor, stopping)
    finally:
        stopping.set()
        try:
            for _, thread in spinners:  # their callbacks finish (bounded) before their nodes go
                thread.join(OWN_EXECUTOR_JOIN_S)
            _shut_down(list(reversed(nodes)))
        finally:
            rclpy.try_shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def spin_until(executor: Executor, stopping: threading.Event) -> None:
    """spin_once with a timeout, never spin(): the EventsExecutor's spin() busy-waits (a whole core, measured)."""
    with contextlib.suppress(KeyboardInterrupt, ExternalShutdownException):
        while not stopping.is_set() and rclpy.ok():
            executor.spin_once(timeout_sec=SIGNAL_CHECK_S)


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
