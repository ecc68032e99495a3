"""The process host runs the graph's node modules in one process, and says plainly what is wrong with a module."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from deepracer_common_pkg.process_host import HostError, default_node_name, main, node_class
from navigation_pkg.navigation_node import NavigationNode
from support.rosgraph import wait_for

# A node module whose import holds until the test lets it go: the seconds OpenVINO and rclpy take to import on the
# car, made as long as the test needs. (Its wait is on a file the test writes, with a deadline.)
HELD_MODULE = textwrap.dedent("""
    import os
    import time
    from pathlib import Path

    from rclpy.node import Node

    folder = Path(os.environ["HELD_DIR"])
    (folder / "importing").touch()
    deadline = time.monotonic() + 30
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


    class HeldNode(Node):
        def __init__(self) -> None:
            super().__init__("held_node")
""")


def test_a_node_module_gives_its_one_node_class_and_its_default_name():
    assert node_class("navigation_pkg.navigation_node") is NavigationNode
    assert default_node_name(NavigationNode) == "navigation_node"


@pytest.mark.parametrize(("module", "message"), [
    ("no_such_pkg.no_node", "cannot import it"),
    ("deepracer_common_pkg.names", r"expected one rclpy Node class defined in it, found \[\]"),
])
def test_a_module_that_is_not_a_node_module_is_refused_with_the_reason(module, message):
    with pytest.raises(HostError, match=message):
        node_class(module)


def test_the_host_refuses_to_start_without_nodes_or_with_a_bad_module(capsys):
    assert main(["--ros-args"]) == 2
    assert "name at least one node module" in capsys.readouterr().err
    assert main(["deepracer_common_pkg.names"]) == 2
    assert "deepracer_common_pkg.names: expected one rclpy Node class" in capsys.readouterr().err


def test_a_stop_while_the_modules_import_ends_the_process_in_order(tmp_path):
    """The launcher restarts a crashed process, and Ctrl-C can come while the new one still imports its modules: it
    must stop with exit code 0 (the whole graph's Ctrl-C then reports success), not die inside an import."""
    (tmp_path / "held_node.py").write_text(HELD_MODULE)
    env = {**os.environ, "HELD_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    host = subprocess.Popen([sys.executable, "-m", "deepracer_common_pkg.process_host", "held_node"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: (tmp_path / "importing").exists() or host.poll() is not None, 60, "the module importing")
        host.send_signal(signal.SIGINT)
        (tmp_path / "release").touch()
        output, _ = host.communicate(timeout=60)
    finally:
        if host.poll() is None:
            host.kill()
    assert host.returncode == 0, output
    assert "cannot import" not in output and "Traceback" not in output, output
