"""The Logs page's data: the robot log (/rosout) and the system log, newest first, filtered, secrets masked."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from webserver_pkg.context import console
from webserver_pkg.services.log_sources import CONSOLE_LOG, LOG_TYPES, MAX_LINES, newest_first, read_tail, redact
from webserver_pkg.views.api_input import ApiError, ok, whole_number_text

blueprint = Blueprint("logs", __name__, url_prefix="/api")


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
