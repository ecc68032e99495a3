"""The car's command handling (fleet_pkg.agent + protocol), without ROS or a broker: every malformed command gets
a reply that says what is wrong and does nothing; stale ones are refused except stops; duplicates are acted on
once; a flood is bounded; an emergency stop jumps the queue. The actions are a recorder (the real ones are ROS
service calls, exercised end to end in test_fleet_end_to_end.py)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from fleet_pkg import protocol
from fleet_pkg.agent import REFUSALS_PER_S, SLOW_CAPACITY, URGENT_CAPACITY, CommandRefused, FleetAgent
from support.rosgraph import wait_for

NOW = 1_764_000_000.0
CAR = "car1"
TOPIC = protocol.command_topic(CAR)


class Recorder:
    """CarActions that record each call; `gate` (when set up) holds the named action until released."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.lock = threading.Lock()
        self.gate: dict[str, threading.Event] = {}
        self.fail: dict[str, BaseException] = {}

    def _do(self, name: str, *args: Any) -> dict[str, Any]:
        with self.lock:
            self.calls.append((name, args))
        if name in self.gate:
            self.gate[name].wait(10)
        if name in self.fail:
            raise self.fail[name]
        return {"did": name}

    def names(self) -> list[str]:
        with self.lock:
            return [name for name, _ in self.calls]

    def emergency_stop(self): return self._do("emergency_stop")
    def reset_emergency_stop(self): return self._do("reset_emergency_stop")
    def start_stop(self, start): return self._do("start_stop", start)
    def set_drive_mode(self, mode): return self._do("set_drive_mode", mode)
    def set_max_speed(self, value): return self._do("set_max_speed", value)
    def set_color(self, r, g, b): return self._do("set_color", r, g, b)
    def load_model(self, name): return self._do("load_model", name)
    def install_model(self, url, md5, name): return self._do("install_model", url, md5, name)
    def delete_models(self, names): return self._do("delete_models", names)
    def restart(self): return self._do("restart")
    def upload_logs(self, run, url): return self._do("upload_logs", run, url)

    def status(self) -> dict[str, Any]:
        return {"mode": "manual"}


class Sent:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()

    def __call__(self, topic: str, payload: bytes, retain: bool) -> bool:
        with self.lock:
            self.messages.append((topic, payload, retain))
        return True

    def replies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(p) | {"topic": t} for t, p, _ in self.messages if "/reply/" in t]


@pytest.fixture
def rig():
    actions, sent = Recorder(), Sent()
    agent = FleetAgent(CAR, actions, sent, max_command_age_s=10.0, status_period_s=60.0, clock=lambda: NOW)
    agent.start()
    yield agent, actions, sent
    for gate in actions.gate.values():
        gate.set()
    agent.stop()


def command(cmd: str, args: dict | None = None, *, id: str = "c1", sent_at: float = NOW, **extra: Any) -> bytes:
    document = {"id": id, "cmd": cmd, "sent_at": sent_at, "args": args or {}} | extra
    return json.dumps(document).encode()


def single_reply(sent: Sent) -> dict[str, Any]:
    return wait_for(lambda: sent.replies()[0] if sent.replies() else None, 5, "a reply")


MALFORMED: list[tuple[str, bytes, str]] = [
    ("empty", b"", "not valid JSON"),
    ("not utf-8", b"\xff\xfe{", "not UTF-8"),
    ("truncated JSON", b'{"id": "c1", "cmd": "estop"', "not valid JSON"),
    ("a list", b'["estop"]', "must be a JSON object"),
    ("a string", b'"estop"', "must be a JSON object"),
    ("null", b"null", "must be a JSON object"),
    ("NaN sent_at", b'{"id": "c1", "cmd": "start", "sent_at": NaN}', "NaN is not a number JSON allows"),
    ("Infinity sent_at", b'{"id": "c1", "cmd": "start", "sent_at": Infinity}', "Infinity"),
    ("huge number", b'{"id": "c1", "cmd": "start", "sent_at": 1e999}', "sent_at must be"),
    ("missing sent_at", b'{"id": "c1", "cmd": "start"}', "sent_at must be"),
    ("text sent_at", command("start", sent_at="now"), "sent_at must be"),  # type: ignore[arg-type]
    ("boolean sent_at", command("start", sent_at=True), "sent_at must be"),  # type: ignore[arg-type]
    ("negative sent_at", command("start", sent_at=-5), "sent_at must be"),
    ("missing id", b'{"cmd": "start", "sent_at": 1764000000}', "id must be"),
    ("numeric id", command("start", id=5), "id must be"),  # type: ignore[arg-type]
    ("empty id", command("start", id=""), "id must be"),
    ("id with a topic separator", command("start", id="a/b"), "id must be"),
    ("id with a wildcard", command("start", id="a+#"), "id must be"),
    ("id too long", command("start", id="x" * 65), "id must be"),
    ("unknown command", command("selfdestruct"), "unknown command 'selfdestruct'"),
    ("command in capitals", command("ESTOP"), "unknown command 'ESTOP'"),
    ("missing command", b'{"id": "c1", "sent_at": 1764000000}', "unknown command None"),
    ("numeric command", command(7), "unknown command 7"),  # type: ignore[arg-type]
    ("extra field", command("start", ttl=5), "unexpected field(s) 'ttl'"),
    ("args a list", command("start", args=[1]), "args must be an object"),  # type: ignore[arg-type]
    ("args null", b'{"id": "c1", "cmd": "start", "sent_at": 1764000000, "args": null}', "args must be an object"),
    ("argument a command does not take", command("estop", {"force": True}), "estop does not take 'force'"),
    ("missing argument", command("mode"), "mode needs mode"),
    ("calibration mode over the fleet", command("mode", {"mode": "calibration"}), "mode must be one of"),
    ("mode as a number", command("mode", {"mode": 1}), "mode must be one of"),
    ("speed above 1", command("max_speed", {"max_speed": 1.5}), "max_speed must be a number from 0 to 1"),
    ("negative speed", command("max_speed", {"max_speed": -0.1}), "max_speed must be"),
    ("speed as text", command("max_speed", {"max_speed": "0.5"}), "max_speed must be"),
    ("speed as boolean", command("max_speed", {"max_speed": True}), "max_speed must be"),
    ("colour above 255", command("color", {"red": 256, "green": 0, "blue": 0}), "red must be a whole number"),
    ("negative colour", command("color", {"red": 0, "green": -1, "blue": 0}), "green must be"),
    ("fractional colour", command("color", {"red": 0, "green": 0, "blue": 1.5}), "blue must be"),
    ("colour as text", command("color", {"red": "255", "green": 0, "blue": 0}), "red must be"),
    ("colour missing a channel", command("color", {"red": 1, "green": 2}), "color needs blue"),
    ("colour with alpha", command("color", {"red": 1, "green": 2, "blue": 3, "alpha": 4}), "does not take 'alpha'"),
    ("empty model name", command("load", {"model": ""}), "model must be a non-empty text"),
    ("blank model name", command("load", {"model": "   "}), "model must be a non-empty text"),
    ("model name too long", command("load", {"model": "m" * 65}), "at most 64 characters"),
    ("model name a number", command("load", {"model": 15}), "model must be"),
    ("ftp url", command("install", {"url": "ftp://10.0.0.1/m.tar.gz", "md5": "0" * 32, "name": "m"}),
     "url must be an http:// or https:// address"),
    ("url with spaces", command("install", {"url": "http://10.0.0.1/a b", "md5": "0" * 32, "name": "m"}), "url must"),
    ("short md5", command("install", {"url": "http://10.0.0.1/m", "md5": "0" * 31, "name": "m"}), "md5 must be"),
    ("md5 not hex", command("install", {"url": "http://10.0.0.1/m", "md5": "z" * 32, "name": "m"}), "md5 must be"),
    ("install without name", command("install", {"url": "http://10.0.0.1/m", "md5": "0" * 32}), "install needs name"),
    ("delete nothing", command("delete", {"models": []}), "models must be a list of 1 to 200"),
    ("delete a string", command("delete", {"models": "demo"}), "models must be a list"),
    ("delete a number", command("delete", {"models": [1]}), "models[0] must be"),
    ("delete twice", command("delete", {"models": ["a", "a"]}), "names a model twice"),
    ("delete too many", command("delete", {"models": [f"m{i}" for i in range(201)]}), "1 to 200"),
    ("log run empty", command("upload_logs", {"run": "", "url": "http://10.0.0.1/x"}), "run must be"),
    ("too large", command("status", id="big") + b" " * protocol.MAX_COMMAND_BYTES, "at most 16384 are accepted"),
    ("nested too deep", command("status", {"a": {"b": {"c": {"d": 1}}}}), "nests deeper than 4"),
    ("nesting that would overflow the parser", b"[" * 16_000, "nests deeper"),
]


@pytest.mark.parametrize(("payload", "words"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_command_gets_a_plain_refusal_and_does_nothing(rig, payload: bytes, words: str) -> None:
    agent, actions, sent = rig
    agent.on_message(TOPIC, payload)
    reply = single_reply(sent)
    assert reply["ok"] is False and words in reply["reason"], reply
    assert "Traceback" not in reply["reason"] and "Error" not in reply["reason"]
    assert actions.calls == []
    expected_id = "c1" if reply["topic"].endswith("/c1") else "malformed"
    assert reply["topic"] == protocol.reply_topic(CAR, expected_id)


def test_a_refused_command_that_has_a_usable_id_is_answered_under_it(rig) -> None:
    agent, _actions, sent = rig
    agent.on_message(TOPIC, command("mode", {"mode": "sideways"}, id="x-17"))
    assert single_reply(sent)["topic"] == "deepracer/car1/reply/x-17"


def test_messages_on_another_cars_topic_are_ignored_without_an_answer(rig) -> None:
    agent, actions, sent = rig
    for topic in ("deepracer/car2/cmd", "deepracer/car1/status", "deepracer/car1", "deepracer/+/cmd", "car1/cmd"):
        agent.on_message(topic, command("estop"))
    agent.on_message(protocol.ALL_COMMANDS_TOPIC, command("status", id="probe"))  # processed after the others
    wait_for(lambda: sent.replies(), 5, "the probe's reply")
    assert [r["id"] for r in sent.replies()] == ["probe"] and actions.calls == []
    assert agent.counts["ignored"] == 5


def test_each_valid_command_reaches_its_action_with_checked_arguments(rig) -> None:
    agent, actions, sent = rig
    commands = [
        ("estop", {}, ("emergency_stop", ())), ("reset_estop", {}, ("reset_emergency_stop", ())),
        ("stop", {}, ("start_stop", (False,))), ("start", {}, ("start_stop", (True,))),
        ("mode", {"mode": "autonomous"}, ("set_drive_mode", ("autonomous",))),
        ("max_speed", {"max_speed": 1}, ("set_max_speed", (1.0,))),
        ("color", {"red": 255, "green": 0, "blue": 7}, ("set_color", (255, 0, 7))),
        ("load", {"model": "racer7"}, ("load_model", ("racer7",))),
        ("install", {"url": "http://10.0.0.1/r.tar.gz", "md5": "A" * 32, "name": "r"},
         ("install_model", ("http://10.0.0.1/r.tar.gz", "A" * 32, "r"))),
        ("delete", {"models": ["a", "b"]}, ("delete_models", (["a", "b"],))),
        ("restart", {}, ("restart", ())),
        ("upload_logs", {"run": "demo-20261201-101500", "url": "http://10.0.0.1/u"},
         ("upload_logs", ("demo-20261201-101500", "http://10.0.0.1/u"))),
    ]
    for index, (cmd, args, _) in enumerate(commands):
        agent.on_message(TOPIC, command(cmd, args, id=f"c{index}"))
        wait_for(lambda index=index: len(sent.replies()) == index + 1, 5, f"the reply to {cmd}")
    assert actions.calls == [call for _, _, call in commands]
    assert all(r["ok"] for r in sent.replies())


def test_status_is_answered_with_the_cars_status(rig) -> None:
    agent, _actions, sent = rig
    agent.on_message(protocol.ALL_COMMANDS_TOPIC, command("status"))
    reply = single_reply(sent)
    assert reply["ok"] and reply["result"]["car"] == CAR and reply["result"]["mode"] == "manual"


@pytest.mark.parametrize("cmd", ["start", "mode", "load", "install", "max_speed", "color", "delete", "restart"])
def test_a_command_older_than_the_bound_is_refused_not_acted_on(rig, cmd: str) -> None:
    agent, actions, sent = rig
    args = {"mode": {"mode": "manual"}, "load": {"model": "m"}, "max_speed": {"max_speed": 0.5},
            "install": {"url": "http://10.0.0.1/m", "md5": "0" * 32, "name": "m"},
            "color": {"red": 1, "green": 2, "blue": 3}, "delete": {"models": ["m"]}}.get(cmd, {})
    agent.on_message(TOPIC, command(cmd, args, sent_at=NOW - 10.5))
    reply = single_reply(sent)
    assert not reply["ok"] and "sent 10.5 s ago" in reply["reason"] and "not acted on late" in reply["reason"]
    assert actions.calls == []


def test_a_command_dated_far_ahead_of_the_cars_clock_is_refused(rig) -> None:
    agent, actions, sent = rig
    agent.on_message(TOPIC, command("start", sent_at=NOW + 60))
    reply = single_reply(sent)
    assert not reply["ok"] and "ahead of this car's clock" in reply["reason"] and actions.calls == []


@pytest.mark.parametrize("cmd", ["stop", "estop", "status"])
def test_a_late_stop_or_status_request_is_still_honoured_neither_moves_the_car(rig, cmd: str) -> None:
    agent, actions, sent = rig
    agent.on_message(TOPIC, command(cmd, sent_at=NOW - 3600))
    assert single_reply(sent)["ok"]
    assert actions.names() == {"estop": ["emergency_stop"], "stop": ["start_stop"], "status": []}[cmd]


def test_a_command_within_the_bound_is_acted_on(rig) -> None:
    agent, actions, sent = rig
    agent.on_message(TOPIC, command("start", sent_at=NOW - 9.5))
    assert single_reply(sent)["ok"] and actions.names() == ["start_stop"]


def test_a_duplicate_delivery_is_acted_on_once(rig) -> None:
    agent, actions, sent = rig
    agent.on_message(TOPIC, command("start", id="dup"))
    agent.on_message(protocol.ALL_COMMANDS_TOPIC, command("start", id="dup"))
    agent.on_message(TOPIC, command("status", id="after"))
    wait_for(lambda: [r["id"] for r in sent.replies()] == ["dup", "after"], 5, "two replies")
    assert actions.names() == ["start_stop"]


def test_a_refused_action_answers_its_reason_and_a_fault_answers_plain_words(rig) -> None:
    agent, actions, sent = rig
    actions.fail["load_model"] = CommandRefused("the car is running: stop it before loading another model")
    actions.fail["set_color"] = RuntimeError("segment 0x7f: internal detail")
    # One after the other: load and color run in different lanes, so sent together either could finish last.
    agent.on_message(TOPIC, command("color", {"red": 1, "green": 1, "blue": 1}, id="b"))
    wait_for(lambda: len(sent.replies()) == 1, 5, "the color reply")
    assert agent.last_error.startswith("color:")
    agent.on_message(TOPIC, command("load", {"model": "m"}, id="a"))
    wait_for(lambda: len(sent.replies()) == 2, 5, "the load reply")
    assert agent.last_error.startswith("load:")
    by_id = {r["id"]: r for r in sent.replies()}
    assert by_id["a"]["reason"] == "the car is running: stop it before loading another model"
    assert not by_id["b"]["ok"] and "0x7f" not in by_id["b"]["reason"] and "log has the details" in by_id["b"]["reason"]


def test_an_emergency_stop_never_waits_behind_a_download_or_other_commands(rig) -> None:
    agent, actions, sent = rig
    actions.gate["install_model"] = threading.Event()
    actions.gate["set_color"] = threading.Event()
    agent.on_message(TOPIC, command("install", {"url": "http://10.0.0.1/m", "md5": "0" * 32, "name": "m"}, id="i"))
    agent.on_message(TOPIC, command("color", {"red": 1, "green": 1, "blue": 1}, id="busy"))
    wait_for(lambda: sorted(actions.names()) == ["install_model", "set_color"], 5,
             "the install and a colour change running")
    for n in range(5):
        agent.on_message(TOPIC, command("max_speed", {"max_speed": 0.1}, id=f"m{n}"))
    agent.on_message(TOPIC, command("stop", id="s"))
    agent.on_message(TOPIC, command("estop", id="e"))
    actions.gate["set_color"].set()  # the colour change in progress finishes; then the stops go first
    wait_for(lambda: len(actions.names()) == 9, 5, "every urgent command done")
    assert actions.names()[2:4] == ["emergency_stop", "start_stop"]
    assert [r["id"] for r in sent.replies()][:3] == ["busy", "e", "s"]
    actions.gate["install_model"].set()
    wait_for(lambda: len(sent.replies()) == 9, 5, "the install's reply")


def test_a_flood_is_bounded_and_answered_busy_while_stops_still_get_through(rig) -> None:
    agent, actions, sent = rig
    actions.gate["set_color"] = threading.Event()
    actions.gate["load_model"] = threading.Event()
    for n in range(URGENT_CAPACITY + 50):
        agent.on_message(TOPIC, command("color", {"red": 1, "green": 1, "blue": 1}, id=f"c{n}"))
    for n in range(SLOW_CAPACITY + 10):
        agent.on_message(TOPIC, command("load", {"model": "m"}, id=f"l{n}"))
    # The queues hold 32 urgent and 8 slow commands (+1 of each in progress); the rest is refused as busy, and
    # only REFUSALS_PER_S of those refusals are answered: the answers must not become a flood of their own.
    busy = agent.counts["busy"]
    assert 50 + 9 <= busy <= 50 + 10
    assert len([r for r in sent.replies() if "busy" in r["reason"]]) == REFUSALS_PER_S
    assert agent.counts["unanswered"] == busy - REFUSALS_PER_S
    agent.on_message(TOPIC, command("estop", id="e"))  # the queues are full: a stop still gets in, and goes first
    assert agent.counts["busy"] == busy
    actions.gate["set_color"].set()
    wait_for(lambda: len(actions.names()) >= URGENT_CAPACITY, 10, "the queued colour changes done")
    urgent = [name for name in actions.names() if name != "load_model"]
    assert "emergency_stop" in urgent[:2]  # at most the colour change already in progress went before it
    actions.gate["load_model"].set()


def test_state_changes_publish_a_retained_status_at_most_every_half_second(rig) -> None:
    agent, _actions, sent = rig
    start = time.monotonic()
    for _ in range(20):
        agent.notify_change()
    wait_for(lambda: any(t == protocol.status_topic(CAR) for t, _, _ in sent.messages), 5, "a status")
    statuses = [(json.loads(p), retain) for t, p, retain in sent.messages if t == protocol.status_topic(CAR)]
    assert len(statuses) == 1 and statuses[0][1] is True
    assert statuses[0][0]["online"] is True and statuses[0][0]["car"] == CAR
    assert time.monotonic() - start < 5


def test_an_answer_waits_for_room_in_a_full_outgoing_queue_instead_of_being_lost() -> None:
    actions, delivered = Recorder(), Sent()
    full_for = [5]

    def publish(topic: str, payload: bytes, retain: bool) -> bool:
        if "/reply/" in topic and full_for[0] > 0:  # what the link answers while paho's queue is full
            full_for[0] -= 1
            return False
        return delivered(topic, payload, retain)

    agent = FleetAgent(CAR, actions, publish, max_command_age_s=10.0, status_period_s=60.0, clock=lambda: NOW)
    agent.start()
    try:
        agent.on_message(TOPIC, command("estop", id="e"))
        reply = single_reply(delivered)
    finally:
        agent.stop()
    assert reply["id"] == "e" and reply["ok"] and full_for[0] == 0 and agent.counts["unanswered"] == 0
