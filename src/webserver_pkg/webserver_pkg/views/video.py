"""Live video: /route?topic=/camera_pkg/display_mjpeg serves the camera's display JPEGs as MJPEG.

Every viewer reads from the one shared FrameHub (one subscription, newest frame only). width and
height are accepted for the original page's URL but not applied: re-encoding per viewer would cost
the car CPU, and the page scales the picture.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from deepracer_common_pkg import names
from webserver_pkg.context import console
from webserver_pkg.services.frame_hub import BOUNDARY
from webserver_pkg.views.api_input import ApiError

blueprint = Blueprint("video", __name__)
# The page's URL names the stream as the original console did, whatever the ROS topic is called now.
ORIGINAL_URL_TOPIC = "/camera_pkg/display_mjpeg"
URL_TOPICS = (ORIGINAL_URL_TOPIC, names.CAMERA_DISPLAY)


@blueprint.route("/route")
def route() -> ResponseReturnValue:
    topic = request.args.get("topic", "")
    if topic not in URL_TOPICS:
        raise ApiError(f"no video stream for topic {topic!r}; use {ORIGINAL_URL_TOPIC}", 404)
    return Response(console().frames.stream(), mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
