"""launch/deepracer.launch.py and deepracer-launch must start the same graph.

`launch` and `launch_ros` exist only on a ROS 2 install (not on PyPI), so this test stands in minimal
recording versions of the five names the launch file uses, runs its generate_launch_description() and
opaque function, and compares the nodes it would start with the launcher's plan.
"""

import importlib.util
import sys
import types
from pathlib import Path

import pytest
import yaml

from deepracer_common_pkg.graph import group_processes, load_graph, ros_params_document

REPO = Path(__file__).resolve().parents[2]


class _Recorded:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class _LaunchConfiguration:
    def __init__(self, name):
        self.name = name

    def perform(self, context):
        return context[self.name]


@pytest.fixture
def launch_module(monkeypatch):
    modules = {name: types.ModuleType(name) for name in
               ("launch", "launch.actions", "launch.substitutions", "launch_ros", "launch_ros.actions")}
    modules["launch"].LaunchDescription = _Recorded
    modules["launch.actions"].DeclareLaunchArgument = _Recorded
    modules["launch.actions"].OpaqueFunction = _Recorded
    modules["launch.substitutions"].LaunchConfiguration = _LaunchConfiguration
    modules["launch_ros.actions"].Node = _Recorded
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location("deepracer_launch_file", REPO / "launch" / "deepracer.launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nodes_from_launch_file(module, context):
    description = module.generate_launch_description()
    entities = description.args[0]
    defaults = {e.args[0]: e.kwargs["default_value"] for e in entities if "default_value" in e.kwargs}
    opaque = next(e for e in entities if "function" in e.kwargs)
    return defaults, opaque.kwargs["function"]({**defaults, **context})


@pytest.mark.parametrize("overlays", [[], ["launch/car.yaml"]])
def test_launch_file_starts_the_launchers_processes(launch_module, overlays, tmp_path):
    config = ",".join(str(REPO / o) for o in overlays)
    _, started = _nodes_from_launch_file(launch_module, {"config": config, "data_dir": str(tmp_path)})
    expected = group_processes(load_graph(REPO / "launch" / "graph.yaml", [REPO / o for o in overlays],
                                          str(tmp_path)))
    assert len(started) == len(expected)
    for action, process in zip(started, expected, strict=True):
        launched = action.kwargs
        assert launched["respawn"]
        assert launched["prefix"] == (f"nice -n {process.niceness}" if process.niceness else None)
        if len(process.nodes) == 1:
            spec = process.nodes[0]
            assert (launched["package"], launched["executable"], launched["name"], launched["namespace"],
                    launched["parameters"]) == (spec.package, spec.executable, spec.name, spec.namespace or None,
                                                [spec.parameters])
            continue
        assert (launched["package"], launched["executable"]) == ("deepracer_common_pkg", "process_host")
        assert launched["arguments"] == process.modules
        assert launched["ros_arguments"] == process.remaps
        params = yaml.safe_load(Path(launched["parameters"][0]).read_text())
        assert params == ros_params_document(*process.nodes)


def test_the_process_host_is_an_installed_console_script():
    setup_py = (REPO / "src" / "deepracer_common_pkg" / "setup.py").read_text()
    assert '"process_host = deepracer_common_pkg.process_host:main"' in setup_py


def test_launch_file_defaults_match_launcher(launch_module):
    from deepracer_common_pkg.graph import DEFAULT_DATA_DIR

    defaults, _ = _nodes_from_launch_file(launch_module, {})
    assert defaults == {"data_dir": DEFAULT_DATA_DIR, "config": ""}
