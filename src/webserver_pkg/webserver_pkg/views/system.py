"""The car's own parts in the console, as the original's routes: battery, network, USB link, SSH, time zone (the
community fork's), software update.

Everything goes through the `SystemBridge` kept in app.extensions (system_node's services on a car, the system
package's simulated parts in tests). The original's methods are kept (`GET /api/enableSsh`, `disableSsh` and
`begin_software_update`, besides POST): those GETs need the CSRF header (the app's guard), so a link on another
page changes nothing. The Day-0 "mandatory update" status the original UI asks for is kept in the console folder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, stream_with_context
from flask.typing import ResponseReturnValue

from deepracer_common_pkg.small_files import atomic_write_json, read_json
from system_pkg.network.base import signal_bars
from webserver_pkg.context import console
from webserver_pkg.robot.bridge import BridgeError
from webserver_pkg.robot.system_bridge import SystemBridge, UpdatesOff
from webserver_pkg.views.api_input import ApiError, json_body, ok

blueprint = Blueprint("system", __name__, url_prefix="/api")
EXTENSION = "deepracer_system"
MAX_SSID_BYTES = 32  # IEEE 802.11
MAX_PASSWORD_CHARS = 64  # WPA: 8-63 characters, or 64 hex digits
MAX_LOGIN_PASSWORD_CHARS = 128
MAX_TIMEZONE_CHARS = 64
# /api/update_status: how often the stream looks for a change, and the longest it stays open (a worker each).
UPDATE_POLL_S = 0.5
UPDATE_STREAM_MAX_S = 600.0
_FINAL = ("status:complete", "status:failed", "status:idle")
# The original's file name (it kept it in /opt/aws/deepracer); {"update_completed": bool}.
MANDATORY_UPDATE_FILE = "software_update_status.json"


def register(app: Flask, system: SystemBridge) -> None:
    app.extensions[EXTENSION] = system
    app.register_blueprint(blueprint)


def _system() -> SystemBridge:
    return current_app.extensions[EXTENSION]


def _text(key: str, *, limit: int, required: bool = True, encoded_limit: bool = False) -> str:
    value = json_body().get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(f"{key} must be a non-empty string" if required else f"{key} must be a string")
    size = len(value.encode("utf-8")) if encoded_limit else len(value)
    if size > limit:
        raise ApiError(f"{key} is too long: at most {limit} {'bytes' if encoded_limit else 'characters'}")
    if not value.isprintable():
        raise ApiError(f"{key} may not contain line breaks or control characters")
    return value


@blueprint.route("/get_battery_level")
def get_battery_level() -> ResponseReturnValue:
    battery = _system().battery()
    if battery is None:
        return ok(battery_level=-1, low=False, reason="no battery reading yet: is the system node running?")
    extra = {"reason": battery.problem} if battery.problem else {}
    return ok(battery_level=battery.level, low=battery.low, **extra)


@blueprint.route("/get_network_details")
def get_network_details() -> ResponseReturnValue:
    details = _system().network_details()
    return ok(SSID=details.ssid, ip_address=details.ip_address, is_usb_connected=details.usb_connected)


@blueprint.route("/is_usb_connected")
def is_usb_connected() -> ResponseReturnValue:
    return ok(is_usb_connected=_system().network_details().usb_connected)


@blueprint.route("/available_wifi_info")
def available_wifi_info() -> ResponseReturnValue:
    # A bare list, as the original answered and its clients read; strength in its 1-4 bars.
    networks = _system().wifi_networks()
    return current_app.json.response([{"ssid": n.ssid, "strength": signal_bars(n.strength),
                                       "security_info": n.security} for n in networks])


@blueprint.route("/wifi_reset", methods=["POST"])
def wifi_reset() -> ResponseReturnValue:
    ssid = _text("wifi_name", limit=MAX_SSID_BYTES, encoded_limit=True)
    password = _text("wifi_password", limit=MAX_PASSWORD_CHARS, required=False)
    result = _system().connect_wifi(ssid, password)
    if not result.success:
        raise BridgeError(result.reason or f"could not join {ssid!r}")
    return ok(ip_address=result.ip_address)


@blueprint.route("/isSshEnabled")
def is_ssh_enabled() -> ResponseReturnValue:
    return ok(isSshEnabled=_system().ssh_state().enabled)


@blueprint.route("/isSshDefaultPasswordChanged")
def is_ssh_default_password_changed() -> ResponseReturnValue:
    return ok(isDefaultSshPasswordChanged=_system().ssh_state().default_password_changed)


@blueprint.route("/enableSsh", methods=["GET", "POST"])
def enable_ssh() -> ResponseReturnValue:
    _system().set_ssh_enabled(True)
    return ok()


@blueprint.route("/disableSsh", methods=["GET", "POST"])
def disable_ssh() -> ResponseReturnValue:
    _system().set_ssh_enabled(False)
    return ok()


@blueprint.route("/resetSshPassword", methods=["PUT", "POST"])
def reset_ssh_password() -> ResponseReturnValue:
    old = _text("oldPassword", limit=MAX_LOGIN_PASSWORD_CHARS)
    new = _text("newPassword", limit=MAX_LOGIN_PASSWORD_CHARS)
    _system().change_ssh_password(old, new)
    return ok()


@blueprint.route("/set_timezone", methods=["POST"])
def set_timezone() -> ResponseReturnValue:
    zone = _text("timezone", limit=MAX_TIMEZONE_CHARS)
    _system().set_timezone(zone)
    console().timezone_changed = True
    return ok(timezone=zone.strip(), reason="Timezone updated successfully")  # the community car's words


@blueprint.route("/is_software_update_available")
def is_software_update_available() -> ResponseReturnValue:
    """As the original: `status` true when a newer version can be installed (its update state 1), here from the
    package index's latest answer; `version` names it. `updates` (ours) says how this car updates at all: "on"
    (a package index), "usb_only" or "off", so the page offers no button that cannot work."""
    try:
        newer = _system().update_available()
    except UpdatesOff as off:
        return ok(status=False, version="", updates="usb_only" if off.usb_only else "off")
    return ok(status=bool(newer), version=newer, updates="on")


@blueprint.route("/begin_software_update", methods=["GET", "POST"])
def begin_software_update() -> ResponseReturnValue:
    return ok(message=_system().begin_update())


@blueprint.route("/get_mandatory_update_status")
def get_mandatory_update_status() -> ResponseReturnValue:
    """Whether the original's first ("Day 0") software update was done: its UI holds a new car on an update page
    until it was. This stack has no such update, so true until a client sets it otherwise."""
    try:
        saved = read_json(console().config.console_path / MANDATORY_UPDATE_FILE)
    except (OSError, ValueError):
        saved = None
    completed = saved.get("update_completed") if isinstance(saved, dict) else None
    return ok(status=completed if isinstance(completed, bool) else True)


@blueprint.route("/set_mandatory_update_status", methods=["PUT", "POST"])
def set_mandatory_update_status() -> ResponseReturnValue:
    completed = json_body().get("update_completed")
    if not isinstance(completed, bool):
        raise ApiError(f"update_completed must be true or false, got {completed!r}")
    atomic_write_json(console().config.console_path / MANDATORY_UPDATE_FILE, {"update_completed": completed})
    return ok()


@blueprint.route("/server_ready")
def server_ready() -> ResponseReturnValue:
    """The original UI asks this after an update to know the car is back."""
    return ok(status=True)


@blueprint.route("/update_status")
def update_status() -> ResponseReturnValue:
    """An event stream of `status:<s>|update_pct:<n>` as the original, one event per change; it ends when the
    update completes or fails (or nothing runs), or after UPDATE_STREAM_MAX_S."""
    system = _system()

    def events() -> Iterator[str]:
        last, deadline = None, time.monotonic() + UPDATE_STREAM_MAX_S
        while time.monotonic() < deadline:
            line = system.update_status()
            if line != last:
                yield f"data: {line}\n\n"
                last = line
                if line.startswith(_FINAL):
                    return
            time.sleep(UPDATE_POLL_S)  # a poll of a latched value, not a synchronisation

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
