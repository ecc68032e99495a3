"""ROS 2 launch file for a car or laptop with ROS 2 installed (Jazzy or Kilted), after `colcon build`:

    ros2 launch launch/deepracer.launch.py [data_dir:=~/.deepracer] [config:=launch/car.yaml]

It reads the same launch/graph.yaml as our own launcher (`deepracer-launch`, for a plain venv), through the
same functions, so the two cannot describe different graphs or processes (tests/launch checks it), and refuses, as
the launcher does, a graph whose timeouts disagree (deepracer_common_pkg.timeout_chain): a node alone in
its process is a launch_ros Node; nodes that share a process run under deepracer_common_pkg's `process_host`, with
one parameters file keyed by each node's name, and each process at its niceness (`nice`; a negative one needs
root, as on the car).
"""

import tempfile
from pathlib import Path

import yaml
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from deepracer_common_pkg import timeout_chain
from deepracer_common_pkg.graph import (
    DEFAULT_DATA_DIR,
    ProcessSpec,
    group_processes,
    load_graph,
    ros_params_document,
    with_clock,
)

GRAPH = Path(__file__).resolve().with_name("graph.yaml")


def _process(process: ProcessSpec, work: Path):
    prefix = f"nice -n {process.niceness}" if process.niceness else None
    common = {"output": "screen", "respawn": True, "respawn_delay": 1.0, "prefix": prefix}
    if len(process.nodes) == 1:
        spec = process.nodes[0]
        return Node(package=spec.package, executable=spec.executable, name=spec.name,
                    namespace=spec.namespace or None, parameters=[spec.parameters], **common)
    params_file = work / f"{process.name}.params.yaml"
    params_file.write_text(yaml.safe_dump(ros_params_document(*process.nodes)))
    return Node(package="deepracer_common_pkg", executable="process_host", arguments=process.modules,
                ros_arguments=process.remaps, parameters=[str(params_file)], **common)


def _nodes(context):
    overlays = [Path(p) for p in LaunchConfiguration("config").perform(context).split(",") if p]
    data_dir = LaunchConfiguration("data_dir").perform(context)
    specs = load_graph(GRAPH, overlays, data_dir)
    timeout_chain.check_graph(specs)  # raised here, ros2 launch prints the reason and starts nothing
    work = Path(tempfile.mkdtemp(prefix="deepracer-launch-"))
    return [_process(process, work) for process in group_processes(with_clock(specs))]


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument("data_dir", default_value=DEFAULT_DATA_DIR,
                              description="where models, calibration and console files live"),
        DeclareLaunchArgument("config", default_value="",
                              description="comma-separated overlay files, e.g. launch/car.yaml"),
        OpaqueFunction(function=_nodes),
    ])
