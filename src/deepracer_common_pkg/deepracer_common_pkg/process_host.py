"""Run several nodes of the graph in one process: `process_host MODULE [MODULE ...] [--ros-args ...]`.

Each MODULE is a node's module (`camera_pkg.camera_node`: the graph's package.executable) and defines exactly one
rclpy Node class, which is built in the order given. The process tells hosted_topics which nodes it runs, so a
node reading a frame-path topic another node of this process produces takes it in-process (no serialisation, no
DDS hop, on the producer's thread) while the topic stays published for every reader outside the process.

`--ros-args` are rclpy's: one `--params-file` holds every node's parameters under its own name, and a node the graph
renames is remapped by its default name (`-r camera_node:__node:=front_camera`).

Ctrl-C or SIGTERM is heard from the first line on: the modules take seconds to import (OpenVINO, OpenCV, rclpy), and
a stop that came meanwhile (the launcher stopping the graph just after it restarted this process) was raised inside
an import and ended the process with "cannot import it (initialization failed)" and exit code 2. Now the imports
finish and the process stops in order, with exit code 0.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading

from rclpy.node import Node

from deepracer_common_pkg import hosted_topics
from deepracer_common_pkg.node_main import restore_signals, run_nodes, stop_on_signals


class HostError(ValueError):
    """A module that is not a node module; the message names it."""


def node_class(module_name: str) -> type[Node]:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise HostError(f"{module_name}: cannot import it ({error})") from error
    classes = [value for value in vars(module).values()
               if inspect.isclass(value) and issubclass(value, Node) and value.__module__ == module_name]
    if len(classes) != 1:
        raise HostError(f"{module_name}: expected one rclpy Node class defined in it, found "
                        f"{[c.__name__ for c in classes]}")
    return classes[0]


def default_node_name(node_type: type[Node]) -> str:
    """The name a node class gives itself: by convention its module's last part (camera_pkg.camera_node)."""
    return node_type.__module__.rsplit(".", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--ros-args") if "--ros-args" in argv else len(argv)
    modules, ros_args = argv[:split], argv[split:]
    if not modules:
        print("process_host: name at least one node module, e.g. camera_pkg.camera_node", file=sys.stderr)
        return 2
    stopping = threading.Event()
    previous = stop_on_signals(stopping)
    try:
        try:
            classes = [node_class(module) for module in modules]
        except HostError as error:
            print(f"process_host: {error}", file=sys.stderr)
            return 2
        if not stopping.is_set():
            hosted_topics.host({default_node_name(cls) for cls in classes})
            run_nodes(classes, [sys.argv[0], *ros_args], stopping)
        return 0
    finally:
        restore_signals(previous)


if __name__ == "__main__":
    sys.exit(main())
