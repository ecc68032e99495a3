"""The JSON API of driving, calibration, device and logs (models and video have their own
blueprints). Same routes and shapes as the original console; refusals carry a reason."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, MANUAL
from servo_pkg.console_units import CONSOLE_NS_PER_UNIT, CONSOLE_OFFSET_NS, from_console_units, to_console_units
from servo_pkg.pwm_math import DEFAULT_STEERING, DEFAULT_THROTTLE, PWM_PERIOD_NS
from webserver_pkg import device_info
from webserver_pkg.api_input import ApiError, choice, integer, json_body, number, ok, whole_number_text
from webserver_pkg.bridge import BridgeError, CalibrationNs, NavigationView
from webserver_pkg.context import console
from webserver_pkg.log_sources import CONSOLE_LOG, LOG_TYPES, MAX_LINES, newest_first, read_tail, redact

blueprint = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

# The URL's channel names (original console) -> the servo node's.
CHANNELS = {"angle": "steering", "throttle": "throttle"}
DEFAULT_CALIBRATION = {"steering": DEFAULT_STEERING, "throttle": DEFAULT_THROTTLE}
DRIVE_MODES = {"manual": MANUAL, "auto": AUTONOMOUS, "autonomous": AUTONOMOUS, "calibration": CALIBRATION}
NOT_MANAGED = ("available_wifi_info", "wifi_reset", "get_network_details", "is_usb_connected",
               "isSshEnabled", "enableSsh", "disableSsh", "resetSshPassword",
               "is_software_update_available", "begin_software_update", "update_status")


@blueprint.route("/openapi.yaml")
def openapi() -> ResponseReturnValue:
    text = resources.files("webserver_pkg").joinpath("openapi.yaml").read_text()
    return Response(text, mimetype="application/yaml")


# --- driving -------------------------------------------------------------------------------------

def _navigation() -> NavigationView:
    state = console().bridge.navigation_state()
    if state is None:
        raise BridgeError("the navigation node has not reported its state yet: is it running?", unavailable=True)
    return state


@blueprint.route("/manual_drive", methods=["POST"])
def manual_drive() -> ResponseReturnValue:
    body = json_body()
    angle = number(body, "angle", -1.0, 1.0)
    throttle = number(body, "throttle", -1.0, 1.0)
    # Checked for the original's clients, not applied: the car's one max-speed setting scales manual throttle
    # in the navigation node, and applying the request's value too would square it.
    number(body, "max_speed", 0.0, 1.0, default=1.0)
    console().bridge.manual_drive(angle, throttle)
    return ok()


@blueprint.route("/drive_mode", methods=["POST"])
def drive_mode() -> ResponseReturnValue:
    mode = DRIVE_MODES[choice(json_body(), "drive_mode", tuple(DRIVE_MODES))]
    console().bridge.set_drive_mode(mode)
    return ok()


@blueprint.route("/start_stop", methods=["POST"])
def start_stop() -> ResponseReturnValue:
    """One call to navigation: the inference node follows navigation's state (drive_rules.policy_runs),
    so there is nothing to start first or roll back, and a ROS client gets the same behaviour."""
    action = choice(json_body(), "start_stop", ("start", "stop"))
    bridge = console().bridge
    if action == "stop":
        bridge.set_navigation_started(False)
        log.info("car stopped from the console (%s)", request.remote_addr)
        return ok()
    navigation = _navigation()
    bridge.set_navigation_started(True)
    log.info("car started in %s mode from the console (%s)", navigation.mode, request.remote_addr)
    return ok()


@blueprint.route("/max_nav_throttle", methods=["POST"])
def max_nav_throttle() -> ResponseReturnValue:
    console().bridge.set_max_speed(number(json_body(), "throttle", 0.0, 100.0) / 100.0)
    return ok()


@blueprint.route("/control_modes_available")
def control_modes_available() -> ResponseReturnValue:
    return ok(control_modes_available=["manual", "auto"])


@blueprint.route("/emergency_stop", methods=["POST"])
def emergency_stop() -> ResponseReturnValue:
    console().bridge.emergency_stop()
    log.warning("emergency stop from the console (%s)", request.remote_addr)
    return ok()


@blueprint.route("/reset_emergency_stop", methods=["POST"])
def reset_emergency_stop() -> ResponseReturnValue:
    console().bridge.reset_emergency_stop()
    return ok()


@blueprint.route("/navigation_state")
def navigation_state() -> ResponseReturnValue:
    state = console().bridge.navigation_state()
    if state is None:
        return ok(known=False, mode="", started=False, emergency_stop=False, max_speed=0.0, model_name="",
                  model_ready=False, last_command_age_s=0.0, neutral_reason="")
    return ok(known=True, **vars(state))


# --- calibration ---------------------------------------------------------------------------------

def _channel(name: str) -> str:
    if name not in CHANNELS:
        raise ApiError(f"unknown calibration channel {name!r}; use angle or throttle", 404)
    return CHANNELS[name]


@blueprint.route("/set_calibration_mode", methods=["POST"])
def set_calibration_mode() -> ResponseReturnValue:
    """POST with CSRF only: the original also took GET, so a link or image on another page could stop the car."""
    console().bridge.set_drive_mode(CALIBRATION)
    return ok()


@blueprint.route("/get_calibration/<name>")
def get_calibration(name: str) -> ResponseReturnValue:
    channel = _channel(name)
    values = console().bridge.get_calibration(channel)
    # The servo node falls back to these when the car was never calibrated or its file is unusable (it logs
    # why); the page must not present them as this car's calibration.
    default = DEFAULT_CALIBRATION[channel]
    defaults = (values.min_ns, values.mid_ns, values.max_ns, values.polarity) == (
        default.min_ns, default.mid_ns, default.max_ns, default.polarity)
    return ok(mid=_console_value(channel, values.mid_ns), min=_console_value(channel, values.min_ns),
              max=_console_value(channel, values.max_ns), polarity=values.polarity, defaults=defaults)


def _console_value(channel: str, duty_ns: int) -> int | float:
    value = to_console_units(channel, duty_ns)
    return int(value) if value.is_integer() else round(value, 4)


def _duty_ns(channel: str, body: dict, key: str) -> int:
    """A console-units field as ns, refused unless it is a duty cycle within the PWM period."""
    step = CONSOLE_NS_PER_UNIT[channel]
    value = number(body, key, -CONSOLE_OFFSET_NS / step, (PWM_PERIOD_NS - CONSOLE_OFFSET_NS) / step)
    return from_console_units(channel, value)


@blueprint.route("/set_calibration/<name>", methods=["POST"])
def set_calibration(name: str) -> ResponseReturnValue:
    channel = _channel(name)
    body = json_body()
    values = {key: _duty_ns(channel, body, key) for key in ("min", "mid", "max")}
    polarity = body.get("polarity")
    if polarity not in (1, -1) or isinstance(polarity, bool):
        raise ApiError(f"polarity must be 1 or -1, got {polarity!r}")
    if not values["min"] < values["mid"] < values["max"]:
        raise ApiError(f"calibration needs min < mid < max, got min={body['min']} mid={body['mid']} "
                       f"max={body['max']}")
    console().bridge.set_calibration(channel, CalibrationNs(values["min"], values["mid"], values["max"],
                                                            int(polarity)))
    log.info("%s calibration saved from the console: %s polarity %s", channel, values, polarity)
    return ok()


@blueprint.route("/adjust_calibrating_wheels/<name>", methods=["POST"])
def adjust_calibrating_wheels(name: str) -> ResponseReturnValue:
    channel = _channel(name)
    duty = _duty_ns(channel, json_body(), "pwm")
    if _navigation().mode != CALIBRATION:
        raise ApiError("the car is not in calibration mode: open a calibration wizard first", 409)
    console().bridge.raw_pwm(channel, duty)
    return ok()


# --- device --------------------------------------------------------------------------------------

def sensor_status() -> dict[str, str]:
    camera = console().bridge.camera_status()

    def status(connected: bool) -> str:
        if camera is not None and camera.error:
            return "error"
        return "connected" if connected else "not_connected"

    return {
        "camera_status": status(camera is not None and camera.connected),
        "stereo_status": status(camera is not None and camera.connected and camera.stereo),
        "lidar_status": "connected" if console().bridge.lidar_connected() else "not_connected",
    }


@blueprint.route("/get_device_info")
def get_device_info() -> ResponseReturnValue:
    return ok(hardware_version=device_info.hardware_version(), software_version=device_info.software_version())


@blueprint.route("/get_battery_level")
def get_battery_level() -> ResponseReturnValue:
    # No node of this stack reads a battery gauge yet: -1 is the original's "unknown".
    return ok(battery_level=-1)


@blueprint.route("/get_sensor_status")
def get_sensor_status() -> ResponseReturnValue:
    return ok(**sensor_status())


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
    now = time.time()
    return ok(time=now, iso_time=datetime.fromtimestamp(now).astimezone().isoformat(timespec="seconds"))


@blueprint.route("/get_about")
def get_about() -> ResponseReturnValue:
    camera = console().bridge.camera_status()
    return ok(**device_info.about(), camera_status=vars(camera) if camera is not None else None)


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


def _not_managed() -> ResponseReturnValue:
    raise ApiError("not managed by this stack: use the operating system's own tools for network, "
                   "SSH and software updates", 501)


for _name in NOT_MANAGED:
    blueprint.add_url_rule(f"/{_name}", f"not_managed_{_name}", _not_managed, methods=["GET", "POST"])


# --- logs ----------------------------------------------------------------------------------------

@blueprint.route("/logs/<log_type>/<num_lines>")
def logs(log_type: str, num_lines: str) -> ResponseReturnValue:
    if log_type not in LOG_TYPES:
        raise ApiError(f"unknown log type {log_type!r}; use one of {', '.join(LOG_TYPES)}", 404)
    count = whole_number_text(num_lines, "num_lines", 1, MAX_LINES)
    text_filter = request.args.get("filter", "")
    if log_type == "robot":
        lines, source = [line.format() for line in console().bridge.robot_log()], "/rosout"
    else:
        path = console().config.system_log_path
        lines = read_tail(Path(path)) if path else None
        source = str(path)
        if lines is None:
            lines, source = CONSOLE_LOG.lines(), "console log (system log not readable)"
    first = console().first_password
    lines = redact(lines, [first.password] if first else [])
    return ok(data=newest_first(lines, count, text_filter), source=source)
