"""deepracer-fleet's own parsing and output, without a broker: the table organisers read, the exit codes scripts
read, and the command-line values refused with what to type instead (the CLI against a real broker and cars is in
test_fleet_link.py and test_fleet_end_to_end.py)."""

from __future__ import annotations

import argparse
import io

import pytest

from fleet_pkg import cli
from fleet_pkg.organiser import Outcome
from fleet_pkg.protocol import Command, Reply

NOW = 1_764_000_000.0


def test_the_table_shows_online_cars_their_state_and_a_clock_that_is_off() -> None:
    table = cli.list_table({
        "car2": {"car": "car2", "online": False},
        "car1": {"car": "car1", "online": True, "clock_skew_s": -0.4, "name": "Car 1", "mode": "autonomous",
                 "started": True, "model": {"name": "racer7", "state": "loaded"}, "color": [255, 128, 0],
                 "battery": 9, "fps": 15.0},
        "car3": {"car": "car3", "online": True, "clock_skew_s": 42.3, "mode": "manual", "emergency_stop": True,
                 "model": None, "color": None, "battery": -1, "fps": None},
    })
    lines = [line.split() for line in table.splitlines()]
    assert lines[0] == ["CAR", "NAME", "ONLINE", "MODE", "RUN", "MODEL", "COLOUR", "BATTERY", "FPS", "CLOCK"]
    assert lines[1] == ["car1", "Car", "1", "yes", "autonomous", "started", "racer7", "(loaded)", "#ff8000", "9",
                        "15.0", "ok"]
    assert lines[2] == ["car2", "-", "NO", "-", "-", "-", "-", "-", "-", "-"]
    assert lines[3][:5] == ["car3", "-", "yes", "manual", "estop"] and lines[3][-2:] == ["+42s", "off"]


def outcome(expected: set[str], replies: dict[str, bool]) -> Outcome:
    result = Outcome(Command("c1", "estop", NOW), 0.0, expected=set(expected))
    for car, ok in replies.items():
        result.replies[car] = Reply("c1", car, "estop", ok, "" if ok else "emergency stop is latched")
        result.reply_times[car] = 0.05
    return result


@pytest.mark.parametrize(("expected", "replies", "code", "line"), [
    ({"car1", "car2"}, {"car1": True, "car2": True}, cli.OK, "car2  ok  done"),
    ({"car1", "car2"}, {"car1": True, "car2": False}, cli.REFUSED, "car2  FAILED  emergency stop is latched"),
    ({"car1", "car2"}, {"car1": True}, cli.NO_ANSWER, "car2  NO ANSWER  did not answer in time"),
    ({"car1", "car2", "car3"}, {"car1": False}, cli.REFUSED, "car3  NO ANSWER"),
    (set(), {}, cli.NO_ANSWER, ""),
])
def test_exit_codes_and_one_line_per_car(expected, replies, code: int, line: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cli.report(outcome(expected, replies), False, out, err) == code
    assert line in out.getvalue()
    assert "estop:" in err.getvalue()


@pytest.mark.parametrize(("parse", "text", "value"), [
    (cli._color, "#FF8000", {"red": 255, "green": 128, "blue": 0}),
    (cli._color, "00ff00", {"red": 0, "green": 255, "blue": 0}),
    (cli._color, "255, 0, 7", {"red": 255, "green": 0, "blue": 7}),
    (cli._percent, "60", 0.6),
    (cli._percent, "0", 0.0),
    (cli._broker, "192.168.8.10:1884", ("192.168.8.10", 1884)),
    (cli._broker, "broker.lan", ("broker.lan", 1883)),
    (cli._broker, "[::1]:1883", ("::1", 1883)),
])
def test_command_line_values(parse, text: str, value) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(("parse", "text", "words"), [
    (cli._color, "#ff80", "#RRGGBB or R,G,B"), (cli._color, "256,0,0", "each 0-255"), (cli._color, "red", "#RRGGBB"),
    (cli._percent, "120", "0 to 100"), (cli._percent, "fast", "0 to 100"), (cli._percent, "nan", "0 to 100"),
    (cli._broker, "host:port", "HOST:PORT"), (cli._broker, ":1883", "HOST:PORT"), (cli._broker, "h:70000", "HOST:PORT"),
])
def test_bad_command_line_values_say_what_to_type(parse, text: str, words: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=words):
        parse(text)
