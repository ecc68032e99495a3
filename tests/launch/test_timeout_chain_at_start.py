"""Issue 26, item 5: the timeout chain checks itself at start. A graph whose timeouts disagree (navigation's command
repeat not below the servo's command timeout; decisions slower than navigation's autonomous timeout) is refused by
both launchers before any process starts, with the reason naming both parameters and their values and what to
change. `deepracer-launch` runs as a real process; the launch file runs without ROS 2 launch (conftest.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from deepracer_common_pkg.graph import GraphError

REPO = Path(__file__).resolve().parents[2]


def launch(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    """deepracer-launch on a data folder that does not exist yet: it is made just before the first process starts,
    so a refusal that leaves it missing came before anything started."""
    return subprocess.run([sys.executable, "-m", "deepracer_common_pkg.launcher", "--data-dir",
                           str(tmp_path / "car"), *arguments], capture_output=True, text=True, timeout=60)


def refused_before_start(tmp_path: Path, result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "[launcher] started" not in result.stdout
    assert not (tmp_path / "car").exists()
    return result.stderr


def test_the_launcher_refuses_a_command_repeat_the_servo_does_not_wait_for(tmp_path):
    message = refused_before_start(tmp_path, launch(tmp_path, "--set", "navigation_node.command_repeat_s=0.3"))
    assert message.startswith("deepracer-launch: the graph's timeouts disagree, so nothing was started")
    assert "navigation_node.command_repeat_s 0.3 s plus navigation_node.watchdog_period_s 0.05 s is not below " \
           "servo_node.command_timeout_s 0.25 s" in message
    assert "Set navigation_node.command_repeat_s below 0.2 s or servo_node.command_timeout_s above 0.35 s" in message
    assert "Traceback" not in message


def test_the_launcher_refuses_a_servo_timeout_from_an_overlay_below_the_repeat(tmp_path):
    overlay = tmp_path / "fast-servo.yaml"
    overlay.write_text("servo_node: {command_timeout_s: 0.12}\n")
    message = refused_before_start(tmp_path, launch(tmp_path, "--config", str(overlay)))
    assert "is not below servo_node.command_timeout_s 0.12 s" in message


@pytest.mark.parametrize(("setting", "words"), [
    ("inference_node.max_rate_hz=3", "inference_node.max_rate_hz 3"),
    ("camera_node.fps=3", "camera_node.fps 3"),
])
def test_the_launcher_refuses_decisions_slower_than_navigations_autonomous_timeout(tmp_path, setting, words):
    message = refused_before_start(tmp_path, launch(tmp_path, "--set", setting))
    assert words in message and "navigation_node.autonomous_timeout_s 0.25 s" in message


def test_only_does_not_hide_a_broken_link(tmp_path):
    """`--only` runs part of the graph, with the rest started elsewhere from the same graph: the whole graph is
    checked."""
    message = refused_before_start(tmp_path, launch(tmp_path, "--only", "navigation_node", "--set",
                                                    "servo_node.command_timeout_s=0.1"))
    assert "servo_node.command_timeout_s 0.1 s" in message


def test_the_launch_file_refuses_the_same_graph_before_it_starts_a_process(run_launch_file, tmp_path):
    overlay = tmp_path / "slow-repeat.yaml"
    overlay.write_text("navigation_node: {command_repeat_s: 0.3}\n")
    with pytest.raises(GraphError) as refused:
        run_launch_file({"config": str(overlay), "data_dir": str(tmp_path)})
    message = str(refused.value)
    assert "navigation_node.command_repeat_s 0.3 s plus navigation_node.watchdog_period_s 0.05 s is not below " \
           "servo_node.command_timeout_s 0.25 s" in message


def test_the_launch_file_starts_a_graph_whose_links_hold(run_launch_file, tmp_path):
    overlay = tmp_path / "training-rate.yaml"
    overlay.write_text("inference_node: {max_rate_hz: 15}\nservo_node: {command_timeout_s: 0.3}\n")
    _, started = run_launch_file({"config": str(overlay), "data_dir": str(tmp_path)})
    assert started
