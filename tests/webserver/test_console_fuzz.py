"""No request reaches a 500: every route of openapi.yaml, fuzzed over real HTTP on 127.0.0.1.

The generator is written here rather than taken from a property-testing library: it reads each operation
of the document (path parameters, query parameters, JSON body properties) and sends, field by field, the
values that broke the console before (the integer 10**400, a 100,000-deep body, '²' as a digit) next to
wrong types, huge and empty values, and seeded random mutations. The count is bounded (a few thousand
requests, seconds on this machine), the seed fixed, so a failure repeats. A 5xx fails the test unless
the document itself promises it for that operation (501: not managed by this stack).
"""

from __future__ import annotations

import json
import random
import re
from importlib import resources
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from webserver.console_client import HttpClient

SEED = 19
RANDOM_BODIES_PER_OPERATION = 12
METHODS = ("get", "post", "put", "delete", "patch")
# Streams that never end (MJPEG) are fuzzed with every topic but the one that opens the stream.
STREAM_VALUES = {("/route", "topic"): ("/camera_pkg/display_mjpeg", "/camera_pkg/display_mjpeg/compressed")}

HOSTILE_SCALARS: list[Any] = [
    10**400, -(10**400), 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324, 0, -0.0, 1, -1, 0.5, 255, 256,
    True, False, None, "", "0", "1e400", "NaN", "²", "٣", "-", "a" * 5000, "\u0000", "é", "../../etc/passwd",
    [], {}, [1, 2, 3], {"a": {"b": {}}}, [[[[[]]]]],
]
HOSTILE_PATH_VALUES = ["²", "٣", "0", "-1", "1e3", "99999999999999999999999", "00001", " 5", "angle", "throttle",
                       "robot", "system", "..", "%2e%2e", "%00", "a" * 300, "é", "null", "%F0%9F%9A%97"]
HOSTILE_RAW_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"angle": ' + b"9" * 5000 + b"}",
    b'{"angle": 1e99999, "throttle": -1e99999}',
    b'{"angle": NaN, "throttle": Infinity}',
    b"\xff\xfe\x00{not utf-8",
    b"null", b"[]", b'"text"', b"1", b"",
    b"{" + b'"k": "v", ' * 20_000 + b'"end": 1}',
]


def _document() -> dict[str, Any]:
    return yaml.safe_load(resources.files("webserver_pkg").joinpath("openapi.yaml").read_text())


def _deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _properties(document: dict[str, Any], schema: Any) -> dict[str, Any]:
    schema = _deref(document, schema)
    if not isinstance(schema, dict):
        return {}
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        properties |= _properties(document, part)
    return properties


def _valid_value(document: dict[str, Any], schema: Any) -> Any:
    schema = _deref(document, schema) or {}
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "number":
        return (schema.get("minimum", 0) + schema.get("maximum", 0)) / 2
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_valid_value(document, schema.get("items", {"type": "string"}))]
    if kind == "object":
        return {k: _valid_value(document, v) for k, v in _properties(document, schema).items()}
    return "x" * max(1, schema.get("minLength", 1))


class Operation:
    def __init__(self, document: dict[str, Any], path: str, method: str, item: dict[str, Any]) -> None:
        self.path, self.method = path, method
        operation = item[method]
        parameters = [_deref(document, p) for p in item.get("parameters", []) + operation.get("parameters", [])]
        self.path_params = {p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "path"}
        self.query_params = {p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "query"}
        content = operation.get("requestBody", {}).get("content", {})
        self.json_schema = content.get("application/json", {}).get("schema")
        self.form = "application/x-www-form-urlencoded" in content
        self.multipart = "multipart/form-data" in content
        self.body_fields = _properties(document, self.json_schema) if self.json_schema else {}
        self.valid_body = _valid_value(document, self.json_schema) if self.json_schema else {}
        self.allowed_5xx = {int(code) for code in operation.get("responses", {}) if str(code).startswith("5")
                            and int(code) == 501}
        self.valid_path = {name: _valid_value(document, schema) for name, schema in self.path_params.items()}

    def url(self, path_values: dict[str, str], query: dict[str, str]) -> str:
        url = self.path
        for name, value in path_values.items():
            url = url.replace("{" + name + "}", quote(str(value), safe="%"))
        if query:
            url += "?" + "&".join(f"{k}={quote(v, safe='%/')}" for k, v in query.items())
        return url


def _operations() -> list[Operation]:
    document = _document()
    return [Operation(document, path, method, item) for path, item in document["paths"].items()
            for method in METHODS if method in item]


def _mutate(value: Any, rng: random.Random) -> Any:
    """A random nasty change of a valid value: replaced, wrapped, nested or made huge."""
    move = rng.randrange(5)
    if move == 0:
        return rng.choice(HOSTILE_SCALARS)
    if move == 1:
        return [value] * rng.randrange(0, 4)
    if move == 2:
        return {"value": value}
    if move == 3 and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * rng.choice([10**300, -(10**300), 1e300, -1e-300])
    return rng.choice([str(value), -value if isinstance(value, (int, float)) else value * 2])


def _requests(operation: Operation, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """(url, request keyword arguments) for one operation: targeted values, then random mutations."""
    cases: list[tuple[str, dict[str, Any]]] = []
    valid_path = {k: str(v) for k, v in operation.valid_path.items()}

    def add(path_values: dict[str, str], query: dict[str, str] | None = None, **kwargs: Any) -> None:
        for (route, name), value in STREAM_VALUES.items():
            if route == operation.path and (query or {}).get(name, "") in value:
                return
        cases.append((operation.url(path_values, query or {}), kwargs))

    for name in operation.path_params:
        for value in HOSTILE_PATH_VALUES:
            add(valid_path | {name: value}, json_body=operation.valid_body)
    for name in operation.query_params:
        for value in [*HOSTILE_PATH_VALUES, "", "%ZZ", "a" * 5000]:
            add(valid_path, {name: value})
    if operation.method == "get":
        add(valid_path)
        return cases
    if operation.multipart:
        for filename, content in (("m.tar.gz", b""), ("m.tar.gz", rng.randbytes(4096)), ("", b"x"),
                                  ("../../x.tar.gz", b"\x1f\x8b" + rng.randbytes(100)), ("²" * 100, b"x")):
            add(valid_path, upload=(filename, content))
    if operation.form:
        for password in ("", "x" * 10_000, "²", "\u0000"):
            add(valid_path, form={"password": password})
    for raw in HOSTILE_RAW_BODIES:
        add(valid_path, data=raw, headers={"Content-Type": "application/json"})
    for field in operation.body_fields:
        for value in HOSTILE_SCALARS:
            add(valid_path, json_body={**operation.valid_body, field: value})
    for _ in range(RANDOM_BODIES_PER_OPERATION):
        body = dict(operation.valid_body) if isinstance(operation.valid_body, dict) else {}
        for field in list(body) or ["extra"]:
            if rng.random() < 0.6:
                body[field] = _mutate(body.get(field, 1), rng)
        add(valid_path, json_body=body)
    add(valid_path, json_body=operation.valid_body)
    return cases


def _send(client: HttpClient, method: str, url: str, kwargs: dict[str, Any]):
    if "upload" in kwargs:
        filename, content = kwargs["upload"]
        return client.upload(url, filename, content, method=method.upper())
    if "form" in kwargs:
        data = "&".join(f"{k}={v}" for k, v in kwargs["form"].items()).encode()
        return client.request(method.upper(), url, data=data,
                              headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    if "json_body" in kwargs:
        data = json.dumps(kwargs["json_body"]).encode()
        return client.request(method.upper(), url, data=data, headers={"Content-Type": "application/json"},
                              timeout=10)
    return client.request(method.upper(), url, data=kwargs.get("data"), headers=kwargs.get("headers"),
                          timeout=10)


def test_every_route_in_openapi_yaml_is_covered_by_the_fuzzer(console_server):
    """A route the app serves but the document forgets would escape the fuzz below."""
    documented = {re.sub(r"\{[^}]+\}", "<>", op.path) for op in _operations()}
    served = {re.sub(r"<[^>]+>", "<>", rule.rule) for rule in console_server.app.url_map.iter_rules()
              if rule.endpoint != "static"}
    assert served - documented == set()


@pytest.mark.timeout(120)
def test_no_fuzzed_request_answers_a_5xx(console_server):
    rng = random.Random(SEED)
    client = console_server.logged_in_client()
    failures: list[str] = []
    sent = 0
    for operation in _operations():
        if operation.path in ("/logout", "/redirect_login"):
            continue  # they end the fuzzer's session; their refusals are tested in test_console_auth
        for url, kwargs in _requests(operation, rng):
            reply = _send(client, operation.method, url, kwargs)
            sent += 1
            if reply.status >= 500 and reply.status not in operation.allowed_5xx:
                failures.append(f"{operation.method.upper()} {url[:120]} {str(kwargs)[:160]} -> {reply.status} "
                                f"{reply.body[:200]!r}")
            if reply.status == 401:  # a password change or login attempt may end the session
                client = console_server.logged_in_client()
    assert sent > 1000
    assert failures == [], f"{len(failures)} of {sent} requests answered 5xx:\n" + "\n".join(failures[:30])


def test_without_a_session_or_a_csrf_token_no_route_answers_a_5xx_or_acts(console_server):
    """The guard answers before any view: 401 (or the login page) without a session, 403 for a write
    without the token; the robot hears nothing either way. The login page's public routes are the exception
    by design (`auth.public_stop` can only latch the stop): test_console_auth tests them."""
    rng = random.Random(SEED)
    anonymous, no_token = console_server.client(), console_server.logged_in_client()
    no_token.csrf_token = None
    for operation in _operations():
        if operation.path.startswith("/api/public/") or operation.path in ("/logout", "/redirect_login"):
            continue  # public by design; the logouts would leave no session to test the token with
        for url, kwargs in _requests(operation, rng)[:3]:
            for client in (anonymous, no_token):
                reply = _send(client, operation.method, url, kwargs)
                assert reply.status < 500 or reply.status in operation.allowed_5xx, (operation.path, reply.status)
    acting = {"manual_drive", "set_drive_mode", "set_navigation_started", "set_max_speed", "emergency_stop",
              "load_model", "raw_pwm", "set_calibration", "set_led_color", "set_video", "sim_reset"}
    assert acting.isdisjoint(console_server.bridge.call_names())


@pytest.mark.parametrize("method, url, data, reason", [
    ("POST", "/api/manual_drive", b'{"angle": 1' + b"0" * 400 + b', "throttle": 0}', "angle must be in [-1, 1]"),
    ("POST", "/api/max_nav_throttle", b"[" * 30_000 + b"]" * 30_000, "nests deeper than 32 levels"),
    ("POST", "/api/set_led_color", b'{"red": "' + b"x" * 70_000 + b'"}', "larger than 64 KB"),
    ("GET", "/api/logs/robot/%C2%B2", None, "num_lines must be a whole number in [1, 1000]"),
    ("GET", "/api/logs/robot/%D9%A3", None, "num_lines must be a whole number in [1, 1000]"),
])
def test_the_inputs_that_reached_a_500_get_a_reason(console_server, method, url, data, reason):
    """Issue 19, finding 4: each of these answered 500 (OverflowError, RecursionError, int('²'))."""
    reply = console_server.logged_in_client().request(method, url, data=data,
                                                     headers={"Content-Type": "application/json"})
    assert reply.status in (400, 413), reply.body[:300]
    assert reason in reply.json()["reason"]
    assert len(reply.json()["reason"]) < 200  # the 400-digit number is not echoed back
