"""Calibration: the mode, the saved values in the original console's units, live wheel moves.

Values cross in console units (servo_pkg.console_units, the original's formulas) and reach the servo node
in duty-cycle nanoseconds; the servo node keeps and validates them. Calibrate and each wheel move are answered
only once the car confirms them (navigation's state, the servo node's report of the write), because the page
tells the technician what the wheels do from these answers.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable

from flask import Blueprint
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.vocabulary import CALIBRATION
from servo_pkg.console_units import CONSOLE_NS_PER_UNIT, CONSOLE_OFFSET_NS, from_console_units, to_console_units
from servo_pkg.pwm_math import DEFAULT_STEERING, DEFAULT_THROTTLE, PWM_PERIOD_NS, ChannelCalibration
from servo_pkg.servo_core import CALIBRATION_HOLD_S
from sim_pkg.config import SimConfig
from webserver_pkg.context import console
from webserver_pkg.robot.bridge import BridgeError, CalibrationNs, require_navigation
from webserver_pkg.views.api_input import ApiError, json_body, number, ok
from webserver_pkg.views.car_in_use import refuse_while_started

blueprint = Blueprint("calibration", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

# The URL's channel names (original console) -> the servo node's.
CHANNELS = {"angle": "steering", "throttle": "throttle"}
DEFAULT_CALIBRATION = {"steering": DEFAULT_STEERING, "throttle": DEFAULT_THROTTLE}


def _forward_units(calibration: ChannelCalibration) -> float:
    """How far (console units) full forward lies from the stopped value."""
    full_ns = calibration.max_ns if calibration.polarity > 0 else calibration.min_ns
    return abs(full_ns - calibration.mid_ns) / CONSOLE_NS_PER_UNIT["throttle"]


# The speed wizard's estimate per throttle unit from the stopped value: the simulated car's (sim_pkg, what `make run`
# drives): its top speed at the stock ESC's full forward, 30 units from the stopped value, so the wizard and the
# simulator agree (2.0 m/s at the stock calibration). Battery and floor change a real car's, so the page gives a range.
SPEED_M_S_PER_UNIT = SimConfig().top_speed_m_s / _forward_units(DEFAULT_THROTTLE)
# Navigation publishes its state as soon as its mode changes: this only covers the state's delivery.
MODE_CONFIRM_S = 2.0
# The servo node reports each write at once (pwm_written); this covers delivery on a loaded car. A raw value is
# sent again every RESEND_S until then: one published before the servo node was discovered is lost, and one it
# hears before navigation's new mode is ignored. Sending the same duty again is harmless.
WRITE_CONFIRM_S = 2.0
RESEND_S = 0.1
# Discovery of the servo node's topics (right after the car starts) is waited for this long, and the write's own
# WRITE_CONFIRM_S counts from then: DDS recovers a lost discovery message on its next announcement, seconds later.
DISCOVERY_WAIT_S = 10.0

# The newest wheel move per channel: only it is sent again. An older one still waiting for its write stops at once,
# or it would put back a value the technician (or a stop on page hide) already replaced, and spin the wheels again.
_move_numbers = itertools.count(1)
_newest_move: dict[str, int] = {}
_moves_lock = threading.Lock()
POLL_S = 0.01


def _channel(name: str) -> str:
    if name not in CHANNELS:
        raise ApiError(f"unknown calibration channel {name!r}; use angle or throttle", 404)
    return CHANNELS[name]


@blueprint.route("/set_calibration_mode", methods=["GET", "POST"])
def set_calibration_mode() -> ResponseReturnValue:
    """GET as the original (its UI and awsdeepracer-control send GET) or POST, either with the CSRF header (the
    app's guard: a link or image on another page cannot stop the car). Refused while the car is started: a
    calibration begun on one device must not end a run on another."""
    refuse_while_started("calibrate")
    console().bridge.set_drive_mode(CALIBRATION)
    _wait_for_calibration_mode()
    return ok()


def _wait_for_calibration_mode() -> None:
    """Answer only once navigation's state says calibration: the page then says the wheels follow the sliders,
    the servo node takes raw values only in the mode that state gives it, and a wheel move is refused until the
    console has heard it too."""
    deadline = time.monotonic() + MODE_CONFIRM_S
    while True:
        state = console().bridge.navigation_state()
        if state is not None and state.mode == CALIBRATION:
            return
        if time.monotonic() >= deadline:
            raise BridgeError("the car did not report calibration mode: check on the Logs page that the navigation "
                              "node runs, then choose Calibrate again", unavailable=True)
        time.sleep(POLL_S)  # a poll of a latched value, not a synchronisation


@blueprint.route("/get_calibration/<name>")
def get_calibration(name: str) -> ResponseReturnValue:
    channel = _channel(name)
    values = console().bridge.get_calibration(channel)
    # The servo node falls back to these when the car was never calibrated or its file is unusable (it logs
    # why); the page must not present them as this car's calibration.
    default = DEFAULT_CALIBRATION[channel]
    defaults = (values.min_ns, values.mid_ns, values.max_ns, values.polarity) == (
        default.min_ns, default.mid_ns, default.max_ns, default.polarity)
    # Besides the original's fields: the stock polarity ("Direction reversed" is against the stock car, whose ESC
    # drives forward on the shorter pulse), how long one wheel move is held (servo_core), the speed estimate's scale.
    extra = {"speed_m_s_per_unit": round(SPEED_M_S_PER_UNIT, 6)} if channel == "throttle" else {}
    return ok(mid=_console_value(channel, values.mid_ns), min=_console_value(channel, values.min_ns),
              max=_console_value(channel, values.max_ns), polarity=values.polarity, defaults=defaults,
              stock_polarity=default.polarity, hold_s=CALIBRATION_HOLD_S, **extra)


def _console_value(channel: str, duty_ns: int) -> int | float:
    value = to_console_units(channel, duty_ns)
    return int(value) if value.is_integer() else round(value, 4)


def _duty_ns(channel: str, body: dict, key: str) -> int:
    """A console-units field as ns, refused unless it is a duty cycle within the PWM period."""
    step = CONSOLE_NS_PER_UNIT[channel]
    value = number(body, key, -CONSOLE_OFFSET_NS / step, (PWM_PERIOD_NS - CONSOLE_OFFSET_NS) / step)
    return from_console_units(channel, value)


@blueprint.route("/set_calibration/<name>", methods=["PUT", "POST"])
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


@blueprint.route("/adjust_calibrating_wheels/<name>", methods=["PUT", "POST"])
def adjust_calibrating_wheels(name: str) -> ResponseReturnValue:
    channel = _channel(name)
    duty = _duty_ns(channel, json_body(), "pwm")
    if require_navigation(console().bridge).mode != CALIBRATION:
        raise ApiError("the car is not in calibration mode: choose Calibrate on the Calibration page first", 409)
    with _moves_lock:
        number = _newest_move[channel] = next(_move_numbers)
    sent_at = time.monotonic()
    console().bridge.raw_pwm(channel, duty)
    _wait_for_write(channel, duty, sent_at, lambda: _newest_move[channel] == number)
    return ok()


def _wait_for_write(channel: str, duty: int, sent_at: float, newest: Callable[[], bool]) -> None:
    """Answer only once the servo node reported writing `duty` on `channel` (a write heard after the request):
    the page says where the wheels are from this answer. The servo node ignores raw values outside calibration
    mode, so a car that left it between the check above and the write is told apart here. A move no longer the
    channel's newest ends at once, unsent again."""
    reachable_at, resend_at = sent_at, sent_at + RESEND_S
    while True:
        if not newest():
            raise ApiError("a newer value for these wheels was sent (from this screen or another): the wheels "
                           "follow that one", 409)
        if not console().bridge.servo_reachable():
            reachable_at = time.monotonic()
            if reachable_at >= sent_at + DISCOVERY_WAIT_S:
                raise BridgeError("the console cannot reach the servo node yet: if the car has just started, wait a "
                                  "few seconds and try again; otherwise check on the Logs page that it runs",
                                  unavailable=True)
        deadline = reachable_at + WRITE_CONFIRM_S
        written = console().bridge.pwm_written()
        if written is not None and time.monotonic() - written.age_s >= sent_at \
                and (written.steering_ns if channel == "steering" else written.throttle_ns) == duty:
            if not written.enabled:
                raise BridgeError("the servo output did not take the value: the Logs page says why")
            return
        now = time.monotonic()
        if now >= deadline:
            raise BridgeError("the servo node did not write the value: check that the car is still in calibration "
                              "mode (choose Calibrate again) and that the servo node runs (Logs page)",
                              unavailable=True)
        if now >= resend_at:
            console().bridge.raw_pwm(channel, duty)
            resend_at = now + RESEND_S
        time.sleep(POLL_S)  # a poll of a latched value, not a synchronisation
