"""The graph description both launchers read: structure, overlays, {data_dir}, and clear errors."""

from pathlib import Path

import pytest
import yaml

from deepracer_common_pkg.graph import GraphError, group_processes, load_graph, ros_params_document, with_clock
from deepracer_common_pkg.launcher import parse_set, process_command

REPO = Path(__file__).resolve().parents[2]
GRAPH = REPO / "launch" / "graph.yaml"


def test_graph_lists_every_node_once_with_servo_first_and_the_fleet_link_last():
    specs = load_graph(GRAPH, data_dir="/data")
    assert [s.name for s in specs] == ["servo_node", "sim_node", "bag_log_node", "navigation_node",
                                       "inference_node", "camera_node", "system_node", "webserver_node",
                                       "compat_node", "fleet_node"]
    assert specs[0].parameters["calibration_path"] == "/data/calibration.json"
    by_name = {s.name: s for s in specs}
    assert by_name["inference_node"].parameters["models_root"] == by_name["webserver_node"].parameters["models_root"] \
        == by_name["system_node"].parameters["models_root"] == "/data/models"  # USB sticks import where models load


def test_by_default_the_servo_writes_the_files_the_simulator_reads_and_the_camera_renders_its_view():
    specs = {s.name: s for s in load_graph(GRAPH, data_dir="/data")}
    assert specs["servo_node"].parameters["simulated_output_dir"] == specs["sim_node"].parameters["pwm_dir"]
    assert specs["sim_node"].parameters["calibration_path"] == specs["servo_node"].parameters["calibration_path"]
    assert specs["camera_node"].parameters["source"] == "sim"


def test_every_node_is_an_installed_module_and_a_console_script():
    """Our launcher runs `python -m package.executable`; ros2 launch runs the console script: both must exist."""
    import importlib.util

    for spec in load_graph(GRAPH):
        assert importlib.util.find_spec(spec.module) is not None, spec.module
        setup_py = (REPO / "src" / spec.package / "setup.py").read_text()
        assert f'"{spec.executable} = {spec.module}:main"' in setup_py


def test_car_overlay_selects_real_hardware():
    specs = {s.name: s for s in load_graph(GRAPH, [REPO / "launch" / "car.yaml"], data_dir="/d")}
    assert specs["servo_node"].parameters["backend"] == "sysfs"
    assert specs["camera_node"].parameters["source"] == "auto"
    assert specs["servo_node"].parameters["calibration_path"] == "/d/calibration.json"
    assert "sim_node" not in specs and specs["servo_node"].parameters["simulated_output_dir"] == ""
    system = specs["system_node"].parameters
    assert (system["battery_backend"], system["network_backend"], system["led_backend"], system["ssh_backend"]) == \
        ("i2c_gauge", "nmcli", "gpio", "systemd")
    assert system["usb_require_mount_point"] is True


def test_data_dir_expands_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    specs = load_graph(GRAPH, data_dir="~/cars")
    assert specs[0].parameters["calibration_path"] == f"{tmp_path}/cars/calibration.json"


@pytest.mark.parametrize(("text", "message"), [
    ("nodes: 3", "expected a mapping with a 'nodes' list"),
    ("nodes:\n  - package: camera_pkg", "needs 'package' and 'executable'"),
    ("nodes:\n  - {package: a, executable: b}\n  - {package: c, executable: b}", "node names must be unique"),
    ("nodes: [\n", "not valid YAML"),
    ("nodes:\n  - {package: a, executable: b, namespace: ns}", "must be an absolute ROS namespace"),
])
def test_malformed_graph_names_the_problem(tmp_path, text, message):
    path = tmp_path / "graph.yaml"
    path.write_text(text)
    with pytest.raises(GraphError, match=message) as error:
        load_graph(path)
    assert str(path) in str(error.value)


def test_overlay_for_unknown_node_is_refused(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("no_such_node: {x: 1}\n")
    with pytest.raises(GraphError, match="unknown node 'no_such_node'"):
        load_graph(GRAPH, [overlay])


def test_params_file_document_and_command(tmp_path):
    spec = load_graph(GRAPH, data_dir="/d")[0]
    document = ros_params_document(spec)
    assert document == {"servo_node": {"ros__parameters": spec.parameters}}
    assert yaml.safe_load(yaml.safe_dump(document)) == document
    command = process_command(group_processes([spec])[0], tmp_path / "p.yaml", python="py")
    assert command == ["py", "-m", "servo_pkg.servo_node", "--ros-args", "-r", "__node:=servo_node",
                       "--params-file", str(tmp_path / "p.yaml")]


def test_the_car_runs_in_three_processes_with_the_servo_alone_and_first_on_the_cpu():
    """Why: every Python process costs ~65 MB and a DDS participant, and frames serialised between processes cost
    more than their real work on the car's Atom (issue 23); the servo node stays alone beside its guard."""
    processes = group_processes(load_graph(GRAPH, [REPO / "launch" / "car.yaml"], data_dir="/d"))
    assert [(p.name, [n.name for n in p.nodes], p.niceness) for p in processes] == [
        ("servo", ["servo_node"], -10),
        ("drive", ["bag_log_node", "navigation_node", "inference_node", "camera_node"], -5),
        ("console", ["system_node", "webserver_node", "compat_node", "fleet_node"], 0),
    ]


def test_a_shared_process_runs_under_the_host_with_every_nodes_parameters_by_full_name(tmp_path):
    drive = next(p for p in group_processes(load_graph(GRAPH, data_dir="/d")) if p.name == "drive")
    command = process_command(drive, tmp_path / "p.yaml", python="py")
    assert command[:7] == ["py", "-m", "deepracer_common_pkg.process_host", "logging_pkg.logging_node",
                           "navigation_pkg.navigation_node", "inference_pkg.inference_node", "camera_pkg.camera_node"]
    # Node-specific remaps only: a plain __node:= or __ns:= would rename every node of the process.
    assert command[7:] == ["--ros-args", "-r", "logging_node:__node:=bag_log_node",
                           "-r", "bag_log_node:__ns:=/logging_pkg", "--params-file", str(tmp_path / "p.yaml")]
    document = ros_params_document(*drive.nodes)
    assert list(document) == ["/logging_pkg/bag_log_node", "navigation_node", "inference_node", "camera_node"]
    assert document["camera_node"]["ros__parameters"]["source"] == "sim"


def test_with_the_simulator_every_other_node_runs_on_simulated_time_and_on_the_car_none_does():
    """Issue 26: one clock, the simulator's in simulation (ROS 2's /clock and use_sim_time), the car's otherwise;
    decided after filters, so a few nodes run without the simulator keep the car's clock."""
    laptop = {s.name: s for s in with_clock(load_graph(GRAPH, data_dir="/d"))}
    assert laptop["sim_node"].provides_clock and "use_sim_time" not in laptop["sim_node"].parameters
    assert all(s.parameters["use_sim_time"] is True for name, s in laptop.items() if name != "sim_node")
    car = with_clock(load_graph(GRAPH, [REPO / "launch" / "car.yaml"], data_dir="/d"))
    assert not any("use_sim_time" in s.parameters for s in car)
    few = with_clock([s for s in load_graph(GRAPH, data_dir="/d") if s.name in ("servo_node", "navigation_node")])
    assert not any("use_sim_time" in s.parameters for s in few)


def test_leaving_nodes_out_keeps_the_rest_of_their_process(tmp_path):
    specs = [s for s in load_graph(GRAPH, data_dir="/d") if s.name in ("navigation_node", "servo_node")]
    assert [(p.name, [n.name for n in p.nodes]) for p in group_processes(specs)] == [
        ("servo", ["servo_node"]), ("drive", ["navigation_node"])]


@pytest.mark.parametrize(("processes", "message"), [
    ("processes: {p: {nodes: [nope]}}", "names 'nope', which is not in 'nodes'"),
    ("processes: {p: {nodes: [a]}, q: {nodes: [a]}}", "a is in two processes"),
    ("processes: {p: {nodes: [a], niceness: -30}}", "niceness -20..19"),
    ("processes: {p: {nodes: []}}", "needs a 'nodes' list"),
])
def test_malformed_processes_name_the_problem(tmp_path, processes, message):
    path = tmp_path / "graph.yaml"
    path.write_text(f"{processes}\nnodes:\n  - {{package: x, executable: a}}\n")
    with pytest.raises(GraphError, match=message):
        load_graph(path)


def test_set_assignments_parse_values_as_yaml():
    assert parse_set(["webserver_node.port=8081", "camera_node.source=file:/x.mp4", "a.b=true"]) == {
        "webserver_node": {"port": 8081}, "camera_node": {"source": "file:/x.mp4"}, "a": {"b": True}}
    with pytest.raises(GraphError, match=r"NODE\.PARAM=VALUE"):
        parse_set(["port=8081"])
