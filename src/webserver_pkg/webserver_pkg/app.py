"""The device console's Flask app: `create_app(config, bridge)`.

One blueprint per area (views/: auth, pages, driving, action_rate, calibration, device, logs, models, video, sim,
runs)
over the services (services/) and ONE injected robot bridge (robot/), so tests serve the same app against
the in-process robot. Access control is applied here, before any view,
so a new route cannot forget it: no session -> pages redirect to /login and API routes answer 401;
a write (POST/PUT/DELETE/PATCH), or one of the GETs the original console took for a change, without the
session's CSRF token in `X-CSRF-Token` (any case: the original UI's axios sends `X-CSRF-TOKEN`) or `X-CSRFToken`
(Flask-WTF's name, which `awsdeepracer-control` sends) -> 403.

Cookies: the session is `deepracer_session` (signed, HttpOnly, SameSite=Strict); `deepracer_token` is only a
visible marker that a session is live (no secret in it, refused as a session), because the community console's
route guard reads `document.cookie` for that name, which the original set without HttpOnly. It comes with a
login and goes with the session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from inference_pkg.model_package import remove_leftovers
from webserver_pkg.config import ConsoleConfig
from webserver_pkg.context import EXTENSION, Console, console, current_session
from webserver_pkg.robot.bridge import BridgeError, RobotBridge
from webserver_pkg.robot.system_bridge import InProcessSystem, SystemBridge
from webserver_pkg.services.credentials import PasswordStore, load_or_create_secret_key
from webserver_pkg.services.event_queue import EventStore
from webserver_pkg.services.frame_hub import FrameHub
from webserver_pkg.services.log_sources import attach_console_log
from webserver_pkg.services.run_owner import StarterWatch, StarterWatchThread
from webserver_pkg.services.sessions import LoginLimiter, SessionStore, csrf_matches
from webserver_pkg.services.uploads import Installer, UploadRequest, clear_spool, spool_folder
from webserver_pkg.views import (
    action_rate,
    auth,
    calibration,
    device,
    driving,
    event,
    logs,
    models,
    pages,
    runs,
    sim,
    video,
)
from webserver_pkg.views import system as system_views
from webserver_pkg.views.api_input import ApiError, failure

MB = 1024 * 1024
PUBLIC_ENDPOINTS = {"auth.login", "auth.logout", "device.openapi", "static", "auth.public_stop",
                    "auth.public_car_moving", "auth.redirect_login", "auth.auth"}
# Requests that say nothing about a person being at the page (a video stream stays open in a locked phone's tab).
NOT_PRESENCE = {"video.route"}
WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}
CSRF_EXEMPT = {"auth.login", "auth.public_stop", "auth.auth"}  # the public STOP: see auth.public_stop; auth only reads
# The original console took GET for these changes (its UI and awsdeepracer-control send GET): they stay GETs, with
# the token, which a link, an image or a form on another site cannot send, so no GET changes the car unprotected.
# (GET /logout and /redirect_login only end this browser's session, as GET /logout always did.)
STATE_CHANGING_GETS = {"calibration.set_calibration_mode", "system.enable_ssh", "system.disable_ssh",
                       "system.begin_software_update", "auth.change_password"}
CSRF_HEADERS = ("X-CSRF-Token", "X-CSRFToken")
SESSION_COOKIE = "deepracer_session"
MARKER_COOKIE = "deepracer_token"
# Pages load only their own scripts, styles and images (no inline script or style exists, so an injected one
# cannot run), talk only to this car, and cannot be framed.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")
# A year, without includeSubDomains: the car's certificate is self-signed and its name is the car's alone.
HSTS_MAX_AGE_S = 365 * 24 * 3600

log = logging.getLogger(__name__)


def create_app(config: ConsoleConfig, bridge: RobotBridge, *,
               clock: Callable[[], float] = time.monotonic, system: SystemBridge | None = None) -> Flask:
    """Build the console for `bridge`; `clock` (monotonic seconds) drives session expiry and the
    login rate limit, so tests can move time on. `system` is the car's own parts (system_node's bridge on a
    car); None means the system package's simulated parts in this process, as for tests."""
    attach_console_log()
    console_dir = config.console_path
    passwords = PasswordStore(console_dir)
    first_password = passwords.ensure(Path(config.asset_tag_path))
    app = Flask(__name__)
    app.request_class = UploadRequest
    clear_spool(console_dir)
    for leftover in remove_leftovers(config.models_path):
        log.info("removed %s from %s, left by an install or delete that did not finish", leftover,
                 config.models_path)
    app.config.update(
        UPLOAD_SPOOL=spool_folder(console_dir),
        SECRET_KEY=load_or_create_secret_key(console_dir),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        MAX_CONTENT_LENGTH=config.max_upload_mb * MB,
        DEBUG=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    app.extensions[EXTENSION] = Console(
        config=config, bridge=bridge, passwords=passwords, first_password=first_password,
        sessions=SessionStore(config.session_hours * 3600.0, clock),
        login_limiter=LoginLimiter(config.login_attempts_per_minute, 60.0, clock),
        frames=FrameHub(bridge.watch_display), installer=Installer(),
        public_stop_limiter=LoginLimiter(auth.PUBLIC_STOPS_PER_MINUTE, 60.0, clock),
        event=EventStore(console_dir, bridge.announce_racer), clock=clock,
    )
    state = app.extensions[EXTENSION]
    state.starter_watch = StarterWatch(state.owners)
    state.starter_thread = StarterWatchThread(
        state.starter_watch, enabled=lambda: state.event.stop_when_starter_leaves, state=bridge.navigation_state,
        stop=lambda reason: driving.stop_for(state, reason), clock=clock)
    for blueprint in (auth.blueprint, pages.blueprint, driving.blueprint, action_rate.blueprint,
                      calibration.blueprint, device.blueprint, logs.blueprint, models.blueprint, video.blueprint,
                      sim.blueprint, runs.blueprint, event.blueprint):
        app.register_blueprint(blueprint)
    system_views.register(app, system if system is not None else InProcessSystem())
    app.before_request(_guard)
    app.after_request(_security_headers)
    app.after_request(_marker_cookie)
    app.register_error_handler(ApiError, lambda e: failure(e.reason, e.status, **e.extra))
    app.register_error_handler(BridgeError, _bridge_failure)
    app.register_error_handler(HTTPException, _http_failure)
    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/route" or request.method != "GET"


def _guard() -> ResponseReturnValue | None:
    """The one login check and the one CSRF check: every write of a logged-in browser echoes its token,
    public routes included (a cross-site POST /logout must not end a session either), and so does each GET the
    original console took for a change (STATE_CHANGING_GETS)."""
    if request.method == "GET" and "epwd" in request.args:  # DREM's login link, on any page
        return auth.login_link()
    session = current_session()
    if session is None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if _wants_json():
            return failure("not logged in, or the session expired: log in again", 401)
        return redirect(url_for("auth.login"))
    if _needs_csrf() and not any(csrf_matches(session, request.headers.get(name)) for name in CSRF_HEADERS):
        return failure("missing or wrong X-CSRF-Token header: reload the page and try again", 403)
    if request.endpoint not in NOT_PRESENCE:
        console().owners.seen(session.session_id, console().clock())
    return None


def _needs_csrf() -> bool:
    if request.endpoint in CSRF_EXEMPT:
        return False
    return request.method in WRITE_METHODS or request.endpoint in STATE_CHANGING_GETS


def _marker_cookie(response: Response) -> Response:
    """`deepracer_token` shows scripts that a session is live: set while one is, removed once none is."""
    live = current_session() is not None
    if live and (MARKER_COOKIE not in request.cookies or g.get("session_changed")):  # a login: the new lifetime
        response.set_cookie(MARKER_COOKIE, "1", max_age=int(console().sessions.lifetime_s), path="/",
                            secure=console().config.https, httponly=False, samesite="Strict")
    elif not live and MARKER_COOKIE in request.cookies:
        response.delete_cookie(MARKER_COOKIE, path="/", secure=console().config.https, samesite="Strict")
    return response


def _security_headers(response: Response) -> Response:
    # Another site must not frame the console (a hidden STOP or START button under a decoy), and
    # state answers must not be served from a phone's cache.
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.is_secure:  # over plain HTTP the header means nothing (and a laptop run is plain HTTP)
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_S}")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _bridge_failure(error: BridgeError) -> ResponseReturnValue:
    log.warning("%s %s: %s", request.method, request.path, error)
    return failure(str(error), 503 if error.unavailable else 409)


def _allowed(error: HTTPException) -> str:
    methods = sorted(set(getattr(error, "valid_methods", None) or ()) - {"HEAD", "OPTIONS"})
    text = " or ".join(methods) or "another method"
    return f"{text} with the X-CSRF-Token header" if "POST" in methods else text


def _http_failure(error: HTTPException) -> ResponseReturnValue:
    if not _wants_json():
        return error
    reasons = {
        404: f"no such route: {request.path}",
        405: f"{request.method} is not allowed on {request.path}: use {_allowed(error)}",
        413: f"the upload is larger than the console accepts ({console().config.max_upload_mb} MB, "
             "parameter max_upload_mb)",
    }
    return failure(reasons.get(error.code or 500, error.description or "request failed"), error.code or 500)
