"""Build src/deepracer_interfaces_pkg into a plain venv that has ROS 2 from PyPI wheels.

On a ROS 2 install `colcon build` does this. The PyPI wheels need two things first (see
docs/ and the platform notes): their exported CMake files name the wheel build machine's Python
and numpy include folders, which must point at this venv's own, and the package is then built
with plain CMake installing straight into the venv, so the generated types import with no sourcing.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "deepracer_interfaces_pkg"
# Matches the wheel build machine's include folders, e.g. /opt/python/cp311-cp311/include/python3.11
# and /opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include.
_FOREIGN_PYTHON_INCLUDE = re.compile(r"/opt/python/[^;\"]*?/include/python3\.\d+")
_FOREIGN_NUMPY_INCLUDE = re.compile(r"/opt/python/[^;\"]*?/site-packages/numpy/[^;\"]*?include")


def patch_exported_cmake(venv: Path) -> int:
    """Point the wheels' exported include folders at this venv; return how many files changed."""
    python_include = sysconfig.get_paths()["include"]
    numpy_include = numpy.get_include()
    changed = 0
    for name in glob.glob(str(venv / "share" / "*" / "cmake" / "*__rosidl_generator_pyExport.cmake")):
        path = Path(name)
        text = path.read_text()
        new = _FOREIGN_NUMPY_INCLUDE.sub(numpy_include, _FOREIGN_PYTHON_INCLUDE.sub(python_include, text))
        if new != text:
            path.write_text(new)
            changed += 1
    return changed


def build(venv: Path) -> None:
    patch_exported_cmake(venv)
    cmake = shutil.which("cmake")
    if cmake is None:
        sys.exit("cmake is missing: install it (Debian: apt-get install cmake g++) and run again")
    env = dict(os.environ, AMENT_PREFIX_PATH=str(venv), PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    with tempfile.TemporaryDirectory(prefix="deepracer-interfaces-build-") as build_dir:
        configure = [
            cmake, "-S", str(PACKAGE), "-B", build_dir,
            f"-DCMAKE_PREFIX_PATH={venv}", f"-DCMAKE_INSTALL_PREFIX={venv}",
            f"-DPython3_EXECUTABLE={sys.executable}", "-DBUILD_TESTING=OFF",
        ]
        for command in (configure, [cmake, "--build", build_dir, "-j", str(os.cpu_count() or 2)],
                        [cmake, "--install", build_dir]):
            subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    build(Path(sys.prefix))
