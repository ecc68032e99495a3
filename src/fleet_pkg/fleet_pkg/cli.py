"""deepracer-fleet: run an event's cars from one place, through the event's MQTT broker.

    deepracer-fleet --broker 192.168.8.10:1883 --username organiser --password ... list
    deepracer-fleet ... push racer7.tar.gz --all
    deepracer-fleet ... load racer7 --to car1,car2
    deepracer-fleet ... estop --all

Exit codes a script can use: 0 every car did it; 1 a car refused or failed (its reason is printed);
2 the command line is wrong; 3 the broker cannot be reached or refused us; 4 a car did not answer in time.
One line per car on stdout (`--json` for JSON); progress and the summary on stderr.
The password may come from DEEPRACER_FLEET_PASSWORD instead of the command line (it then stays out of `ps`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from fleet_pkg import protocol
from fleet_pkg.file_server import FileServer
from fleet_pkg.organiser import DEFAULT_MAX_AGE_S, BrokerError, FleetClient, Outcome
from fleet_pkg.settings import FleetSettings, SettingsError, parse_settings

OK, REFUSED, USAGE, BROKER, NO_ANSWER = 0, 1, 2, 3, 4
# How long each command waits for the cars' answers unless --timeout says otherwise.
TIMEOUTS_S = {"install": 300.0, "load": 90.0, "upload_logs": 300.0, "delete": 30.0}
DEFAULT_TIMEOUT_S = 10.0


def _color(text: str) -> dict[str, int]:
    match = re.fullmatch(r"#?([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})", text.strip())
    if match:
        red, green, blue = (int(part, 16) for part in match.groups())
    else:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 3 or not all(p.isdigit() and int(p) <= 255 for p in parts):
            raise argparse.ArgumentTypeError(f"{text!r}: give a colour as #RRGGBB or R,G,B (each 0-255)")
        red, green, blue = (int(p) for p in parts)
    return {"red": red, "green": green, "blue": blue}


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"{text!r}: give the maximum speed in percent, 0 to 100")
    return value / 100.0


def _broker(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = text, "1883"
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: give the broker as HOST:PORT, e.g. 192.168.8.10:1883")
    return host.strip("[]"), int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deepracer-fleet", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--broker", type=_broker, default=os.environ.get("DEEPRACER_FLEET_BROKER", "127.0.0.1:1883"),
                        help="the event's MQTT broker as HOST:PORT (default %(default)s)")
    parser.add_argument("--username", default=os.environ.get("DEEPRACER_FLEET_USERNAME", ""))
    parser.add_argument("--password", default=os.environ.get("DEEPRACER_FLEET_PASSWORD", ""))
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca-file", default="", help="CA certificate that signed the broker's (with --tls)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait for the cars' answers")
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_S,
                        help="seconds after which a command expires unanswered (the cars refuse older ones)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def targeted(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        group = sub.add_mutually_exclusive_group(required=True)
        group.add_argument("--to", help="comma-separated car names (their broker usernames)")
        group.add_argument("--all", action="store_true", help="every car on the broker")
        return sub

    commands.add_parser("list", help="a table of the cars: online, model, mode, colour, battery, fps, clock")
    targeted("estop", "emergency stop (latched until reset-estop)")
    targeted("reset-estop", "release the emergency stop (the car stays stopped until started)")
    targeted("stop", "stop driving")
    targeted("start", "start driving in the car's mode (autonomous needs a loaded model and a max speed)")
    targeted("mode", "drive mode").add_argument("mode", choices=("manual", "autonomous"))
    targeted("max-speed", "maximum speed in percent").add_argument("percent", type=_percent)
    targeted("color", "tail light colour").add_argument("color", type=_color, help="#RRGGBB or R,G,B")
    targeted("load", "load an installed model").add_argument("model")
    push = targeted("push", "install a model package (.tar.gz) on the cars, served from this machine")
    push.add_argument("package", type=Path)
    push.add_argument("--name", help="model name on the cars (default: the file name without .tar.gz)")
    push.add_argument("--serve-host", help="address the cars download from (default: ours towards the broker)")
    delete = targeted("delete", "delete installed models")
    names = delete.add_mutually_exclusive_group(required=True)
    names.add_argument("--models", help="comma-separated model names")
    names.add_argument("--every-model", action="store_true", help="every model installed on each car")
    targeted("restart", "restart the car's stack")
    logs = targeted("logs", "collect a run's logs from the cars into a folder")
    logs.add_argument("--run", required=True, help="the run's folder name on the car (e.g. model-20261201-101500)")
    logs.add_argument("--into", "--dir", dest="into", type=Path, required=True,
                      help="folder to write <car>/<run>.tar.gz into")
    logs.add_argument("--serve-host", help="address the cars upload to (default: ours towards the broker)")
    return parser


# --- output -------------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    return "-" if value in (None, "") else str(value)


def live_statuses(client: FleetClient, timeout_s: float) -> dict[str, dict[str, Any]]:
    """Retained statuses, replaced by a fresh one from each online car (a `status` command), with the car's clock
    against ours in `clock_skew_s` (positive: the car is ahead), taken at the middle of the round trip."""
    statuses = client.roll_call()
    sent_wall = time.time()
    outcome = client.wait(client.send("status"), timeout_s, everyone=True)
    for car, reply in outcome.replies.items():
        if reply.ok and isinstance(reply.result.get("time"), (int, float)):
            statuses[car] = dict(reply.result, clock_skew_s=round(
                reply.result["time"] - (sent_wall + outcome.reply_times[car] / 2), 3))
    return statuses


def list_table(statuses: dict[str, dict[str, Any]]) -> str:
    header = ("CAR", "NAME", "ONLINE", "MODE", "RUN", "MODEL", "COLOUR", "BATTERY", "FPS", "CLOCK")
    rows = [header]
    for car in sorted(statuses):
        s = statuses[car]
        online = bool(s.get("online"))
        model = s.get("model") or {}
        run = "estop" if s.get("emergency_stop") else "started" if s.get("started") else "stopped"
        color = s.get("color")
        skew = s.get("clock_skew_s") if online else None
        clock = "-" if not isinstance(skew, (int, float)) else "ok" if abs(skew) < DEFAULT_MAX_AGE_S / 2 \
            else f"{skew:+.0f}s off"
        rows.append((car, _cell(s.get("name")), "yes" if online else "NO",
                     _cell(s.get("mode")) if online else "-", run if online else "-",
                     f"{model.get('name') or '-'} ({model.get('state', '-')})" if online and model else "-",
                     "#{:02x}{:02x}{:02x}".format(*color) if online and color else "-",
                     _cell(s.get("battery")) if online else "-", _cell(s.get("fps")) if online else "-", clock))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _describe_result(reply: protocol.Reply) -> str:
    r = reply.result
    match reply.cmd:
        case "install":
            return f"installed {r.get('model')} (package md5 {r.get('md5')}, model.pb md5 {r.get('checksum')}, " \
                   f"{r.get('seconds')} s)"
        case "load":
            return f"loaded {r.get('model')} in {r.get('load_seconds')} s"
        case "delete":
            return f"deleted {', '.join(r.get('deleted', [])) or 'nothing'}"
        case "upload_logs":
            return f"sent {r.get('run')} ({r.get('bytes')} bytes)"
    return "done"


def report(outcome: Outcome, as_json: bool, out=sys.stdout, err=sys.stderr) -> int:
    rows = []
    for car in sorted(outcome.expected):
        reply = outcome.replies.get(car)
        if reply is None:
            rows.append({"car": car, "ok": False, "answered": False, "reason": "did not answer in time"})
        else:
            rows.append({"car": car, "ok": reply.ok, "answered": True, "reason": reply.reason,
                         "result": reply.result, "seconds": round(outcome.reply_times[car], 3)})
    if as_json:
        print(json.dumps(rows, indent=2), file=out)
    else:
        for row in rows:
            if row["ok"]:
                text = _describe_result(outcome.replies[row["car"]])
                print(f"{row['car']}  ok  {text}", file=out)
            else:
                print(f"{row['car']}  {'FAILED' if row['answered'] else 'NO ANSWER'}  {row['reason']}", file=out)
    done = sum(1 for row in rows if row["ok"])
    last = max(outcome.reply_times.values(), default=0.0)
    print(f"{outcome.command.cmd}: {done}/{len(rows)} cars ok; last answer after {last:.2f} s", file=err)
    if not rows:
        print("no car is online on this broker", file=err)
        return NO_ANSWER
    if any(row["answered"] and not row["ok"] for row in rows):
        return REFUSED
    return NO_ANSWER if any(not row["answered"] for row in rows) else OK


class Progress:
    """A one-line progress bar on a terminal; nothing when stderr is a file or pipe."""

    def __init__(self, total_bytes_per_car: int, err=sys.stderr) -> None:
        self._size = total_bytes_per_car
        self._err = err
        self._live = err.isatty()
        self._last = 0.0

    def __call__(self, outcome: Outcome, sent: int) -> None:
        now = time.monotonic()
        if not self._live or now - self._last < 0.2:
            return
        self._last = now
        cars = max(len(outcome.expected), 1)
        fraction = min(sent / (self._size * cars), 1.0) if self._size else 1.0
        bar = "#" * int(fraction * 30)
        print(f"\r[{bar:<30}] {len(outcome.replies)}/{len(outcome.expected)} cars answered, "
              f"{sent / 1e6:.1f} MB sent", end="", file=self._err, flush=True)

    def end(self) -> None:
        if self._live:
            print(file=self._err)


# --- commands -----------------------------------------------------------------------------------------

SIMPLE = {"estop": "estop", "reset-estop": "reset_estop", "stop": "stop", "start": "start", "restart": "restart"}


def _targets(args: argparse.Namespace) -> list[str] | None:
    if args.all:
        return None
    cars = [c.strip() for c in args.to.split(",") if c.strip()]
    bad = [c for c in cars if not protocol.CAR_ID_PATTERN.fullmatch(c) or c == protocol.ALL]
    if bad or not cars:
        raise SettingsError(f"--to {args.to!r}: list car names separated by commas (use --all for every car)")
    return cars


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def run(args: argparse.Namespace, client: FleetClient) -> int:
    cmd = args.command
    if cmd == "list":
        statuses = live_statuses(client, args.timeout or 3.0)
        if args.json:
            print(json.dumps(statuses, indent=2))
        elif statuses:
            print(list_table(statuses))
        else:
            print("no car has reported on this broker", file=sys.stderr)
        return OK
    cars = _targets(args)
    everyone = cars is None
    timeout = args.timeout
    if cmd in SIMPLE or cmd in ("mode", "max-speed", "color", "load"):
        wire, arguments = SIMPLE.get(cmd, cmd.replace("-", "_")), {}
        if cmd == "mode":
            arguments = {"mode": args.mode}
        elif cmd == "max-speed":
            arguments = {"max_speed": args.percent}
        elif cmd == "color":
            wire, arguments = "color", args.color
        elif cmd == "load":
            arguments = {"model": args.model}
        outcome = client.send(wire, arguments, cars)
        return report(client.wait(outcome, timeout or TIMEOUTS_S.get(wire, DEFAULT_TIMEOUT_S), everyone), args.json)
    if cmd == "push":
        package: Path = args.package
        if not package.is_file():
            raise SettingsError(f"{package}: no such file (give the model package, a .tar.gz)")
        name = args.name or re.sub(r"(\.tar\.gz|\.tgz|\.tar)$", "", package.name)
        server = FileServer(args.serve_host or client.local_address(), serve=package)
        try:
            outcome = client.send("install", {"url": server.url(package.name), "md5": _md5(package), "name": name},
                                  cars)
            progress = Progress(package.stat().st_size)
            client.wait(outcome, timeout or TIMEOUTS_S["install"], everyone,
                        on_tick=lambda o: progress(o, server.bytes_sent()))
            progress.end()
        finally:
            server.close()
        return report(outcome, args.json)
    if cmd == "delete":
        if args.models:
            models = [m.strip() for m in args.models.split(",") if m.strip()]
            outcome = client.send("delete", {"models": models}, cars)
            return report(client.wait(outcome, timeout or TIMEOUTS_S["delete"], everyone), args.json)
        return _per_car(args, client, cars, "delete",
                        lambda car, status: {"models": [m["name"] for m in status.get("models", [])]})
    if cmd == "logs":
        args.into.mkdir(parents=True, exist_ok=True)
        server = FileServer(args.serve_host or client.local_address(), receive_into=args.into)
        try:
            return _per_car(args, client, cars, "upload_logs",
                            lambda car, _status: {"run": args.run, "url": server.url(car, f"{args.run}.tar.gz")})
        finally:
            server.close()
    raise AssertionError(cmd)


def _per_car(args: argparse.Namespace, client: FleetClient, cars: list[str] | None, wire: str, make_args) -> int:
    """Commands whose arguments differ per car: one message to each, answers gathered into one report."""
    statuses = client.roll_call()
    targets = sorted(cars if cars is not None else (c for c, s in statuses.items() if s.get("online")))
    outcomes, skipped = [], []
    for car in targets:
        arguments = make_args(car, statuses.get(car) or {})
        if wire == "delete" and not arguments["models"]:
            skipped.append(car)
            continue
        outcomes.append(client.send(wire, arguments, [car]))
    timeout = args.timeout or TIMEOUTS_S.get(wire, DEFAULT_TIMEOUT_S)
    for outcome in outcomes:
        client.wait(outcome, timeout)
    if not outcomes:
        for car in skipped:
            print(f"{car}  ok  no models installed")
        return OK if targets else NO_ANSWER
    combined = Outcome(outcomes[0].command, outcomes[0].sent_at)
    for outcome in outcomes:
        combined.expected |= outcome.expected
        combined.replies.update(outcome.replies)
        combined.reply_times.update(outcome.reply_times)
    code = report(combined, args.json)
    for car in skipped:
        print(f"{car}  ok  no models installed")
    return code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    host, port = args.broker
    lines = [f"broker: {host}", f"port: {port}", f"tls: {'yes' if args.tls else 'no'}"]
    try:
        if args.ca_file:
            lines.append(f"ca_file: {args.ca_file}")
        settings = parse_settings("\n".join(lines), "the command line")
        settings = FleetSettings(settings.broker, settings.port, settings.tls, settings.ca_file, args.username,
                                 args.password)
    except SettingsError as error:
        print(f"deepracer-fleet: {error}", file=sys.stderr)
        return USAGE
    try:
        client = FleetClient(settings, max_age_s=args.max_age)
    except BrokerError as error:
        print(f"deepracer-fleet: {error}", file=sys.stderr)
        return BROKER
    try:
        return run(args, client)
    except SettingsError as error:
        print(f"deepracer-fleet: {error}", file=sys.stderr)
        return USAGE
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
