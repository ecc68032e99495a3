"""The process host runs the graph's node modules in one process, and says plainly what is wrong with a module."""

from __future__ import annotations

import pytest

from deepracer_common_pkg.process_host import HostError, default_node_name, main, node_class
from navigation_pkg.navigation_node import NavigationNode


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
