"""ROS 2 launch file for a car or laptop with ROS 2 installed (Jazzy or Kilted), after `colcon build`:

    ros2 launch launch/deepracer.launch.py [data_dir:=~/.deepracer] [config:=launch/car.yaml]

It reads the same launch/graph.yaml as our own launcher (`deepracer-launch`, for a plain venv), through the
same function, so the two cannot describe different graphs (tests/launch checks it).
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from deepracer_common_pkg.graph import DEFAULT_DATA_DIR, load_graph

GRAPH = Path(__file__).resolve().with_name("graph.yaml")


def _nodes(context):
    overlays = [Path(p) for p in LaunchConfiguration("config").perform(context).split(",") if p]
    data_dir = LaunchConfiguration("data_dir").perform(context)
    return [
        Node(package=spec.package, executable=spec.executable, name=spec.name, namespace=spec.namespace or None,
             parameters=[spec.parameters], output="screen", respawn=True, respawn_delay=1.0)
        for spec in load_graph(GRAPH, overlays, data_dir)
    ]


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument("data_dir", default_value=DEFAULT_DATA_DIR,
                              description="where models, calibration and console files live"),
        DeclareLaunchArgument("config", default_value="",
                              description="comma-separated overlay files, e.g. launch/car.yaml"),
        OpaqueFunction(function=_nodes),
    ])
