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


def test_the_unit_holds_the_cpu_at_full_speed_while_the_stack_runs_and_puts_it_back_after(car, tmp_path):
    """The unit's hooks run the installed wrapper; a fake cpufreq tree stands in for the car's (this VM has none)."""
    assert install(car).returncode == 0
    text = (car / "etc/systemd/system/deepracer-core.service").read_text()
    assert "ExecStartPre=-/opt/deepracer-stack/bin/deepracer-cpu-speed hold" in text
    assert "ExecStopPost=-/opt/deepracer-stack/bin/deepracer-cpu-speed release" in text
    wrapper = car / "opt/deepracer-stack/bin/deepracer-cpu-speed"
    assert os.access(wrapper, os.X_OK)
    here = tmp_path / "deepracer-cpu-speed"  # the wrapper as installed, sourcing the temporary root's setup.bash
    here.write_text(wrapper.read_text().replace("/opt/aws/deepracer/lib/setup.bash",
                                                str(car / "opt/aws/deepracer/lib/setup.bash")))
    governor = tmp_path / "sys/cpu0/cpufreq/scaling_governor"
    governor.parent.mkdir(parents=True)
    governor.write_text("powersave\n")
    for name, value in (("scaling_min_freq", "800000"), ("scaling_max_freq", "1800000")):
        (governor.parent / name).write_text(f"{value}\n")
    fake = ["--cpu-root", str(tmp_path / "sys"), "--state-file", str(tmp_path / "run/cpu-speed.json")]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for action, expected in (("hold", "performance"), ("release", "powersave")):
        done = subprocess.run(["bash", str(here), action, *fake], capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr
        assert governor.read_text().strip() == expected, done.stdout


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


# --- the dpkg record DeepRacer Event Manager reads (issue 24, item 4) ----------------------------------------------
# A temporary root with its own dpkg database stands in for the car: the real dpkg installs into it (--root).

ORIGINAL_VERSION = "2.0.383.0"


def drem_logging_capable(version: str) -> bool:
    """DREM v3.2.0's check on the version its SSM inventory lists for aws-deepracer-core: the part before `+`,
    compared as whole numbers, at least 2.1.2.7."""
    try:
        return list(map(int, version.split("+")[0].split("."))) >= [2, 1, 2, 7]
    except ValueError:
        return False


def inventory(root: Path) -> dict[str, tuple[str, str]]:
    """What the SSM agent's application inventory reads on a Debian car: dpkg-query's installed packages."""
    listed = subprocess.run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W",
                             "-f=${Package}\t${Version}\t${db:Status-Status}\n"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    return {name: (version, status) for name, version, status in (line.split("\t") for line in listed.splitlines())}


def selection(root: Path, package: str) -> str:
    listed = subprocess.run(["dpkg", f"--admindir={root}/var/lib/dpkg", "--get-selections", package],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    return listed.split()[1]


def _original_package(folder: Path) -> Path:
    """The original car's aws-deepracer-core in miniature: its ROS install's setup.bash, a node, its unit, and a
    maintainer script."""
    stage = folder / "stage"
    (stage / "DEBIAN").mkdir(parents=True)
    (stage / "DEBIAN/control").write_text(
        f"Package: aws-deepracer-core\nVersion: {ORIGINAL_VERSION}\nArchitecture: amd64\n"
        "Maintainer: AWS DeepRacer <deepracer@example.com>\nRecommends: libc6\n"
        "Description: AWS DeepRacer core\n the original ROS 2 Foxy nodes\n")
    (stage / "DEBIAN/postinst").write_text('#!/bin/sh\necho "postinst $1" >> "$DPKG_ROOT/original-postinst.log"\n')
    (stage / "DEBIAN/postinst").chmod(0o755)
    for path, text in (("opt/aws/deepracer/lib/setup.bash", ORIGINAL_SETUP),
                       ("opt/aws/deepracer/lib/ctrl_pkg/ctrl_node", "the original ctrl node\n"),
                       ("lib/systemd/system/deepracer-core.service", ORIGINAL_UNIT)):
        (stage / path).parent.mkdir(parents=True, exist_ok=True)
        (stage / path).write_text(text)
    deb = folder / f"aws-deepracer-core_{ORIGINAL_VERSION}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(stage), str(deb)],
                   capture_output=True, timeout=60, check=True)
    return deb


def _dpkg_root(root: Path) -> list[str]:
    return ["dpkg", f"--root={root}", "--force-not-root", "--force-script-chrootless", "--log=/dev/null"]


@pytest.fixture
def dpkg_car(tmp_path) -> Path:
    """A root with a dpkg database in which the original's aws-deepracer-core is installed."""
    root = tmp_path / "root"
    for folder in ("info", "updates", "triggers"):
        (root / "var/lib/dpkg" / folder).mkdir(parents=True)
    for name in ("status", "available"):
        (root / "var/lib/dpkg" / name).touch()
    subprocess.run([*_dpkg_root(root), "-i", str(_original_package(tmp_path))], capture_output=True, timeout=60,
                   check=True)
    return root


@pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("dpkg-deb") is None, reason="no dpkg here")
def test_drem_reads_a_core_version_it_fetches_logs_from_and_uninstall_puts_the_original_package_back(dpkg_car):
    root = dpkg_car
    assert inventory(root)["aws-deepracer-core"] == (ORIGINAL_VERSION, "installed")
    assert not drem_logging_capable(ORIGINAL_VERSION)  # why DREM never fetched logs from the original AWS car

    done = install(root)
    assert done.returncode == 0, done.stdout + done.stderr
    version, status = inventory(root)["aws-deepracer-core"]
    assert status == "installed" and drem_logging_capable(version) and "+deepracerstack." in version
    assert selection(root, "aws-deepracer-core") == "hold"  # an apt upgrade from the original's repository waits
    kept = root / f"opt/deepracer-stack/original/aws-deepracer-core_{ORIGINAL_VERSION}.deb"
    fields = subprocess.run(["dpkg-deb", "-f", str(kept), "Version", "Recommends"], capture_output=True, text=True,
                            timeout=30, check=True).stdout
    assert fields.split() == ["Version:", ORIGINAL_VERSION, "Recommends:", "libc6"]
    assert "deepracer-stack" in (root / "opt/aws/deepracer/lib/setup.bash").read_text()  # ours, after dpkg's swap
    assert "deepracer-stack" in (root / "etc/systemd/system/deepracer-core.service").read_text()
    assert not (root / "opt/aws/deepracer/lib/ctrl_pkg/ctrl_node").exists()

    again = install(root)  # a second install keeps the original's copy, not ours
    assert again.returncode == 0, again.stderr
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]

    back = install(root, "--uninstall")
    assert back.returncode == 0, back.stdout + back.stderr
    assert inventory(root)["aws-deepracer-core"] == (ORIGINAL_VERSION, "installed")
    assert selection(root, "aws-deepracer-core") == "install"
    assert (root / "opt/aws/deepracer/lib/setup.bash").read_text() == ORIGINAL_SETUP
    assert (root / "opt/aws/deepracer/lib/ctrl_pkg/ctrl_node").read_text() == "the original ctrl node\n"
    assert (root / "lib/systemd/system/deepracer-core.service").read_text() == ORIGINAL_UNIT
    assert not (root / "etc/systemd/system/deepracer-core.service").exists()
    assert (root / "original-postinst.log").read_text().splitlines() == ["postinst configure"] * 2


@pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("dpkg-deb") is None, reason="no dpkg here")
def test_a_car_without_the_original_package_gets_ours_and_uninstall_removes_it(tmp_path):
    root = tmp_path / "root"
    for folder in ("info", "updates", "triggers"):
        (root / "var/lib/dpkg" / folder).mkdir(parents=True)
    for name in ("status", "available"):
        (root / "var/lib/dpkg" / name).touch()
    assert install(root).returncode == 0
    assert drem_logging_capable(inventory(root)["aws-deepracer-core"][0])
    assert not (root / "opt/deepracer-stack/original").exists()
    back = install(root, "--uninstall")
    assert back.returncode == 0, back.stderr
    assert "aws-deepracer-core" not in inventory(root)


# --- <hostname>.local (issue 24, item 4): avahi-daemon enabled, so the car answers DREM's label links ------------

AVAHI_UNIT = ("[Unit]\nDescription=Avahi mDNS/DNS-SD Stack\n[Service]\nExecStart=/usr/sbin/avahi-daemon -s\n"
              "[Install]\nWantedBy=multi-user.target\n")  # the Install section Debian's avahi-daemon ships


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl is not installed")
def test_install_enables_avahi_daemon_so_the_car_answers_its_hostname_dot_local(car):
    (car / "usr/sbin").mkdir(parents=True)
    (car / "usr/sbin/avahi-daemon").write_text("#!/bin/sh\n")  # installed (the original car has it), not enabled
    (car / "lib/systemd/system").mkdir(parents=True)
    (car / "lib/systemd/system/avahi-daemon.service").write_text(AVAHI_UNIT)
    done = install(car)
    assert done.returncode == 0, done.stderr
    wanted = car / "etc/systemd/system/multi-user.target.wants/avahi-daemon.service"
    assert wanted.is_symlink() and os.readlink(wanted) == "/lib/systemd/system/avahi-daemon.service"
    back = install(car, "--uninstall")  # the original's labels use the same name: avahi stays
    assert back.returncode == 0 and wanted.is_symlink()


def test_install_says_when_nothing_answers_hostname_dot_local(car):
    done = install(car)
    assert done.returncode == 0, done.stderr
    assert "avahi-daemon is not installed" in done.stdout and ".local will not answer" in done.stdout
