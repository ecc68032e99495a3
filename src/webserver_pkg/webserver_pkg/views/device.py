"""The device: versions, sensors, tail light, status figures, time, about, video on/off, the API list and this
API's document; routes of the original the stack does not manage answer 501 with the reason (battery, network,
SSH and updates: views/system.py)."""

from __future__ import annotations

import time
from datetime import datetime
from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.identity import CarIdentity, read_identity
from system_pkg.clock.timezone import local_zone_name
from webserver_pkg.context import console
from webserver_pkg.services import device_info
from webserver_pkg.views.api_input import ApiError, integer, json_body, ok

blueprint = Blueprint("device", __name__, url_prefix="/api")

# Battery, network, SSH and the update stream: views/system.py (the system node's parts).
@blueprint.route("/openapi.yaml")
def openapi() -> ResponseReturnValue:
    text = resources.files("webserver_pkg").joinpath("openapi.yaml").read_text()
    return Response(text, mimetype="application/yaml")


@blueprint.route("/get_device_info")
def get_device_info() -> ResponseReturnValue:
    """The original's two fields, plus the car identity DREM reads (serial, hostname)."""
    identity = _identity()
    return ok(hardware_version=device_info.hardware_version(), software_version=device_info.software_version(),
              serial=identity.serial, hostname=identity.hostname)


def _identity() -> CarIdentity:
    return read_identity(chassis_serial=Path(console().config.chassis_serial_path))


@blueprint.route("/get_sensor_status")
def get_sensor_status() -> ResponseReturnValue:
    bridge = console().bridge
    return ok(**device_info.sensor_status(bridge.camera_status(), bridge.lidar_connected()))


@blueprint.route("/set_led_color", methods=["POST"])
def set_led_color() -> ResponseReturnValue:
    body = json_body()
    console().bridge.set_led_color(*(integer(body, key, 0, 255) for key in ("red", "green", "blue")))
    return ok()


@blueprint.route("/get_led_color")
def get_led_color() -> ResponseReturnValue:
    red, green, blue = console().bridge.get_led_color()
    return ok(red=red, green=green, blue=blue)


@blueprint.route("/get_device_status")
def get_device_status() -> ResponseReturnValue:
    state = console()
    return ok(**device_info.device_status(state.bridge.stage_stats(), state.config.models_path))


@blueprint.route("/get_time")
def get_time() -> ResponseReturnValue:
    """The community car's fields (local time as text, zone name and abbreviation, offset as +HHMM,
    timezone_changed) and iso_time, the same instant with its offset."""
    now = datetime.fromtimestamp(time.time()).astimezone()
    return ok(time=now.strftime("%Y-%m-%d %H:%M:%S"), iso_time=now.isoformat(timespec="seconds"),
              timezone=local_zone_name() or now.tzname(), timezone_abbr=now.tzname(),
              utc_offset=now.strftime("%z"), timezone_changed=console().timezone_changed)


@blueprint.route("/get_about")
def get_about() -> ResponseReturnValue:
    camera = console().bridge.camera_status()
    identity = _identity()
    return ok(**device_info.about(), serial=identity.serial, hostname=identity.hostname,
              camera_status=vars(camera) if camera is not None else None)


@blueprint.route("/video_state", methods=["POST"])
def video_state() -> ResponseReturnValue:
    on = json_body().get("on")
    if not isinstance(on, bool):
        raise ApiError(f"on must be true or false, got {on!r}")
    console().bridge.set_video(on)
    return ok()


@blueprint.route("/supported_apis")
def supported_apis() -> ResponseReturnValue:
    routes = {rule.rule for rule in current_app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    return ok(apis_supported=sorted(routes))
