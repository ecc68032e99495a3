"""Login, logout, the password change, and the login page's STOP.

A login creates its own session (others stay logged in). Failed attempts are counted per client
address; past the limit every attempt from there is refused for the rest of the minute, even with
the right password, so guessing costs real time; the login page shows how long is left.

The login page carries a CSRF token of its own, kept in this browser's signed cookie, and the session a login
from that browser creates takes it over: the original's clients read the token before they log in (on the
original, Flask-WTF's token lived in the browser's session and outlived the login) and send it with every change
after (`awsdeepracer-control`, the community console). Another origin can neither read the page nor send the
cookie (SameSite=Strict), so this opens nothing to other sites.
"""

from __future__ import annotations

import logging
import math
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue

from webserver_pkg.context import console, current_session, logged_in_session, set_current_session
from webserver_pkg.services.credentials import login_help
from webserver_pkg.services.device_info import software_version
from webserver_pkg.services.request_origin import foreign_source
from webserver_pkg.services.sessions import Session, new_csrf_token
from webserver_pkg.views.api_input import ApiError, json_body, ok
from webserver_pkg.views.car_in_use import refuse_while_started

blueprint = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

PASSWORD_CHANGED = "The console password was changed on another device: log in with the new password."
PUBLIC_STOPS_PER_MINUTE = 10  # per client address: a tap latches the stop, so more are never needed
LOGIN_CSRF = "login_csrf"  # the login page's token, in the signed cookie until a login takes it over


def lockout_seconds(client: str) -> int:
    """Whole seconds until `client` may try a password again (0 = now): the login form's countdown."""
    wait_s = console().login_limiter.retry_after(client)
    return max(1, math.ceil(round(wait_s, 3))) if wait_s > 0 else 0  # t + 60 - t can be 60.0000000000018


def locked_out(seconds: int) -> str:
    return (f"too many failed logins from this address: try again in {seconds} s (even the right password is "
            "refused until then)")


def _login_page(**fields: object) -> str:
    seconds = lockout_seconds(request.remote_addr or "unknown")
    token = cookie.get(LOGIN_CSRF) or new_csrf_token()
    cookie[LOGIN_CSRF] = token
    state = console()
    first = None if state.passwords.changed else state.first_password
    return render_template("login.html", csrf_token=token, active_page="login", software_version=software_version(),
                           retry_after_s=seconds, lockout=locked_out(seconds) if seconds else "",
                           password_help=login_help(first, state.config.console_path), **fields)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if current_session() is not None:
            return redirect(url_for("pages.home"))
        # The cookie still names a session someone else ended: say why, so a racer is not left guessing.
        return _login_page(session_ended=console().sessions.ended_reason(cookie.get("sid")))
    session = attempt_login(_password_sent())
    return ok(redirect=url_for("pages.home"), csrf_token=session.csrf_token)


def _password_sent() -> str:
    """The form field `password` (the original's login page, awsdeepracer-control; url-encoded or multipart), or
    a JSON body's `password` (a version of the community console's login page sends JSON)."""
    if request.form.get("password") is not None:
        return request.form["password"]
    if request.is_json:
        password = json_body().get("password")
        return password if isinstance(password, str) else ""
    return ""


def attempt_login(password: str) -> Session:
    """The one login rule, for the form and DREM's links: the rate limit, the password, a new session in the
    cookie (ending the one the cookie named). Raises ApiError (401, 429) with the reason."""
    state = console()
    client = request.remote_addr or "unknown"
    seconds = lockout_seconds(client)
    if seconds:
        raise ApiError(locked_out(seconds), 429, retry_after_s=seconds)
    if not state.passwords.verify(password):
        state.login_limiter.failed(client)
        log.warning("failed console login from %s", client)
        seconds = lockout_seconds(client)
        if seconds:  # this failure locked the address: say so now, not at the next try
            raise ApiError(f"wrong password; {locked_out(seconds)}", 429, retry_after_s=seconds)
        raise ApiError("wrong password (the default is printed under the car, or kept in the file that the "
                       "console's start line names)", 401)
    state.login_limiter.succeeded(client)
    old = current_session()
    if old is not None:
        state.sessions.end(old.session_id)
    session = state.sessions.create(csrf_token=cookie.get(LOGIN_CSRF))
    cookie.clear()
    cookie["sid"] = session.session_id
    cookie.permanent = True
    set_current_session(session)
    log.info("console login from %s (%d sessions)", client, state.sessions.count())
    return session


def login_link() -> ResponseReturnValue:
    """DREM links racers to `https://<car>/?epwd=<password>`: log in, then send the browser to the same address
    without the password so it leaves the address bar and the history; a refused one shows the login page with
    the reason. The password is never echoed nor logged."""
    rest = [(key, value) for key, value in request.args.items(multi=True) if key != "epwd"]
    # One leading slash: "//host/..." would send the browser to another site.
    target = "/" + request.path.lstrip("/") + (f"?{urlencode(rest)}" if rest else "")
    try:
        attempt_login(request.args.get("epwd", ""))
    except ApiError as error:
        # A lock-out is said once, by the page's countdown banner.
        return _login_page(login_error="" if error.status == 429 else error.reason), error.status
    return redirect(target, 303)


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    _end_this_session()
    if request.method == "POST":
        return ok(redirect=url_for("auth.login"))
    return redirect(url_for("auth.login"))


@blueprint.route("/redirect_login", methods=["GET", "POST"])
def redirect_login() -> ResponseReturnValue:
    """The original's other logout (the community console's Logout button calls it): the session ends, its
    cookies go, and the browser is sent to the login page."""
    _end_this_session()
    return redirect(url_for("auth.login"), 302 if request.method == "GET" else 303)


def _end_this_session() -> None:
    session = current_session()  # a POST has passed the app's CSRF check
    if session is not None:
        console().sessions.end(session.session_id)
        console().owners.forget(session.session_id)  # a device logged out has gone away
    cookie.clear()
    set_current_session(None)


@blueprint.route("/auth", methods=["GET", "POST"])
def auth() -> ResponseReturnValue:
    """The original's session check (its nginx asked it before every request): 200 while this browser has a
    session, 401 otherwise, nothing else said."""
    return Response("", 200 if current_session() is not None else 401, mimetype="text/plain")


@blueprint.route("/api/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    body = json_body()
    old, new = body.get("old_password"), body.get("new_password")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ApiError("old_password and new_password must both be given as strings")
    refuse_while_started("change the password (a change logs every other device out)")
    try:
        console().passwords.change(old, new)
    except ValueError as error:
        raise ApiError(str(error)) from None
    console().sessions.end_all_except(logged_in_session().session_id, PASSWORD_CHANGED)
    log.info("console password changed from %s; other sessions ended", request.remote_addr)
    return ok()


@blueprint.route("/api/public/car_moving")
def public_car_moving() -> ResponseReturnValue:
    """Whether the car is started, for the login page's STOP, without a login. It says nothing else (no mode,
    model or speed), and costs one read of the state the bridge keeps, like serving the login page itself."""
    state = console().bridge.navigation_state()
    return ok(moving=bool(state is not None and state.started))


@blueprint.route("/api/public/stop", methods=["POST"])
def public_stop() -> ResponseReturnValue:
    """The login page's STOP: latches the emergency stop, as the console's STOP does, with no login and no CSRF
    token, so a racer logged out (a password change, an expired session) can still stop a moving car.

    Why that is safe from misuse: this route can only stop. Stopping is always safe for the car and the people
    near it; releasing the stop and starting need a login (their routes stay behind the guard), so the worst
    anyone on the car's network can do is stop a run, which a logged-in racer sees latched and releases. A page of
    another site is refused (services.request_origin, from the headers the browser adds): otherwise any web page a
    person opened on the event's network could stop every car. The limit per address keeps the log from being
    flooded."""
    foreign = foreign_source(request.headers, request.scheme, request.host)
    if foreign:
        log.warning("public STOP refused from %s: %s", request.remote_addr, foreign)
        raise ApiError(f"refused: this STOP was {foreign}; use the STOP on the car's own login page or console", 403)
    client = request.remote_addr or "unknown"
    wait_s = console().public_stop_limiter.spend(client)
    if wait_s > 0:
        seconds = max(1, math.ceil(wait_s))
        raise ApiError(f"too many STOP requests from this address (the stop is already latched): try again in "
                       f"{seconds} s", 429, retry_after_s=seconds)
    console().bridge.emergency_stop()
    log.warning("emergency stop from the login page (%s, not logged in)", client)
    return ok()
