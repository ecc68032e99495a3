"""The graph runs the logger where event tools look, and the console lists the folder the logger writes."""

from __future__ import annotations

from pathlib import Path

from deepracer_common_pkg.graph import load_graph

REPO = Path(__file__).resolve().parents[2]
GRAPH = REPO / "launch" / "graph.yaml"


def test_on_a_laptop_runs_go_to_the_data_dir_and_the_console_lists_that_folder():
    specs = {s.name: s for s in load_graph(GRAPH, data_dir="/data")}
    assert specs["logging_node"].parameters["output_path"] == "/data/logs"
    assert specs["webserver_node"].parameters["runs_root"] == "/data/logs"


def test_on_the_car_runs_go_where_the_original_logger_kept_them():
    specs = {s.name: s for s in load_graph(GRAPH, [REPO / "launch" / "car.yaml"], data_dir="/d")}
    assert specs["logging_node"].parameters["output_path"] == "/opt/aws/deepracer/logs"
    assert specs["webserver_node"].parameters["runs_root"] == "/opt/aws/deepracer/logs"


def test_the_logger_starts_before_navigation_so_it_is_listening_when_a_run_starts():
    order = [s.name for s in load_graph(GRAPH, data_dir="/data")]
    assert order.index("logging_node") < order.index("navigation_node")
