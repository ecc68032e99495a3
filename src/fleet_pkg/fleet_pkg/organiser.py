"""The organiser's side of the fleet link: one MQTT connection that sends commands and gathers answers.

A command for every car goes out once, on `deepracer/all/cmd`, the moment the connection is up; the cars
that are expected to answer are the ones whose retained status says online, gathered while the answers
already come in (an emergency stop never waits for a roll call). Commands carry the MQTT 5 message expiry
(`max_age_s`), so a broker never delivers one later than the cars would accept it anyway.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from fleet_pkg import protocol
from fleet_pkg.mqtt_link import KEEPALIVE_S, QOS, describe, make_client
from fleet_pkg.protocol import Command, Reply
from fleet_pkg.settings import FleetSettings

ROLL_CALL_QUIET_S = 0.3  # retained statuses arrive in one burst after subscribing; this long without one ends it
ROLL_CALL_MAX_S = 3.0
DEFAULT_MAX_AGE_S = 10.0  # the cars' own bound (fleet_node.max_command_age_s default)


class BrokerError(RuntimeError):
    """The broker cannot be reached or refused us; the text says which and what to check."""


@dataclass
class Outcome:
    """Answers to one command: reply per car, and the cars that were expected but did not answer."""

    command: Command
    sent_at: float  # monotonic
    replies: dict[str, Reply] = field(default_factory=dict)
    reply_times: dict[str, float] = field(default_factory=dict)  # seconds after sending
    expected: set[str] = field(default_factory=set)

    @property
    def missing(self) -> set[str]:
        return self.expected - set(self.replies)


class FleetClient:
    def __init__(self, settings: FleetSettings, *, max_age_s: float = DEFAULT_MAX_AGE_S,
                 connect_timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.max_age_s = max_age_s
        self._lock = threading.Condition()
        self._statuses: dict[str, dict[str, Any]] = {}
        self._last_status_at = 0.0
        self._outcomes: dict[str, Outcome] = {}
        self._failure = ""
        self._client = make_client(settings, f"deepracer-fleet-{uuid.uuid4().hex[:12]}")
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._subscribed = threading.Event()
        self.on_status: Callable[[str, dict[str, Any]], None] | None = None
        try:
            self._client.connect(settings.broker, settings.port, keepalive=KEEPALIVE_S, clean_start=True)
        except (OSError, ValueError) as error:
            raise BrokerError(f"cannot reach the broker at {describe(settings)}: {error}") from None
        self._client.loop_start()
        if not self._subscribed.wait(connect_timeout_s) or self._failure:
            self.close()
            raise BrokerError(self._failure or f"the broker at {describe(settings)} did not answer within "
                                                f"{connect_timeout_s:g} s")

    # --- paho callbacks (network thread) -----------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self._failure = (f"the broker at {describe(self.settings)} refused the connection ({reason_code}): "
                             "check the username and password")
            client.disconnect()
            self._subscribed.set()  # nothing more will come: stop waiting
            return
        client.subscribe([(protocol.ALL_STATUS_TOPICS, QOS), (f"{protocol.PREFIX}/+/reply/+", QOS)])

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _properties) -> None:
        failed = [code for code in reason_codes if code.is_failure]
        if failed:
            self._failure = f"the broker refused our subscriptions ({failed[0]}): does its ACL let this user in?"
        self._subscribed.set()

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        car = protocol.car_from_topic(message.topic)
        if car is None:
            return
        if message.topic == protocol.status_topic(car):
            try:
                status = json.loads(message.payload) if message.payload else {"car": car, "online": False}
            except ValueError:
                return
            if isinstance(status, dict):
                with self._lock:
                    self._statuses[car] = status
                    self._last_status_at = time.monotonic()
                    self._lock.notify_all()
                if self.on_status is not None:
                    self.on_status(car, status)
            return
        reply = protocol.parse_reply(message.payload)
        if reply is None:
            return
        with self._lock:
            outcome = self._outcomes.get(reply.id)
            if outcome is not None and reply.car not in outcome.replies:
                outcome.replies[reply.car] = reply
                outcome.reply_times[reply.car] = time.monotonic() - outcome.sent_at
                self._lock.notify_all()

    # --- roll call ------------------------------------------------------------------------------------

    def roll_call(self) -> dict[str, dict[str, Any]]:
        """Every car's retained status (online or not), once the burst after subscribing is over."""
        started = time.monotonic()
        with self._lock:
            while True:
                now = time.monotonic()
                quiet_since = max(self._last_status_at, started)
                if now - quiet_since >= ROLL_CALL_QUIET_S or now - started >= ROLL_CALL_MAX_S:
                    return dict(self._statuses)
                self._lock.wait(ROLL_CALL_QUIET_S - (now - quiet_since))

    def online_cars(self) -> set[str]:
        return {car for car, status in self.roll_call().items() if status.get("online")}

    def status(self, car: str) -> dict[str, Any] | None:
        with self._lock:
            return self._statuses.get(car)

    # --- commands -------------------------------------------------------------------------------------

    def send(self, cmd: str, args: dict[str, Any] | None = None, cars: Iterable[str] | None = None, *,
             sent_at: float | None = None) -> Outcome:
        """Publish a command to the listed cars, or to every car (`cars=None`); answers gather in the Outcome.
        `sent_at` dates the command (default: now)."""
        command = Command(uuid.uuid4().hex[:16], cmd, round(time.time() if sent_at is None else sent_at, 3),
                          dict(args or {}))
        outcome = Outcome(command, time.monotonic())
        if cars is not None:
            outcome.expected = set(cars)
        with self._lock:
            self._outcomes[command.id] = outcome
        properties = Properties(PacketTypes.PUBLISH)
        properties.MessageExpiryInterval = max(1, int(self.max_age_s))
        topics = ([protocol.ALL_COMMANDS_TOPIC] if cars is None
                  else [protocol.command_topic(car) for car in outcome.expected])
        for topic in topics:
            self._client.publish(topic, command.payload(), qos=QOS, properties=properties)
        return outcome

    def wait(self, outcome: Outcome, timeout_s: float, everyone: bool = False,
             on_tick: Callable[[Outcome], None] | None = None) -> Outcome:
        """Wait until every expected car answered or `timeout_s` passed; `everyone` adds the online cars."""
        if everyone:
            online = self.online_cars()
            with self._lock:
                outcome.expected |= online
        deadline = outcome.sent_at + timeout_s
        with self._lock:
            while True:
                if on_tick is not None:
                    on_tick(outcome)
                if outcome.expected and not outcome.missing:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(min(remaining, 0.2))
            outcome.expected |= set(outcome.replies)
        return outcome

    def local_address(self) -> str:
        """Our address on the network that reaches the broker: where cars can reach a file we serve."""
        sock = self._client.socket()
        return sock.getsockname()[0] if sock is not None else "127.0.0.1"

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
