"""Decisions per second: the action rate a racer matches to training (DeepRacer trains at 15), on the car.

Read from and set on the inference node's own parameter (`max_rate_hz`, through its parameter service), not a copy:
the console, `ros2 param set` and the graph's `--set inference_node.max_rate_hz` all reach the one value, the node
refuses a change while the car is started (drive_rules.rate_change_refusal) and keeps a run-time change across
restarts (inference_pkg.action_rate_memory), and what the page shows is what the node has in force. Before asking,
the console checks the link the node cannot see (deepracer_common_pkg.timeout_chain): decisions must come faster
than navigation's autonomous timeout, or the throttle would stutter between them.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from flask.typing import ResponseReturnValue

from deepracer_common_pkg import timeout_chain
from webserver_pkg.context import console
from webserver_pkg.services import action_rate
from webserver_pkg.views.api_input import ApiError, json_body, number, ok

blueprint = Blueprint("action_rate", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

MAX_RATE_HZ = 1000.0  # the inference node's own bound (InferenceConfig); it refuses beyond it in its own words


def _camera_fps() -> float | None:
    camera = console().bridge.camera_status()
    return None if camera is None else action_rate.camera_rate(camera.connected, camera.fps)


def _in_force() -> dict[str, object]:
    hz = console().bridge.action_rate_hz()
    fps = _camera_fps()
    return {"max_rate_hz": hz, "words": action_rate.words(hz, fps), "acting_hz": action_rate.acting_hz(hz, fps),
            "camera_fps": fps, "training_hz": action_rate.TRAINING_HZ, "choices": action_rate.choices(fps)}


@blueprint.route("/action_rate")
def get_action_rate() -> ResponseReturnValue:
    return ok(**_in_force())


@blueprint.route("/action_rate", methods=["PUT", "POST"])
def set_action_rate() -> ResponseReturnValue:
    hz = number(json_body(), "max_rate_hz", 0.0, MAX_RATE_HZ)
    bridge = console().bridge
    timeout_s = bridge.autonomous_timeout_s()
    if timeout_s is not None:
        refusal = timeout_chain.action_rate_refusal(hz, _camera_fps(), timeout_s)
        if refusal:
            raise ApiError(refusal, 409)
    bridge.set_action_rate_hz(hz)
    answer = _in_force()
    log.info("decisions per second set from the console: %s", answer["words"])
    return ok(**answer)
