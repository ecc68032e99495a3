"""The timeout chain's links between nodes (deepracer_common_pkg.timeout_chain): each rule on plain values, the
words a person reads, and the check of a whole graph as the launchers give it (graph.yaml, overlays, --set, and each
node's own defaults for what the graph does not name)."""

from pathlib import Path

import pytest

from deepracer_common_pkg import timeout_chain
from deepracer_common_pkg.graph import GraphError, load_graph
from navigation_pkg.config import NavigationConfig
from servo_pkg.config import ServoConfig

REPO = Path(__file__).resolve().parents[2]
GRAPH = REPO / "launch" / "graph.yaml"


def specs_with(**changes: dict) -> list:
    specs = load_graph(GRAPH, data_dir="/data")
    for spec in specs:
        spec.parameters.update(changes.get(spec.name, {}))
    return specs


def test_the_shipped_graphs_keep_every_link():
    timeout_chain.check_graph(load_graph(GRAPH, data_dir="/data"))
    timeout_chain.check_graph(load_graph(GRAPH, [REPO / "launch" / "car.yaml"], data_dir="/data"))
    timeout_chain.check_graph(load_graph(GRAPH, [REPO / "launch" / "original-car-files.yaml"], data_dir="/data"))


@pytest.mark.parametrize(("repeat_s", "watchdog_s", "servo_s", "holds"), [
    (0.1, 0.05, 0.25, True),
    (0.19, 0.05, 0.25, True),
    (0.2, 0.05, 0.25, False),  # navigation may be silent 0.25 s: the servo's watchdog fires at 0.25 s
    (0.3, 0.05, 0.25, False),
    (0.3, 0.05, 0.4, True),
])
def test_navigation_repeats_before_the_servo_gives_up(repeat_s, watchdog_s, servo_s, holds):
    refusal = timeout_chain.repeat_refusal(repeat_s, watchdog_s, servo_s)
    assert (refusal == "") is holds, refusal


def test_the_repeat_refusal_names_both_parameters_their_values_and_what_to_change():
    refusal = timeout_chain.repeat_refusal(0.3, 0.05, 0.25)
    for words in ("navigation_node.command_repeat_s 0.3 s", "navigation_node.watchdog_period_s 0.05 s",
                  "servo_node.command_timeout_s 0.25 s",
                  "Set navigation_node.command_repeat_s below 0.2 s or servo_node.command_timeout_s above 0.35 s"):
        assert words in refusal


@pytest.mark.parametrize(("max_rate_hz", "camera_fps", "timeout_s", "holds"), [
    (0.0, 15.0, 0.25, True),
    (15.0, 30.0, 0.25, True),
    (5.0, 30.0, 0.25, True),
    (4.0, 30.0, 0.25, False),  # one decision every 0.25 s: navigation's timeout fires between two
    (3.0, 30.0, 0.25, False),
    (3.0, 30.0, 0.5, True),
    (0.0, 3.0, 0.25, False),  # every frame of a 3 fps camera
    (30.0, 3.0, 0.25, False),  # a cap above the camera's rate leaves the camera's
    (3.0, None, 0.25, False),  # camera rate not known (no camera in the graph): the cap alone
    (0.0, None, 0.25, True),
])
def test_decisions_come_faster_than_navigation_gives_up(max_rate_hz, camera_fps, timeout_s, holds):
    refusal = timeout_chain.action_rate_refusal(max_rate_hz, camera_fps, timeout_s)
    assert (refusal == "") is holds, refusal


def test_the_action_rate_refusal_says_which_setting_is_too_slow_and_what_to_choose():
    capped = timeout_chain.action_rate_refusal(3.0, 30.0, 0.25)
    assert "inference_node.max_rate_hz 3" in capped and "navigation_node.autonomous_timeout_s 0.25 s" in capped
    assert "set inference_node.max_rate_hz above 4 per second (or 0: every camera frame)" in capped
    assert "to keep 3 a second, navigation_node.autonomous_timeout_s above 0.333 s" in capped
    camera = timeout_chain.action_rate_refusal(0.0, 3.0, 0.25)
    assert "camera_node.fps 3" in camera and "set camera_node.fps above 4" in camera


def test_a_graph_gets_every_broken_link_named_at_once():
    specs = specs_with(navigation_node={"command_repeat_s": 0.3}, inference_node={"max_rate_hz": 2})
    with pytest.raises(GraphError) as refused:
        timeout_chain.check_graph(specs)
    message = str(refused.value)
    assert "navigation_node.command_repeat_s 0.3 s" in message and "servo_node.command_timeout_s 0.25 s" in message
    assert "inference_node.max_rate_hz 2" in message


def test_values_the_graph_leaves_out_are_the_nodes_own_defaults():
    """graph.yaml names neither timeout: the check reads them from the nodes' config dataclasses."""
    specs = specs_with(servo_node={"command_timeout_s": 0.12})
    with pytest.raises(GraphError, match=r"navigation_node\.command_repeat_s 0\.1 s .*servo_node\.command_timeout_s "
                                         r"0\.12 s"):
        timeout_chain.check_graph(specs)
    assert NavigationConfig().command_repeat_s == 0.1 and ServoConfig().command_timeout_s == 0.25


def test_a_renamed_node_is_named_by_its_graph_name():
    specs = specs_with(navigation_node={"command_repeat_s": 0.3})
    for spec in specs:
        if spec.name == "servo_node":
            object.__setattr__(spec, "name", "rear_servo")
    with pytest.raises(GraphError, match=r"rear_servo\.command_timeout_s 0\.25 s"):
        timeout_chain.check_graph(specs)


def test_a_link_with_one_end_out_of_the_graph_is_not_checked():
    """The car's overlay leaves the simulator out; a graph without a servo node has no servo timeout to keep."""
    specs = [s for s in specs_with(navigation_node={"command_repeat_s": 0.3}) if s.name != "servo_node"]
    timeout_chain.check_graph(specs)


def test_a_value_that_is_not_a_number_is_left_to_the_node_to_refuse():
    """The node's own validation says what is wrong with it; the chain has nothing to compare."""
    timeout_chain.check_graph(specs_with(servo_node={"command_timeout_s": "soon"}))


# --- at run time: each node, knowing only its own values, refuses what could break a link it is on -------------

def test_navigation_may_shorten_its_silence_but_not_lengthen_it():
    start = NavigationConfig()
    assert timeout_chain.navigation_change_refusal(start, NavigationConfig(command_repeat_s=0.08)) == ""
    assert timeout_chain.navigation_change_refusal(start, NavigationConfig(watchdog_period_s=0.02)) == ""
    longer = timeout_chain.navigation_change_refusal(start, NavigationConfig(command_repeat_s=0.12))
    assert "command_repeat_s" in longer and "0.15 s" in longer and "restart" in longer


def test_navigation_may_lengthen_its_autonomous_timeout_but_not_shorten_it():
    start = NavigationConfig()
    assert timeout_chain.navigation_change_refusal(start, NavigationConfig(autonomous_timeout_s=0.5)) == ""
    shorter = timeout_chain.navigation_change_refusal(start, NavigationConfig(autonomous_timeout_s=0.2))
    assert "autonomous_timeout_s" in shorter and "0.25 s" in shorter


def test_the_servo_timeout_is_fixed_while_the_servo_runs():
    start = ServoConfig()
    assert timeout_chain.servo_change_refusal(start, ServoConfig(led_path="/x")) == ""
    for changed in (0.5, 0.2):
        refusal = timeout_chain.servo_change_refusal(start, ServoConfig(command_timeout_s=changed))
        assert "command_timeout_s is fixed while the servo node runs" in refusal
        assert "--set servo_node.command_timeout_s" in refusal
