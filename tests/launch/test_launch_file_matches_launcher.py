"""launch/deepracer.launch.py and deepracer-launch must start the same graph: the launch file is run without ROS 2
launch (conftest.py), and the nodes it would start are compared with the launcher's plan."""

from pathlib import Path

import pytest
import yaml

from deepracer_common_pkg.graph import group_processes, load_graph, ros_params_document, with_clock

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("overlays", [[], ["launch/car.yaml"]])
def test_launch_file_starts_the_launchers_processes(run_launch_file, overlays, tmp_path):
    config = ",".join(str(REPO / o) for o in overlays)
    _, started = run_launch_file({"config": config, "data_dir": str(tmp_path)})
    graph = load_graph(REPO / "launch" / "graph.yaml", [REPO / o for o in overlays], str(tmp_path))
    expected = group_processes(with_clock(graph))
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


def test_launch_file_defaults_match_launcher(run_launch_file):
    from deepracer_common_pkg.graph import DEFAULT_DATA_DIR

    defaults, _ = run_launch_file({})
    assert defaults == {"data_dir": DEFAULT_DATA_DIR, "config": ""}
