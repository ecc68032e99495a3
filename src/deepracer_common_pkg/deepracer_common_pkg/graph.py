"""The node graph description, read by both the ROS 2 launch file and our own launcher.

`launch/graph.yaml` lists the nodes in start order with the parameters the stack runs with (and a node's ROS
namespace where outside tools expect one: the logger is /logging_pkg/bag_log_node); overlay
files (e.g. `launch/car.yaml` for real hardware) change parameters per node, or leave a node out (`name: false`,
as the real car leaves out the simulator). `{data_dir}` in a string
parameter is replaced by the folder the car keeps its files in. Parameters not named keep the node's
own defaults (the config dataclass in each package's core).

Its `processes` section says which nodes share one process, and at what CPU priority (niceness) each process runs.
Why share: on the car's 2-core Atom every Python process costs some 65 MB and its own DDS participant, and a frame
serialised between processes three times cost more than the frame's real work; nodes that share a process hand
frames on in-process (hosted_topics.py) while every topic stays published for outside readers. A node in no listed
process runs alone. Processes start in the order of their first node and stop in reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DATA_DIR = "~/.deepracer"


class GraphError(ValueError):
    """The graph or an overlay file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class NodeSpec:
    package: str
    executable: str
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    namespace: str = ""  # "/logging_pkg"; "" = the root namespace
    process: str = ""  # the process it shares with others ("" = its own name)
    niceness: int = 0  # that process's
    provides_clock: bool = False  # publishes /clock (the simulator): see with_clock

    @property
    def ros_name(self) -> str:
        """The node's fully qualified name, which a parameters file is keyed by."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def module(self) -> str:
        """The Python module our launcher runs; by convention the executable's name."""
        return f"{self.package}.{self.executable}"


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the running stack: its nodes in start order, and its niceness (negative needs root)."""

    name: str
    nodes: tuple[NodeSpec, ...]
    niceness: int = 0

    @property
    def modules(self) -> list[str]:
        return [spec.module for spec in self.nodes]

    @property
    def remaps(self) -> list[str]:
        """--ros-args remaps that give each node of a shared process its graph name and namespace: node-specific
        (`camera_node:__node:=front`), since a plain `__node:=` would rename every node of the process; a remap
        names the node by its default name, by convention its executable's."""
        arguments: list[str] = []
        for spec in self.nodes:
            if spec.name != spec.executable:
                arguments += ["-r", f"{spec.executable}:__node:={spec.name}"]
            if spec.namespace:
                arguments += ["-r", f"{spec.name}:__ns:={spec.namespace}"]
        return arguments

    @property
    def prefix(self) -> str:
        """What its output lines are prefixed with: a lone node's name, else the process's."""
        return self.nodes[0].name if len(self.nodes) == 1 else self.name

    @property
    def label(self) -> str:
        """How the launcher names it: which nodes, so a message says what stopped."""
        if len(self.nodes) == 1:
            return self.nodes[0].name
        return f"{self.name} process ({'+'.join(spec.name for spec in self.nodes)})"


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except OSError as error:
        raise GraphError(f"{path}: cannot read it ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise GraphError(f"{path}: not valid YAML ({error})") from error


def _substitute(value: Any, data_dir: str) -> Any:
    if isinstance(value, str):
        return value.replace("{data_dir}", data_dir)
    if isinstance(value, list):
        return [_substitute(v, data_dir) for v in value]
    return value


def load_graph(graph_path: Path, overlays: list[Path] | None = None,
               data_dir: str = DEFAULT_DATA_DIR) -> list[NodeSpec]:
    """Read the graph, apply overlays in order, substitute `{data_dir}`; return nodes in start order."""
    data_dir = str(Path(data_dir).expanduser())
    document = _read_yaml(graph_path)
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        raise GraphError(f"{graph_path}: expected a mapping with a 'nodes' list")
    specs: list[dict[str, Any]] = []
    for index, entry in enumerate(document["nodes"]):
        if not isinstance(entry, dict) or not {"package", "executable"} <= entry.keys():
            raise GraphError(f"{graph_path}: nodes[{index}] needs 'package' and 'executable', found {entry!r}")
        parameters = entry.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise GraphError(f"{graph_path}: nodes[{index}].parameters must be a mapping")
        namespace = entry.get("namespace", "")
        if not isinstance(namespace, str) or (namespace and not namespace.startswith("/")):
            raise GraphError(f"{graph_path}: nodes[{index}].namespace must be an absolute ROS namespace such as "
                             f"/logging_pkg, found {namespace!r}")
        provides_clock = entry.get("clock", False)
        if not isinstance(provides_clock, bool):
            raise GraphError(f"{graph_path}: nodes[{index}].clock must be true or false, found {provides_clock!r}")
        specs.append({"package": entry["package"], "executable": entry["executable"],
                      "name": entry.get("name", entry["executable"]), "parameters": dict(parameters),
                      "namespace": namespace, "clock": provides_clock})
    by_name = {spec["name"]: spec for spec in specs}
    if len(by_name) != len(specs):
        raise GraphError(f"{graph_path}: node names must be unique")
    left_out: set[str] = set()
    for overlay in overlays or []:
        changes = _read_yaml(overlay) or {}
        if not isinstance(changes, dict):
            raise GraphError(f"{overlay}: expected a mapping of node name to parameters")
        for name, parameters in changes.items():
            if name not in by_name:
                raise GraphError(f"{overlay}: unknown node {name!r}; the graph has {sorted(by_name)}")
            if parameters is False:
                left_out.add(name)
                continue
            if not isinstance(parameters, dict):
                raise GraphError(f"{overlay}: {name} must map parameter names to values (or be false to leave "
                                 f"the node out)")
            by_name[name]["parameters"].update(parameters)
    membership = _process_membership(graph_path, document.get("processes"), set(by_name))
    return [
        NodeSpec(s["package"], s["executable"], s["name"],
                 {key: _substitute(value, data_dir) for key, value in s["parameters"].items()}, s["namespace"],
                 *membership.get(s["name"], (s["name"], 0)), s["clock"])
        for s in specs if s["name"] not in left_out
    ]


def _process_membership(graph_path: Path, processes: Any, node_names: set[str]) -> dict[str, tuple[str, int]]:
    """node name -> (process name, niceness), from the graph's `processes` section."""
    if processes is None:
        return {}
    if not isinstance(processes, dict):
        raise GraphError(f"{graph_path}: 'processes' must map process names to {{nodes: [...], niceness: N}}")
    membership: dict[str, tuple[str, int]] = {}
    for process, entry in processes.items():
        nodes = entry.get("nodes") if isinstance(entry, dict) else None
        niceness = entry.get("niceness", 0) if isinstance(entry, dict) else None
        if not isinstance(nodes, list) or not nodes or isinstance(niceness, bool) or not isinstance(niceness, int) \
                or not -20 <= niceness <= 19:
            raise GraphError(f"{graph_path}: processes.{process} needs a 'nodes' list and, optionally, a niceness "
                             f"-20..19; found {entry!r}")
        for name in nodes:
            if name not in node_names:
                raise GraphError(f"{graph_path}: processes.{process} names {name!r}, which is not in 'nodes'")
            if name in membership:
                raise GraphError(f"{graph_path}: {name} is in two processes ({membership[name][0]}, {process})")
            membership[name] = (str(process), niceness)
    return membership


def with_clock(specs: list[NodeSpec]) -> list[NodeSpec]:
    """The nodes as they run: while a node that provides the clock (the simulator) is among them, every other node
    reads simulated time (ROS 2's `use_sim_time`, deepracer_common_pkg.stack_clock); without one, the car's own
    clock. Applied after overlays and filters (a test that runs a few nodes without the simulator runs them on the
    car's clock), by both launchers."""
    simulated = any(spec.provides_clock for spec in specs)
    return [spec if spec.provides_clock or not simulated or "use_sim_time" in spec.parameters
            else replace(spec, parameters={**spec.parameters, "use_sim_time": True}) for spec in specs]


def group_processes(specs: list[NodeSpec]) -> list[ProcessSpec]:
    """The processes that run `specs` (as load_graph returned them, maybe filtered), in start order: each process
    starts where its first node stands in the graph's order, and holds its nodes in that order."""
    grouped: dict[str, list[NodeSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.process or spec.name, []).append(spec)
    return [ProcessSpec(name, tuple(nodes), nodes[0].niceness) for name, nodes in grouped.items()]


def ros_params_document(*specs: NodeSpec) -> dict[str, Any]:
    """The nodes' parameters as one ROS 2 --params-file document (each node finds its own by its full name)."""
    return {spec.ros_name: {"ros__parameters": dict(spec.parameters)} for spec in specs}
