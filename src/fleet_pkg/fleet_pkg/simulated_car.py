"""A car without ROS for the fleet link: the real agent and MQTT link over in-memory drive state.

What the benchmark runs a hundred of on one broker, and what an organiser can start to try a broker set-up
before the cars arrive (`python -m fleet_pkg.simulated_car --broker HOST:PORT --cars 8 --username-prefix car
--password P`). Its actions follow the navigation rules loosely (start needs a model in autonomous mode,
emergency stop latches); the real rules live in the stack and are what the real node calls.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from fleet_pkg.agent import CommandRefused, FleetAgent
from fleet_pkg.mqtt_link import CarLink
from fleet_pkg.settings import FleetSettings


class SimulatedActions:
    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self.state: dict[str, Any] = {"name": name, "mode": "manual", "started": False, "emergency_stop": False,
                                      "max_speed": 0.0, "model": None, "models": [], "color": [0, 0, 255],
                                      "battery": -1, "fps": 15.0, "latency_ms": 3.5}

    def emergency_stop(self) -> None:
        with self._lock:
            self.state.update(started=False, emergency_stop=True)

    def reset_emergency_stop(self) -> None:
        with self._lock:
            self.state["emergency_stop"] = False

    def start_stop(self, start: bool) -> None:
        with self._lock:
            if start and self.state["emergency_stop"]:
                raise CommandRefused("emergency stop is latched: reset it first")
            if start and self.state["mode"] == "autonomous" and not self.state["model"]:
                raise CommandRefused("no model is loaded: load one first")
            self.state["started"] = start

    def set_drive_mode(self, mode: str) -> None:
        with self._lock:
            self.state.update(mode=mode, started=False)

    def set_max_speed(self, max_speed: float) -> None:
        with self._lock:
            self.state["max_speed"] = max_speed

    def set_color(self, red: int, green: int, blue: int) -> None:
        with self._lock:
            self.state["color"] = [red, green, blue]

    def load_model(self, name: str) -> dict[str, Any]:
        with self._lock:
            if self.state["started"]:
                raise CommandRefused("the car is running: stop it before loading another model")
            if name not in {m["name"] for m in self.state["models"]}:
                raise CommandRefused(f"no model named {name!r} is installed on this car")
            self.state["model"] = {"name": name, "state": "loaded", "reason": ""}
        return {"model": name, "load_seconds": 0.0}

    def install_model(self, url: str, md5: str, name: str) -> dict[str, Any]:
        with self._lock:
            self.state["models"] = [m for m in self.state["models"] if m["name"] != name] + [{"name": name,
                                                                                             "md5": md5}]
        return {"model": name, "md5": md5, "checksum": md5, "bytes": 0, "seconds": 0.0}

    def delete_models(self, names: list[str]) -> dict[str, Any]:
        with self._lock:
            self.state["models"] = [m for m in self.state["models"] if m["name"] not in names]
        return {"deleted": names}

    def restart(self) -> dict[str, Any]:
        raise CommandRefused("a simulated car does not restart")

    def upload_logs(self, run: str, url: str) -> dict[str, Any]:
        raise CommandRefused("a simulated car has no logs")

    def status(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.state)


class SimulatedCar:
    def __init__(self, settings: FleetSettings, *, max_command_age_s: float = 10.0, status_period_s: float = 5.0,
                 clock: Callable[[], float] = time.time, log: logging.Logger | None = None) -> None:
        log = log or logging.getLogger(f"simulated-{settings.username}")
        self.actions = SimulatedActions(settings.name or settings.username)
        car_id = settings.car_id("simulated")
        self.link = CarLink(settings, car_id, lambda t, p: self.agent.on_message(t, p),
                            lambda: self.agent.notify_change(), log)
        self.agent = FleetAgent(car_id, self.actions, self.link.publish, max_command_age_s=max_command_age_s,
                                status_period_s=status_period_s, clock=clock, log=log)

    def start(self) -> None:
        self.agent.start()
        self.link.start()

    def stop(self) -> None:
        self.link.stop()
        self.agent.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True, help="HOST:PORT")
    parser.add_argument("--cars", type=int, default=1)
    parser.add_argument("--first", type=int, default=1, help="number of the first car")
    parser.add_argument("--username-prefix", default="car")
    parser.add_argument("--password", default="", help="every car's password")
    parser.add_argument("--password-suffix", default="", help="or: each car's password is its username + this")
    parser.add_argument("--status-period", type=float, default=5.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    host, _, port = args.broker.rpartition(":")
    users = [f"{args.username_prefix}{n}" for n in range(args.first, args.first + args.cars)]
    cars = [SimulatedCar(FleetSettings(host, int(port), username=user,
                                       password=args.password or user + args.password_suffix),
                         status_period_s=args.status_period) for user in users]
    for car in cars:
        car.start()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"{len(cars)} simulated cars running", flush=True)
    stopping.wait()
    for car in cars:
        car.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
