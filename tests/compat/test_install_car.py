"""tools/install-car.sh into a temporary root: the original software's files are kept and come back, the unit is
valid for systemd, and the unit and a root shell (DREM's `source /opt/aws/deepracer/lib/setup.bash`) get one
environment. The temporary root stands in for the car's / (no root rights or real car here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deepracer_common_pkg.graph import load_graph

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "tools" / "install-car.sh"
ORIGINAL_UNIT = "[Unit]\nDescription=AWS DeepRacer core\n[Service]\nExecStart=/opt/aws/deepracer/start_ros.sh\n"
ORIGINAL_SETUP = "# the original software's colcon setup\nexport AMENT_PREFIX_PATH=/opt/aws/deepracer/lib\n"


def install(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INSTALL), "--root", str(root), "--python", sys.executable, *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def car(tmp_path) -> Path:
    """A root with the original software's unit and setup.bash in place."""
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    (tmp_path / "etc/systemd/system/deepracer-core.service").write_text(ORIGINAL_UNIT)
    (tmp_path / "opt/aws/deepracer/lib").mkdir(parents=True)
    (tmp_path / "opt/aws/deepracer/lib/setup.bash").write_text(ORIGINAL_SETUP)
    return tmp_path


def test_install_keeps_the_original_files_and_uninstall_puts_them_back(car):
    unit = car / "etc/systemd/system/deepracer-core.service"
    setup = car / "opt/aws/deepracer/lib/setup.bash"
    done = install(car)
    assert done.returncode == 0, done.stderr
    assert "deepracer-stack" in unit.read_text() and "deepracer-stack" in setup.read_text()
    assert (car / "etc/systemd/system/deepracer-core.service.aws-original").read_text() == ORIGINAL_UNIT
    assert (car / "opt/aws/deepracer/lib/setup.bash.aws-original").read_text() == ORIGINAL_SETUP
    assert (car / "opt/deepracer-stack/launch/car.yaml").is_file()
    assert os.access(car / "opt/deepracer-stack/bin/deepracer-core", os.X_OK)

    again = install(car)  # a second install must not take our own files for the original's
    assert again.returncode == 0, again.stderr
    assert (car / "etc/systemd/system/deepracer-core.service.aws-original").read_text() == ORIGINAL_UNIT

    back = install(car, "--uninstall")
    assert back.returncode == 0, back.stderr
    assert unit.read_text() == ORIGINAL_UNIT and setup.read_text() == ORIGINAL_SETUP
    assert not (car / "etc/systemd/system/deepracer-core.service.aws-original").exists()


def test_unit_stops_with_sigint_to_the_launcher_and_restarts_with_backoff(car):
    assert install(car).returncode == 0
    text = (car / "etc/systemd/system/deepracer-core.service").read_text()
    for line in ("KillSignal=SIGINT", "KillMode=mixed", "Restart=always", "ExecStart=/opt/deepracer-stack/bin/"
                 "deepracer-core", "StartLimitIntervalSec=0"):
        assert line in text
    wrapper = (car / "opt/deepracer-stack/bin/deepracer-core").read_text()
    assert ". \"/opt/aws/deepracer/lib/setup.bash\"" in wrapper
    assert "--config launch/car.yaml" in wrapper
    assert "--data-dir \"${DEEPRACER_DATA_DIR:-/opt/aws/deepracer}\"" in wrapper


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(car):
    assert install(car).returncode == 0
    # ExecStart must exist for verify: point a copy of the unit at the wrapper inside the temporary root.
    unit = car / "etc/systemd/system/deepracer-core.service"
    copy = car / "deepracer-core.service"
    copy.write_text(unit.read_text().replace("/opt/deepracer-stack", str(car / "opt/deepracer-stack")))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    newer = re.compile(r"Unknown key '(RestartSteps|RestartMaxDelaySec)'")  # systemd 254 and later know them
    problems = [line for line in result.stderr.splitlines()
                if "deepracer-core.service" in line and not newer.search(line)]
    assert result.returncode == 0 and not problems, result.stderr


def test_a_root_shell_and_the_unit_share_one_ros_environment(car):
    assert install(car, "--domain", "7").returncode == 0
    setup = car / "opt/aws/deepracer/lib/setup.bash"
    shell = subprocess.run(["bash", "-c", f"set -u; . '{setup}'; echo $ROS_DOMAIN_ID $ROS_AUTOMATIC_DISCOVERY_RANGE "
                                          "$RMW_IMPLEMENTATION $DEEPRACER_PYTHON; command -v python"],
                           capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert shell.returncode == 0, shell.stderr
    domain, discovery, rmw, python, found = shell.stdout.split()
    assert (domain, discovery, rmw, python) == ("7", "LOCALHOST", "rmw_fastrtps_cpp", sys.executable)
    assert Path(found).parent == Path(sys.executable).parent  # the stack's Python first, with rclpy and our types


def test_the_car_keeps_its_files_where_the_original_does():
    specs = {s.name: s for s in load_graph(REPO / "launch/graph.yaml", [REPO / "launch/car.yaml",
                                           REPO / "launch/original-car-files.yaml"], "/opt/aws/deepracer")}
    assert specs["servo_node"].parameters["calibration_path"] == "/opt/aws/deepracer/calibration.json"
    assert specs["servo_node"].parameters["led_path"] == "/opt/aws/deepracer/led_values.json"
    roots = {s.parameters["models_root"] for s in specs.values() if "models_root" in s.parameters}
    assert roots == {"/opt/aws/deepracer/artifacts"}
