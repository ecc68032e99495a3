"""Driving: manual commands, drive mode, start and stop, maximum speed, the emergency stop, the state.

Same routes, methods (PUT and POST for every change) and shapes as the original console. Every rule (who may
start, what a stale command does) is navigation's: these views check the request and call the bridge, which
answers with navigation's reason.

`/api/manual_drive` means what it meant on the original car (aws-deepracer-webserver-pkg, vehicle_control.py:
the server negated both values before publishing): for the route's clients throttle < 0 is forward and angle > 0
is right, the opposite of navigation's input (+1 = full forward, full left). The original UI's joystick pushed up
and right sends `{angle: 0.38, throttle: -0.76, max_speed: 0.5}`. Two of the original's steps are not kept:
- buckets: the original snapped each value to 0.3, 0.5 or 0.8; here they stay proportional (fine driving on a
  touch screen, and our pad sends proportional values);
- the request's `max_speed` (0..1, default 1) is not applied on top of the car's one maximum-speed setting: the
  lower of the two applies, once. Navigation scales manual throttle by the car's setting, so the throttle sent is
  scaled by min(max_speed, setting) / setting. No client can drive faster than the car's setting, and the
  original UI's lower manual speed is kept. (The original also bent the throttle along a curve of max_speed; a
  throttle here is the fraction of calibrated full throttle, as everywhere else in the stack.)
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, MANUAL
from webserver_pkg.context import Console, console, logged_in_session
from webserver_pkg.robot.bridge import NavigationView, require_navigation
from webserver_pkg.services import drive_readout
from webserver_pkg.services.run_owner import RunOwner, describe_device, run_words
from webserver_pkg.views.api_input import ApiError, choice, json_body, number, ok

blueprint = Blueprint("driving", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

# The original console's names ("auto") -> the car's.
DRIVE_MODES = {"manual": MANUAL, "auto": AUTONOMOUS, "autonomous": AUTONOMOUS, "calibration": CALIBRATION}


@blueprint.route("/manual_drive", methods=["PUT", "POST"])
def manual_drive() -> ResponseReturnValue:
    """One command in the original route's convention (module docstring). Sent to navigation whatever the state
    the console last heard (navigation decides, and a Start may be on its way); the answer says when that state
    means it did nothing: 200 with success false and what to do, as the original server answered its refusals,
    since the original UI sends this five times a second and reads no status."""
    body = json_body()
    angle = number(body, "angle", -1.0, 1.0)
    throttle = number(body, "throttle", -1.0, 1.0)
    requested = number(body, "max_speed", 0.0, 1.0, default=1.0)
    bridge = console().bridge
    state = bridge.navigation_state()
    bridge.manual_drive(-angle, -throttle * speed_share(requested, None if state is None else state.max_speed))
    idle = manual_did_nothing(state, throttle)
    if idle:
        return jsonify(success=False, reason=idle)
    return ok()


def speed_share(requested: float, car_setting: float | None) -> float:
    """What to send so that navigation's scaling by the car's setting gives min(requested, setting) once. With the
    setting unknown or 0 the request's own share is sent: at worst both apply (slower), never faster."""
    if car_setting is None or car_setting <= 0:
        return requested
    return min(requested, car_setting) / car_setting


def manual_did_nothing(state: NavigationView | None, throttle: float) -> str:
    """Why a manual command does not drive in navigation's state as last heard ("" when it drives)."""
    if state is None:
        return "the navigation node has not been heard: nothing drives the car (check the Logs page)"
    if state.emergency_stop:
        return "the emergency stop is latched: the command did nothing (reset it, then press Start)"
    if state.mode != MANUAL:
        return f"the car is in {state.mode} mode: manual commands do nothing (choose Manual driving first)"
    if not state.started:
        return "the car is stopped: the command did nothing (press Start to drive)"
    if throttle != 0 and state.max_speed == 0:
        return "maximum speed is 0 %: the wheels steer but the car does not move (raise Maximum speed)"
    return ""


@blueprint.route("/drive_mode", methods=["PUT", "POST"])
def drive_mode() -> ResponseReturnValue:
    """A mode change stops a run in progress (navigation's rule). The Control page asks first when it knows the car
    is driving, and otherwise sends `only_if_stopped`, so a run started meanwhile from another device is refused
    with whose it is rather than ended unasked. Clients of the original API send neither and are obeyed."""
    body = json_body()
    mode = DRIVE_MODES[choice(body, "drive_mode", tuple(DRIVE_MODES))]
    bridge = console().bridge
    if body.get("only_if_stopped") is True:
        state = bridge.navigation_state()
        if state is not None and state.started and state.mode != mode:
            whose = run_words(console().owners.owner(state.run_started_ns), logged_in_session().session_id)
            raise ApiError(f"the car is driving ({_whose_run(whose)}): a mode change stops that run", 409,
                           run_by=whose)
    bridge.set_drive_mode(mode)
    return ok()


def _whose_run(whose: dict) -> str:
    if whose["you"]:
        return "the run you started"
    if whose["racer"]:
        return f"{whose['racer']}'s run, started from {whose['device']}"
    return f"a run started from {whose['device']}" if whose["known"] else "a run started outside this console"


@blueprint.route("/start_stop", methods=["PUT", "POST"])
def start_stop() -> ResponseReturnValue:
    """One call to navigation: the inference node follows navigation's state (drive_rules.policy_runs),
    so there is nothing to start first or roll back, and a ROS client gets the same behaviour."""
    action = choice(json_body(), "start_stop", ("start", "stop"))
    bridge = console().bridge
    if action == "stop":
        bridge.set_navigation_started(False)
        log.info("car stopped from the console (%s)", request.remote_addr)
        return ok()
    navigation = require_navigation(bridge)
    state = console()
    _, current = state.event.queue()
    asked_ns = bridge.now_ns()
    bridge.set_navigation_started(True)
    state.owners.started(RunOwner(logged_in_session().session_id, describe_device(request.user_agent.string),
                                  current.name if current else "", asked_ns, bridge.now_ns()))
    state.stop_note = ""
    log.info("car started in %s mode from the console (%s)", navigation.mode, request.remote_addr)
    return ok()


def stop_for(state: Console, reason: str) -> None:
    """The console stops the run itself (the event setting of services.run_owner); the pages say why."""
    state.bridge.set_navigation_started(False)
    state.stop_note = reason
    log.warning("run stopped by the console: %s", reason)


@blueprint.route("/presence")
def presence() -> ResponseReturnValue:
    """Nothing but "this device is still here" (services.run_owner), for pages that read nothing else often."""
    return ok()


@blueprint.route("/max_nav_throttle", methods=["PUT", "POST"])
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
    """Navigation's state with the run's time and the live readout: the one status the Control page polls."""
    bridge = console().bridge
    # Navigation's state first, the duty cycles it causes after: a poll that says "neutral" also shows it written.
    state = bridge.navigation_state()
    written_view = bridge.pwm_written()
    # The neutral is only asked for while the servo node writes: a node that is gone costs no service wait.
    neutral = bridge.calibrated_neutral() if drive_readout.live(written_view) else None
    readout = {"commanded": drive_readout.commanded(bridge.servo_command()),
               "written": drive_readout.written(written_view, neutral)}
    extras = {"readout": readout, "model": _model_words(), "event": _event_words(), "run_by": _run_by(state),
              "stop_when_starter_leaves": console().event.stop_when_starter_leaves,
              "stop_note": console().stop_note if state is not None and not state.started else ""}
    if state is None:
        return ok(known=False, mode="", started=False, emergency_stop=False, max_speed=0.0, model_name="",
                  model_ready=False, last_command_age_s=0.0, neutral_reason="", run_started_ns=0,
                  run_elapsed_s=0.0, **extras)
    elapsed_s = drive_readout.run_elapsed_s(state.run_started_ns, bridge.now_ns())
    return ok(known=True, **vars(state), run_elapsed_s=elapsed_s, **extras)


def _model_words() -> dict[str, str]:
    """The inference node's model state, so every device's Control page shows a load whoever started it."""
    model = console().bridge.model_state()
    if model is None:
        return {"state": "unknown", "name": "", "reason": ""}
    return {"state": model.state, "name": model.model_name, "reason": model.reason}


def _event_words() -> dict[str, object] | None:
    """Event mode's racers for the Control page's Next racer; None outside event mode."""
    store = console().event
    if not store.in_use():
        return None
    queue, current = store.queue()
    return {"next_racer": queue[0].name if queue else "", "next_model": queue[0].model if queue else "",
            "current_racer": current.name if current else ""}


def _run_by(state: NavigationView | None) -> dict[str, object]:
    owner = console().owners.owner(state.run_started_ns) if state is not None and state.started else None
    return run_words(owner, logged_in_session().session_id)
