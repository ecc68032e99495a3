"""The ROS 2 launch file run without ROS 2 launch: `launch` and `launch_ros` exist only on a ROS 2 install (not on
PyPI), so these fixtures stand in minimal recording versions of the five names launch/deepracer.launch.py uses, run
its generate_launch_description() and its opaque function, and give back what it would start."""

import importlib.util
import sys
import types
from pathlib import Path

import pytest

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


@pytest.fixture
def run_launch_file(launch_module):
    """context (launch arguments) -> (the declared defaults, the actions the opaque function returned), as
    `ros2 launch` would run it."""
    def run(context):
        description = launch_module.generate_launch_description()
        entities = description.args[0]
        defaults = {e.args[0]: e.kwargs["default_value"] for e in entities if "default_value" in e.kwargs}
        opaque = next(e for e in entities if "function" in e.kwargs)
        return defaults, opaque.kwargs["function"]({**defaults, **context})
    return run
