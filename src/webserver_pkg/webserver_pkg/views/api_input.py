"""Reading and answering JSON requests the same way on every route.

Routes raise `ApiError(reason, status)` for anything they refuse; the app turns it into
`{"success": false, "reason": ...}` with that HTTP status. Values are checked here so every route
gives the same kind of message: which field, what it got, what is allowed.

Every bound on untrusted input lives here too, so no request reaches a 500: a JSON body is at most
`MAX_JSON_BYTES` and `MAX_JSON_DEPTH` deep (Python's parser recurses per level and a 100,000-deep body
raised RecursionError), numbers are range-checked exactly before they become floats (the integer
10**400 cannot be converted), and digits in URLs mean ASCII digits (str.isdigit() accepts '²').
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

# The largest body a JSON route needs is a calibration or a list of model names: a few hundred bytes.
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
_ASCII_DIGITS = re.compile(r"[0-9]+")


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


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json(raw: bytes) -> Any:
    """A JSON document within the size and depth bounds; ApiError (400/413) otherwise."""
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(f"the JSON body is larger than {MAX_JSON_BYTES // 1024} KB: send only the fields "
                       "the route needs", 413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("the request body is not UTF-8 text: send a JSON object") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ApiError(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels: send a flat JSON object")
    try:
        return json.loads(text)
    except ValueError:  # also the interpreter's limit on the digits of an integer
        raise ApiError("the request body is not valid JSON: send a JSON object") from None


def json_body() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise ApiError(f"the JSON body is larger than {MAX_JSON_BYTES // 1024} KB: send only the fields "
                       "the route needs", 413)
    body = parse_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise ApiError("expected a JSON object as the request body")
    return body


def _shown(value: Any) -> str:
    """A value as a reason quotes it: never a 400-digit number or a page of text."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def number(body: dict[str, Any], key: str, low: float, high: float, default: float | None = None) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or (isinstance(value, float) and not math.isfinite(value)):
        raise ApiError(f"{key} must be a number in [{low:g}, {high:g}], got {_shown(value)}")
    if not low <= value <= high:  # exact for ints of any size: compared before any conversion to float
        raise ApiError(f"{key} must be in [{low:g}, {high:g}], got {_shown(value)}")
    return float(value)


def integer(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(f"{key} must be a whole number in [{low}, {high}], got {_shown(value)}")
    if not low <= value <= high:
        raise ApiError(f"{key} must be in [{low}, {high}], got {_shown(value)}")
    return value


def whole_number_text(text: str, key: str, low: int, high: int) -> int:
    """A whole number written in ASCII digits in a URL (int() alone takes '٣' and isdigit() takes '²')."""
    if not _ASCII_DIGITS.fullmatch(text) or len(text) > len(str(high)) or not low <= int(text) <= high:
        raise ApiError(f"{key} must be a whole number in [{low}, {high}], got {_shown(text)}")
    return int(text)


def choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = body.get(key)
    if not isinstance(value, str) or value not in allowed:
        raise ApiError(f"{key} must be one of {', '.join(allowed)}; got {_shown(value)}")
    return value
