"""The Logs page's data: the robot log (/rosout) and the system log, newest first, filtered, secrets masked.

The original's names are served too: it looked `log_type` up among its webserver's constants, where `SYS` is the
system log (/var/log/syslog: its UI's Logs page asks for it) and `SEVER_LOG` its own server log, which here is
the robot log (every node's /rosout lines, the console's included). Any other constant it would have resolved
(a file path, a service name) is not a log and is not served.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from webserver_pkg.context import console
from webserver_pkg.services.log_sources import CONSOLE_LOG, LOG_TYPES, MAX_LINES, newest_first, read_tail, redact
from webserver_pkg.views.api_input import ApiError, ok, whole_number_text

blueprint = Blueprint("logs", __name__, url_prefix="/api")
ORIGINAL_LOG_TYPES = {"SYS": "system", "SEVER_LOG": "robot"}


@blueprint.route("/logs/<log_type>/<num_lines>")
def logs(log_type: str, num_lines: str) -> ResponseReturnValue:
    log_type = ORIGINAL_LOG_TYPES.get(log_type, log_type)
    if log_type not in LOG_TYPES:
        raise ApiError(f"unknown log type {log_type!r}; use one of {', '.join(LOG_TYPES + tuple(ORIGINAL_LOG_TYPES))}",
                       404)
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
