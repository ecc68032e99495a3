"""The node graph description, read by both the ROS 2 launch file and our own launcher.

`launch/graph.yaml` lists the nodes in start order with the parameters the stack runs with (and a node's ROS
namespace where outside tools expect one: the logger is /logging_pkg/bag_log_node); overlay
files (e.g. `launch/car.yaml` for real hardware) change parameters per node, or leave a node out (`name: false`,
as the real car leaves out the simulator). `{data_dir}` in a string
parameter is replaced by the folder the car keeps its files in. Parameters not named keep the node's
own defaults (the config dataclass in each package's core).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    @property
    def ros_name(self) -> str:
        """The node's fully qualified name, which a parameters file is keyed by."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def module(self) -> str:
        """The Python module our launcher runs; by convention the executable's name."""
        return f"{self.package}.{self.executable}"


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
        specs.append({"package": entry["package"], "executable": entry["executable"],
                      "name": entry.get("name", entry["executable"]), "parameters": dict(parameters),
                      "namespace": namespace})
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
    return [
        NodeSpec(s["package"], s["executable"], s["name"],
                 {key: _substitute(value, data_dir) for key, value in s["parameters"].items()}, s["namespace"])
        for s in specs if s["name"] not in left_out
    ]


def ros_params_document(spec: NodeSpec) -> dict[str, Any]:
    """The node's parameters as a ROS 2 --params-file document."""
    return {spec.ros_name: {"ros__parameters": dict(spec.parameters)}}
