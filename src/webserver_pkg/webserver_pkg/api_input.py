"""Reading and answering JSON requests the same way on every route.

Routes raise `ApiError(reason, status)` for anything they refuse; the app turns it into
`{"success": false, "reason": ...}` with that HTTP status. Values are checked here so every route
gives the same kind of message: which field, what it got, what is allowed.
"""

from __future__ import annotations

import math
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue


class ApiError(Exception):
    def __init__(self, reason: str, status: int = 400, **extra: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.extra = extra


def ok(**fields: Any) -> ResponseReturnValue:
    return jsonify(success=True, **fields)


def failure(reason: str, status: int, **extra: Any) -> ResponseReturnValue:
    return jsonify(success=False, reason=reason, **extra), status


def json_body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError("expected a JSON object as the request body")
    return body


def number(body: dict[str, Any], key: str, low: float, high: float, default: float | None = None) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ApiError(f"{key} must be a number in [{low:g}, {high:g}], got {value!r}")
    if not low <= value <= high:
        raise ApiError(f"{key} must be in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def integer(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(f"{key} must be a whole number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ApiError(f"{key} must be in [{low}, {high}], got {value}")
    return value


def choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = body.get(key)
    if value not in allowed:
        raise ApiError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
    return value
