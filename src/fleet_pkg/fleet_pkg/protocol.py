"""What travels on the fleet link: topics, commands, replies and status, shared by the car and the CLI.

Topics (one prefix, so a broker ACL can give each car exactly its own):
    deepracer/<car>/status        retained status JSON; the broker's last will sets {"online": false}
    deepracer/<car>/cmd           commands for one car
    deepracer/all/cmd             commands for every car
    deepracer/<car>/reply/<id>    the car's answer to command <id>

A command is a JSON object {"id", "cmd", "sent_at", "args"}: `id` names the reply topic, `sent_at` is the
sender's wall clock (Unix seconds) and `args` an object whose fields each command fixes below. Parsing is
strict (an unknown field is a typo, refused with its name) and bounded (size, depth), and a refusal says in
plain words what to send instead. Model names are only checked for shape here; whether a name is a usable
model folder is the model-package code's rule, applied by the car.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PREFIX = "deepracer"
ALL = "all"
CAR_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
COMMAND_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_COMMAND_BYTES = 16 * 1024
MAX_DEPTH = 4
# Reply topic for a command whose id cannot name a topic (missing, or not [A-Za-z0-9_-]).
MALFORMED_REPLY_ID = "malformed"

STOP_COMMANDS = frozenset({"stop", "estop"})
# Commands a car honours however old they are: acting on a late stop never makes a car move, an emergency stop
# must work even on a car whose clock is wrong, and a status request changes nothing (and is how the organiser
# finds a car whose clock is wrong).
AGE_EXEMPT = STOP_COMMANDS | {"status"}


def status_topic(car: str) -> str:
    return f"{PREFIX}/{car}/status"


def command_topic(car: str) -> str:
    return f"{PREFIX}/{car}/cmd"


def reply_topic(car: str, command_id: str) -> str:
    return f"{PREFIX}/{car}/reply/{command_id}"


ALL_COMMANDS_TOPIC = command_topic(ALL)
ALL_STATUS_TOPICS = f"{PREFIX}/+/status"


def car_from_topic(topic: str) -> str | None:
    """The car named by a status or reply topic."""
    parts = topic.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == PREFIX else None


class CommandError(ValueError):
    """A command the car will not act on; the text says why and what to send instead."""


@dataclass(frozen=True)
class Command:
    id: str
    cmd: str
    sent_at: float
    args: dict[str, Any] = field(default_factory=dict)
    topic: str = ""

    def payload(self) -> bytes:
        return json.dumps({"id": self.id, "cmd": self.cmd, "sent_at": self.sent_at, "args": self.args},
                          separators=(",", ":")).encode()


# --- argument checks: each returns the value to use or raises CommandError naming the field --------------

def _number(low: float, high: float) -> Callable[[str, Any], float]:
    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not low <= value <= high:
            raise CommandError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
        return float(value)
    return check


def _integer(low: int, high: int) -> Callable[[str, Any], int]:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CommandError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
        return value
    return check


def _text(max_length: int, pattern: re.Pattern[str] | None = None, what: str = "") -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            raise CommandError(f"{name} must be a non-empty text of at most {max_length} characters, got {value!r}")
        if pattern is not None and not pattern.fullmatch(value):
            raise CommandError(f"{name} must be {what}, got {value!r}")
        return value
    return check


def _one_of(*choices: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in choices:
            raise CommandError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value
    return check


def _names(max_count: int) -> Callable[[str, Any], list[str]]:
    single = _text(64)

    def check(name: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not value or len(value) > max_count:
            raise CommandError(f"{name} must be a list of 1 to {max_count} model names, got {value!r}")
        checked = [single(f"{name}[{index}]", item) for index, item in enumerate(value)]
        if len(set(checked)) != len(checked):
            raise CommandError(f"{name} names a model twice")
        return checked
    return check


_MODEL = _text(64)
_URL = _text(2048, re.compile(r"https?://[^\s]+"), "an http:// or https:// address on the event network")
_MD5 = _text(32, re.compile(r"[0-9a-fA-F]{32}"), "the package's md5 as 32 hexadecimal digits")
_CHANNEL = _integer(0, 255)

# cmd -> {arg: check}; every arg listed is required, no other is accepted.
COMMANDS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    "estop": {},
    "reset_estop": {},
    "stop": {},
    "start": {},
    "mode": {"mode": _one_of("manual", "autonomous")},
    "max_speed": {"max_speed": _number(0.0, 1.0)},
    "color": {"red": _CHANNEL, "green": _CHANNEL, "blue": _CHANNEL},
    "load": {"model": _MODEL},
    "install": {"url": _URL, "md5": _MD5, "name": _MODEL},
    "delete": {"models": _names(200)},
    "restart": {},
    "upload_logs": {"run": _text(128), "url": _URL},
    "status": {},
}
# Commands that take long (downloads, model compiles, uploads): run one at a time, never ahead of a stop.
SLOW_COMMANDS = frozenset({"load", "install", "delete", "restart", "upload_logs"})


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _reject_constant(token: str) -> None:
    raise CommandError(f"{token} is not a number JSON allows")


def command_id_of(payload: bytes) -> str:
    """The id to reply under, even for a command that is otherwise malformed."""
    try:
        document = json.loads(payload.decode("utf-8")) if len(payload) <= MAX_COMMAND_BYTES else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return MALFORMED_REPLY_ID
    raw = document.get("id") if isinstance(document, dict) else None
    return raw if isinstance(raw, str) and COMMAND_ID_PATTERN.fullmatch(raw) else MALFORMED_REPLY_ID


def parse_command(payload: bytes, topic: str = "") -> Command:
    """Bytes from the broker -> a checked Command; CommandError says what is wrong with it."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise CommandError(f"the command is {len(payload)} bytes; at most {MAX_COMMAND_BYTES} are accepted")
    try:
        document = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise CommandError("the command is not UTF-8 text: send a JSON object") from None
    except RecursionError:
        raise CommandError(f"the command nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        if isinstance(error, CommandError):
            raise
        raise CommandError(f"the command is not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(document, dict):
        raise CommandError('the command must be a JSON object like {"id": "a1", "cmd": "estop", "sent_at": ...}')
    if _depth(document) > MAX_DEPTH:
        raise CommandError(f"the command nests deeper than {MAX_DEPTH} levels")
    unknown = sorted(set(document) - {"id", "cmd", "sent_at", "args"})
    if unknown:
        raise CommandError(f"unexpected field(s) {', '.join(map(repr, unknown))}: a command has id, cmd, sent_at "
                           "and args")
    command_id = document.get("id")
    if not isinstance(command_id, str) or not COMMAND_ID_PATTERN.fullmatch(command_id):
        raise CommandError(f"id must be 1 to 64 letters, digits, '_' or '-', got {command_id!r}")
    cmd = document.get("cmd")
    if not isinstance(cmd, str) or cmd not in COMMANDS:
        raise CommandError(f"unknown command {cmd!r}; the commands are {', '.join(sorted(COMMANDS))}")
    sent_at = document.get("sent_at")
    if isinstance(sent_at, bool) or not isinstance(sent_at, (int, float)) or not math.isfinite(sent_at) \
            or sent_at <= 0:
        raise CommandError(f"sent_at must be the sender's clock in Unix seconds, got {sent_at!r}")
    raw_args = document.get("args", {})
    if not isinstance(raw_args, dict):
        raise CommandError(f"args must be an object, got {raw_args!r}")
    spec = COMMANDS[cmd]
    extra = sorted(set(raw_args) - set(spec))
    if extra:
        allowed = ", ".join(spec) if spec else "none"
        raise CommandError(f"{cmd} does not take {', '.join(map(repr, extra))}; its arguments: {allowed}")
    missing = [name for name in spec if name not in raw_args]
    if missing:
        raise CommandError(f"{cmd} needs {', '.join(missing)}")
    args = {name: check(name, raw_args[name]) for name, check in spec.items()}
    return Command(command_id, cmd, float(sent_at), args, topic)


def age_refusal(command: Command, now: float, max_age_s: float) -> str:
    """Why a command is too old (or dated too far ahead) to act on; "" when it is fresh or exempt."""
    if command.cmd in AGE_EXEMPT:
        return ""
    age = now - command.sent_at
    if age > max_age_s:
        return (f"the command was sent {age:.1f} s ago by this car's clock, more than {max_age_s:g} s: it is not "
                "acted on late; send it again (if this repeats, the car's clock and the sender's disagree)")
    if age < -max_age_s:
        return (f"the command is dated {-age:.1f} s ahead of this car's clock: the car's clock and the sender's "
                "disagree; set both (NTP) and send it again")
    return ""


@dataclass(frozen=True)
class Reply:
    id: str
    car: str
    cmd: str
    ok: bool
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> bytes:
        return json.dumps({"id": self.id, "car": self.car, "cmd": self.cmd, "ok": self.ok, "reason": self.reason,
                           "result": self.result}, separators=(",", ":")).encode()


def parse_reply(payload: bytes) -> Reply | None:
    try:
        document = json.loads(payload)
        return Reply(str(document["id"]), str(document["car"]), str(document.get("cmd", "")),
                     bool(document["ok"]), str(document.get("reason", "")), dict(document.get("result") or {}))
    except (ValueError, KeyError, TypeError):
        return None


def offline_status(car: str) -> bytes:
    """The last will: what the broker publishes (retained) when the car's link dies."""
    return json.dumps({"car": car, "online": False}).encode()
