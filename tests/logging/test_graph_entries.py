"""The graph runs the logger where event tools look, and the console lists the folder the logger writes."""

from __future__ import annotations

from pathlib import Path

from deepracer_common_pkg import names
from deepracer_common_pkg.graph import ProcessSpec, load_graph, ros_params_document
from deepracer_common_pkg.launcher import process_command

REPO = Path(__file__).resolve().parents[2]
GRAPH = REPO / "launch" / "graph.yaml"


def test_on_a_laptop_runs_go_to_the_data_dir_and_the_console_lists_that_folder():
    specs = {s.name: s for s in load_graph(GRAPH, data_dir="/data")}
    assert specs["bag_log_node"].parameters["output_path"] == "/data/logs"
    assert specs["webserver_node"].parameters["runs_root"] == "/data/logs"


def test_on_the_car_runs_go_where_the_original_logger_kept_them():
    specs = {s.name: s for s in load_graph(GRAPH, [REPO / "launch" / "car.yaml"], data_dir="/d")}
    assert specs["bag_log_node"].parameters["output_path"] == "/opt/aws/deepracer/logs"
    assert specs["webserver_node"].parameters["runs_root"] == "/opt/aws/deepracer/logs"


def test_the_logger_starts_before_navigation_so_it_is_listening_when_a_run_starts():
    order = [s.name for s in load_graph(GRAPH, data_dir="/data")]
    assert order.index("bag_log_node") < order.index("navigation_node")


def test_the_logger_is_the_node_drem_asks_for_output_path_and_its_parameters_reach_it_there(tmp_path):
    """DREM runs `ros2 param get /logging_pkg/bag_log_node output_path`: the graph names the node so, the node
    names itself so when run alone, and the parameters file is keyed by that full name (a bare name would not
    reach a node in a namespace)."""
    spec = {s.executable: s for s in load_graph(GRAPH, data_dir="/data")}["logging_node"]
    assert spec.ros_name == f"{names.LOGGING_NODE_NAMESPACE}/{names.LOGGING_NODE_NAME}" == "/logging_pkg/bag_log_node"
    assert list(ros_params_document(spec)) == ["/logging_pkg/bag_log_node"]
    command = process_command(ProcessSpec("logging", (spec,)), tmp_path / "p.yaml", python="py")
    assert command[command.index("--ros-args"):] == ["--ros-args", "-r", "__node:=bag_log_node",
                                                     "-r", "__ns:=/logging_pkg", "--params-file",
                                                     str(tmp_path / "p.yaml")]
