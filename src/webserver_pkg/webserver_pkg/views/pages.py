"""The server-rendered pages. Each template gets `csrf_token` (layout.html puts it in a meta tag
the page scripts send back), `active_page` (navigation highlight), `software_version` and
`console_notice` (a problem the console repaired at start that staff must act on; empty when none)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from webserver_pkg.context import console, logged_in_session
from webserver_pkg.services.device_info import software_version

blueprint = Blueprint("pages", __name__)


def _page(template: str, active_page: str) -> str:
    # A repaired password file is shown on every page until the password is changed: the car is back on
    # its default password, which whoever knows the car may know.
    return render_template(template, csrf_token=logged_in_session().csrf_token, active_page=active_page,
                           software_version=software_version(), console_notice=console().passwords.problem)


@blueprint.route("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("pages.home"))


@blueprint.route("/home")
def home() -> ResponseReturnValue:
    return _page("control.html", "home")


@blueprint.route("/models")
def models() -> ResponseReturnValue:
    return _page("models.html", "models")


@blueprint.route("/calibration")
def calibration() -> ResponseReturnValue:
    return _page("calibration.html", "calibration")


@blueprint.route("/settings")
def settings() -> ResponseReturnValue:
    return _page("settings.html", "settings")


@blueprint.route("/logs")
def logs() -> ResponseReturnValue:
    return _page("logs.html", "logs")
