"""Calibration: the mode, the saved values in the original console's units, live wheel moves.

Values cross in console units (servo_pkg.console_units, the original's formulas) and reach the servo node
in duty-cycle nanoseconds; the servo node keeps and validates them.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.vocabulary import CALIBRATION
from servo_pkg.console_units import CONSOLE_NS_PER_UNIT, CONSOLE_OFFSET_NS, from_console_units, to_console_units
from servo_pkg.pwm_math import DEFAULT_STEERING, DEFAULT_THROTTLE, PWM_PERIOD_NS
from webserver_pkg.context import console
from webserver_pkg.robot.bridge import CalibrationNs, require_navigation
from webserver_pkg.views.api_input import ApiError, json_body, number, ok
from webserver_pkg.views.car_in_use import refuse_while_started

blueprint = Blueprint("calibration", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

# The URL's channel names (original console) -> the servo node's.
CHANNELS = {"angle": "steering", "throttle": "throttle"}
DEFAULT_CALIBRATION = {"steering": DEFAULT_STEERING, "throttle": DEFAULT_THROTTLE}


def _channel(name: str) -> str:
    if name not in CHANNELS:
        raise ApiError(f"unknown calibration channel {name!r}; use angle or throttle", 404)
    return CHANNELS[name]


@blueprint.route("/set_calibration_mode", methods=["POST"])
def set_calibration_mode() -> ResponseReturnValue:
    """POST with CSRF only: the original also took GET, so a link or image on another page could stop the car.
    Refused while the car is started: a calibration begun on one device must not end a run on another."""
    refuse_while_started("calibrate")
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
    if require_navigation(console().bridge).mode != CALIBRATION:
        raise ApiError("the car is not in calibration mode: choose Calibrate on the Calibration page first", 409)
    console().bridge.raw_pwm(channel, duty)
    return ok()
