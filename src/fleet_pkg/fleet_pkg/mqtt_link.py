"""The MQTT client (paho-mqtt 2, MQTT 5) as the car and the CLI use it.

The car connects out (so it works behind the event's NAT and needs no open port), with a clean session (the
broker keeps nothing for it across a disconnect, so nothing queued while it was away is replayed), a
retained last will that marks it offline, a short keepalive (a dead car or broker is noticed within 1.5 ×
`KEEPALIVE_S`) and reconnects with backoff from `RECONNECT_MIN_S` to `RECONNECT_MAX_S`. It limits how many
unacknowledged messages the broker may push at it (`RECEIVE_MAXIMUM`) and how many of its own it queues
(`MAX_QUEUED`): a flooding or stalled broker costs bounded memory. paho runs the network loop in its own
thread; nothing here blocks a ROS callback. The password goes to paho only, never to a log line.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from fleet_pkg import protocol
from fleet_pkg.settings import FleetSettings

KEEPALIVE_S = 10
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
RECEIVE_MAXIMUM = 16
MAX_QUEUED = 200
QOS = 1  # at least once: commands and replies must arrive; duplicates are recognised by command id


def make_client(settings: FleetSettings, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
    if settings.username:
        client.username_pw_set(settings.username, settings.password or None)
    if settings.tls:
        client.tls_set(ca_certs=settings.ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
    client.max_queued_messages_set(MAX_QUEUED)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client


def connect_properties() -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 0
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties


def describe(settings: FleetSettings) -> str:
    """Where the link goes, for log lines: never the password."""
    who = f" as {settings.username}" if settings.username else ""
    return f"{settings.broker}:{settings.port}{who} (TLS {'on' if settings.tls else 'off'})"


class CarLink:
    """One car's connection: subscribes to its own and the `all` command topics, publishes status and replies."""

    def __init__(self, settings: FleetSettings, car_id: str, on_message: Callable[[str, bytes], None],
                 on_connected: Callable[[], None], log: logging.Logger) -> None:
        self.settings = settings
        self.car_id = car_id
        self._on_message = on_message
        self._on_connected = on_connected
        self._log = log
        self._connected = threading.Event()
        self.connects = 0
        self._client = make_client(settings, f"deepracer-{car_id}")
        self._client.will_set(protocol.status_topic(car_id), protocol.offline_status(car_id), qos=QOS, retain=True)
        self._client.on_connect = self._connected_cb
        self._client.on_disconnect = self._disconnected_cb
        self._client.on_message = self._message_cb

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._log.info(f"fleet link: connecting to {describe(self.settings)} as car {self.car_id}")
        self._client.connect_async(self.settings.broker, self.settings.port, keepalive=KEEPALIVE_S,
                                   clean_start=True, properties=connect_properties())
        self._client.loop_start()

    def stop(self) -> None:
        """Say offline (the will is only for a link that dies), then close."""
        if self.connected:
            self._client.publish(protocol.status_topic(self.car_id), protocol.offline_status(self.car_id),
                                 qos=QOS, retain=True).wait_for_publish(1.0)
            self._connected.clear()
            self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: str, payload: bytes, retain: bool) -> bool:
        """Queue a message; False (dropped) while disconnected: status is sent afresh on each connect."""
        if not self.connected:
            return False
        return self._client.publish(topic, payload, qos=QOS, retain=retain).rc == mqtt.MQTT_ERR_SUCCESS

    def _connected_cb(self, client: mqtt.Client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self._log.warning(f"fleet link: {describe(self.settings)} refused the connection: {reason_code}")
            return
        self.connects += 1
        client.subscribe([(protocol.command_topic(self.car_id), QOS), (protocol.ALL_COMMANDS_TOPIC, QOS)])
        self._connected.set()
        self._log.info(f"fleet link: connected to {describe(self.settings)}")
        self._on_connected()

    def _disconnected_cb(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        if self._connected.is_set():
            self._log.warning(f"fleet link: lost {describe(self.settings)} ({reason_code}); reconnecting with backoff")
        self._connected.clear()

    def _message_cb(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            return  # a retained command is an old one by definition: never acted on
        self._on_message(message.topic, message.payload)
