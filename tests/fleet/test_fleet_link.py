"""The link itself against a real Mosquitto started from the sample configuration: the ACLs keep each car to its
own topics and `all`, the last will marks a killed car offline, a retained command is never acted on, bad
credentials and a missing broker give the CLI's exit codes, and the password never reaches a log line.
The cars here are the real agent and link over in-memory drive state (fleet_pkg.simulated_car), no ROS."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

import paho.mqtt.client as mqtt
import pytest
from fleet.broker import ORGANISER, Broker, car_credentials
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from fleet_pkg import protocol
from fleet_pkg.organiser import FleetClient
from fleet_pkg.settings import FleetSettings
from fleet_pkg.simulated_car import SimulatedCar
from support.rosgraph import wait_for
from support.stack import free_port

CLI = [sys.executable, "-m", "fleet_pkg.cli"]


@pytest.fixture(scope="module")
def broker():
    broker = Broker(["car1", "car2", "car3"])
    yield broker
    broker.stop()


def car_settings(broker: Broker, car: str, password: str | None = None) -> FleetSettings:
    user, secret = car_credentials(car)
    return FleetSettings("127.0.0.1", broker.port, username=user, password=password or secret)


@pytest.fixture
def cars(broker):
    started = [SimulatedCar(car_settings(broker, name), status_period_s=60.0) for name in ("car1", "car2")]
    for car in started:
        car.start()
    organiser = FleetClient(FleetSettings("127.0.0.1", broker.port, username=ORGANISER[0], password=ORGANISER[1]))
    wait_for(lambda: organiser.online_cars() >= {"car1", "car2"}, 15, "both simulated cars online")
    yield started, organiser
    organiser.close()
    for car in started:
        car.stop()


class RawClient:
    """A bare MQTT client with one car's credentials: what a compromised or misconfigured car could do."""

    def __init__(self, broker: Broker, car: str) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{car}",
                                  protocol=MQTTProtocolVersion.MQTTv5)
        self.client.username_pw_set(*car_credentials(car))
        self.client.on_message = lambda _c, _u, message: self.messages.append(message)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        wait_for(self.client.is_connected, 10, f"{car}'s raw client connected")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def observe(seconds: float) -> None:
    """A window of observation for something that must NOT happen (not a synchronisation)."""
    start = time.monotonic()
    wait_for(lambda: time.monotonic() - start >= seconds, seconds + 5, "the observation window")


def test_a_car_cannot_command_another_car_or_read_its_commands(broker, cars) -> None:
    (_car1, car2), organiser = cars
    raw = RawClient(broker, "car1")
    try:
        raw.client.subscribe([(protocol.command_topic("car2"), 1), (protocol.status_topic("car2"), 1)])
        sent = protocol.Command("forged", "estop", time.time(), {})
        raw.client.publish(protocol.command_topic("car2"), sent.payload(), qos=1)
        raw.client.publish(protocol.status_topic("car2"), b'{"car": "car2", "online": false}', qos=1, retain=True)
        outcome = organiser.wait(organiser.send("color", {"red": 9, "green": 9, "blue": 9}, ["car2"]), 10)
        assert outcome.replies["car2"].ok  # the organiser's command reaches car2...
        observe(1.0)
        assert raw.messages == []  # ...but car1's credentials see neither it nor car2's status
        assert car2.actions.state["emergency_stop"] is False  # and car1's forged estop never arrived
        assert organiser.status("car2")["online"] is True  # nor its forged "offline"
    finally:
        raw.close()


def test_the_last_will_marks_a_killed_car_offline(broker) -> None:
    user, password = car_credentials("car3")
    process = subprocess.Popen([sys.executable, "-m", "fleet_pkg.simulated_car", "--broker", broker.address,
                                "--cars", "1", "--first", "3", "--password", password], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    organiser = FleetClient(FleetSettings("127.0.0.1", broker.port, username=ORGANISER[0], password=ORGANISER[1]))
    try:
        wait_for(lambda: (organiser.status(user) or {}).get("online"), 15, "car3 online")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        wait_for(lambda: (organiser.status(user) or {}).get("online") is False, 20, "car3 marked offline by its will")
    finally:
        if process.poll() is None:
            process.kill()
        organiser.close()
    assert json.loads(subprocess.run(["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-u", ORGANISER[0],
                                      "-P", ORGANISER[1], "-t", protocol.status_topic(user), "-C", "1", "-W", "5"],
                                     capture_output=True, text=True, check=True).stdout) == \
        {"car": user, "online": False}  # retained: whoever asks later learns it too


def test_a_retained_command_is_never_acted_on_by_a_car_that_connects_later(broker) -> None:
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    publisher.username_pw_set(*ORGANISER)
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    command = protocol.Command("retained-start", "estop", time.time(), {})
    publisher.publish(protocol.ALL_COMMANDS_TOPIC, command.payload(), qos=1, retain=True).wait_for_publish(5)
    car = SimulatedCar(car_settings(broker, "car3"))
    car.start()
    try:
        wait_for(lambda: car.link.connected, 10, "car3 connected")
        observe(1.0)
        assert car.actions.state["emergency_stop"] is False and car.agent.counts["received"] == 0
    finally:
        car.stop()
        publisher.publish(protocol.ALL_COMMANDS_TOPIC, b"", qos=1, retain=True).wait_for_publish(5)  # clear it
        publisher.disconnect()
        publisher.loop_stop()


def test_a_clean_stop_says_offline(broker) -> None:
    organiser = FleetClient(FleetSettings("127.0.0.1", broker.port, username=ORGANISER[0], password=ORGANISER[1]))
    car = SimulatedCar(car_settings(broker, "car3"))
    try:
        car.start()
        wait_for(lambda: (organiser.status("car3") or {}).get("online"), 15, "car3 online")
        car.stop()
        wait_for(lambda: (organiser.status("car3") or {}).get("online") is False, 10, "car3 offline")
    finally:
        organiser.close()


def test_wrong_credentials_are_refused_and_the_password_is_never_logged(broker, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-but-secret-password"
    car = SimulatedCar(car_settings(broker, "car3", password=secret))
    car.start()
    try:
        wait_for(lambda: "refused the connection" in caplog.text, 15, "the refusal logged")
        assert not car.link.connected
    finally:
        car.stop()
    right = car_credentials("car3")[1]
    good = SimulatedCar(car_settings(broker, "car3"))
    good.start()
    try:
        wait_for(lambda: good.link.connected, 15, "car3 connected")
    finally:
        good.stop()
    assert "car3" in caplog.text and secret not in caplog.text and right not in caplog.text
    result = subprocess.run([*CLI, "--broker", broker.address, "--username", "organiser", "--password", secret,
                             "list"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 3 and "check the username and password" in result.stderr
    assert secret not in result.stderr + result.stdout


def test_the_cli_exit_codes_say_what_went_wrong(broker, cars) -> None:
    base = [*CLI, "--broker", broker.address, "--username", ORGANISER[0]]
    env = {**os.environ, "DEEPRACER_FLEET_PASSWORD": ORGANISER[1]}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*base, *args], capture_output=True, text=True, timeout=60, env=env)

    assert cli("estop", "--to", "car1").returncode == 0
    refused = cli("start", "--to", "car1")
    assert refused.returncode == 1 and "car1  FAILED  emergency stop is latched" in refused.stdout
    silent = cli("--timeout", "1", "stop", "--to", "car1,car9")
    assert silent.returncode == 4 and "car9  NO ANSWER" in silent.stdout and "car1  ok" in silent.stdout
    assert cli("color", "#zz0000", "--all").returncode == 2
    assert cli("max-speed", "120", "--all").returncode == 2
    assert cli("stop", "--to", "all").returncode == 2
    unreachable = subprocess.run([*CLI, "--broker", f"127.0.0.1:{free_port()}", "list"], capture_output=True,
                                 text=True, timeout=30)
    assert unreachable.returncode == 3 and "cannot reach the broker" in unreachable.stderr
    table = cli("list")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["CAR", "NAME", "ONLINE"]
    assert any(line.split()[:3] == ["car1", "car1", "yes"] and "estop" in line for line in lines)
    assert cli("reset-estop", "--to", "car1").returncode == 0


def test_a_flood_through_the_broker_still_lets_an_emergency_stop_through(broker, cars) -> None:
    (car1, _car2), organiser = cars
    flood = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    flood.username_pw_set(*ORGANISER)
    flood.connect("127.0.0.1", broker.port)
    flood.loop_start()
    try:
        for n in range(1500):
            payload = b"{not json" if n % 3 == 0 else protocol.Command(f"f{n}", "color", time.time(),
                                                                       {"red": 1, "green": 2, "blue": 3}).payload()
            flood.publish(protocol.command_topic("car1"), payload, qos=0)
        outcome = organiser.wait(organiser.send("estop", cars=["car1"]), 60)
    finally:
        flood.disconnect()
        flood.loop_stop()
    assert outcome.replies["car1"].ok and car1.actions.state["emergency_stop"] is True
    assert car1.link.connected
    organiser.wait(organiser.send("reset_estop", cars=["car1"]), 30)


def test_a_car_whose_clock_is_off_shows_in_the_list_refuses_commands_but_still_stops(broker, cars) -> None:
    _cars, organiser = cars
    skewed = SimulatedCar(car_settings(broker, "car3"), clock=lambda: time.time() + 60.0)
    skewed.start()
    try:
        wait_for(lambda: (organiser.status("car3") or {}).get("online"), 15, "car3 online")
        env = {**os.environ, "DEEPRACER_FLEET_PASSWORD": ORGANISER[1]}
        base = [*CLI, "--broker", broker.address, "--username", ORGANISER[0]]
        table = subprocess.run([*base, "list"], capture_output=True, text=True, timeout=60, env=env).stdout
        rows = {line.split()[0]: line for line in table.splitlines()[1:]}
        assert rows["car3"].endswith("+60s off") and rows["car1"].endswith("ok"), table
        start = subprocess.run([*base, "start", "--to", "car3"], capture_output=True, text=True, timeout=60, env=env)
        assert start.returncode == 1 and "not acted on late" in start.stdout
        estop = subprocess.run([*base, "estop", "--to", "car3"], capture_output=True, text=True, timeout=60, env=env)
        assert estop.returncode == 0 and skewed.actions.state["emergency_stop"] is True
    finally:
        skewed.stop()
