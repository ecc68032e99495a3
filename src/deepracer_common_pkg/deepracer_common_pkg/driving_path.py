"""Which nodes stand between a source of commands and the wheels, per drive mode (node names as in
launch/graph.yaml): the one home of the rule navigation's peer watch applies (a run stops when one of them restarts,
goes silent or reports a fault) and the heartbeat follows (only these nodes beat: nobody listens to the others)."""

from __future__ import annotations

from deepracer_common_pkg.vocabulary import AUTONOMOUS, EXTERNAL, MANUAL

CONSOLE_NODE = "webserver_node"  # also watched by the servo node while it holds a calibration wheel move
DRIVING_PATH: dict[str, tuple[str, ...]] = {
    MANUAL: (CONSOLE_NODE, "servo_node"),
    AUTONOMOUS: ("camera_node", "inference_node", "servo_node"),
    EXTERNAL: ("servo_node",),  # the outside application has no heartbeat: external_timeout_s watches it
}
WATCHED_NODES = frozenset(node for path in DRIVING_PATH.values() for node in path)
