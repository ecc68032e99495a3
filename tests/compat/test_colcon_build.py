"""The ROS install path, as far as this machine allows: colcon (from PyPI, requirements-test.txt) finds every
package with its build type and builds the Python packages against the ROS 2 wheels in the venv, in dependency
order, the way `colcon build` on a car with ROS installed does.

The interfaces package is left out of this build on purpose (the test stays under a minute: 48 s measured): colcon
builds it with the same CMake the set-up already ran (tools/build_interfaces.py), and that build of 37 types takes
minutes on this shared machine (colcon build of everything, interfaces included, measured 4 min 37 s, almost all of
it their C and C++ code); the set-up's build is in the venv and colcon finds it through AMENT_PREFIX_PATH, like an
installed ROS package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("colcon_core", reason="colcon comes from requirements-test.txt (tools/bootstrap_test.sh)")
pytest.importorskip("colcon_ros", reason="colcon-ros comes from requirements-test.txt (tools/bootstrap_test.sh)")

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)


def colcon(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMENT_PREFIX_PATH": str(VENV), "CMAKE_PREFIX_PATH": str(VENV)}
    return subprocess.run([sys.executable, "-m", "colcon", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=170)


def test_colcon_finds_and_builds_every_package(tmp_path):
    listed = colcon("list", "--base-paths", str(REPO / "src"), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    types = dict(line.split("\t")[0::2] for line in listed.stdout.splitlines())
    packages = sorted(p.name for p in (REPO / "src").iterdir() if (p / "package.xml").is_file())
    assert sorted(types) == packages
    assert types["deepracer_interfaces_pkg"] == "(ros.ament_cmake)"
    assert {t for name, t in types.items() if name != "deepracer_interfaces_pkg"} == {"(ros.ament_python)"}

    built = colcon("build", "--base-paths", str(REPO / "src"), "--packages-ignore", "deepracer_interfaces_pkg",
                   "--build-base", "build", "--install-base", "install", cwd=tmp_path)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    for name in packages:
        if name != "deepracer_interfaces_pkg":
            assert (tmp_path / "install" / name / "share" / name / "package.xml").is_file(), name
    assert (tmp_path / "install/compat_pkg/lib/compat_pkg/compat_node").is_file()
