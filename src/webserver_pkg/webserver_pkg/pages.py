"""The server-rendered pages. Each template gets `csrf_token` (layout.html puts it in a meta tag
the page scripts send back), `active_page` (navigation highlight) and `software_version`."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from webserver_pkg.context import logged_in_session
from webserver_pkg.device_info import software_version

blueprint = Blueprint("pages", __name__)


def _page(template: str, active_page: str) -> str:
    return render_template(template, csrf_token=logged_in_session().csrf_token, active_page=active_page,
                           software_version=software_version())


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
