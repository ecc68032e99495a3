"""The car's side of the fleet link without ROS: which messages it acts on, in what order, and what it answers.

Messages arrive on the MQTT client's network thread; they are checked there (topic, shape, age, duplicates)
and queued, never executed there, so a slow service or download cannot stall the link's keepalive. Two
workers execute: the urgent one (stop and emergency stop first, then start, mode, speed, colour, status) and
the slow one (model loads, installs, deletes, log uploads, restarts), so an emergency stop never waits behind
a 23 MB download. Every queue is bounded, stops in a lane of their own that other commands cannot fill: a flood
gets "busy" (at most REFUSALS_PER_S answers a second), never unbounded memory, and never keeps a stop out.

The link never drives the car: every action is a call the console could make, and the stack's own timeouts
keep the car safe whatever happens to the broker. A command older than `max_command_age_s` by the car's clock
is refused (no stale "start" replayed after a reconnect); stop and emergency stop are honoured however old.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Protocol

from fleet_pkg import protocol
from fleet_pkg.protocol import Command, CommandError, Reply

URGENT_CAPACITY = 32
SLOW_CAPACITY = 8
REMEMBERED_IDS = 512  # QoS 1 may deliver a command twice: the second copy is not acted on
STATUS_MIN_INTERVAL_S = 0.5  # state changes in a burst (stop + mode + speed) make one status message
# Refusals (malformed, stale, busy) are answered from the link's network thread, at most this many per second; a
# flood beyond it is counted, not answered, so the answers cannot fill the link's outgoing queue.
REFUSALS_PER_S = 20
# The answer to a command that was carried out waits this long for room in the link's outgoing queue: the worker
# slows to the pace the broker takes answers (back-pressure), so a flood fills the bounded command queues, not
# the outgoing one, and an emergency stop's answer is not lost.
REPLY_WAIT_S = 5.0

Publish = Callable[[str, bytes, bool], bool]  # (topic, payload, retain) -> sent


class CommandRefused(Exception):
    """An action the car will not or cannot do now; the text is the reason given in the reply."""


class CarActions(Protocol):
    """What a car does for the fleet link: the ROS node's service calls, or a simulated car's."""

    def emergency_stop(self) -> None: ...
    def reset_emergency_stop(self) -> None: ...
    def start_stop(self, start: bool) -> None: ...
    def set_drive_mode(self, mode: str) -> None: ...
    def set_max_speed(self, max_speed: float) -> None: ...
    def set_color(self, red: int, green: int, blue: int) -> None: ...
    def load_model(self, name: str) -> dict[str, Any]: ...
    def install_model(self, url: str, md5: str, name: str) -> dict[str, Any]: ...
    def delete_models(self, names: list[str]) -> dict[str, Any]: ...
    def restart(self) -> dict[str, Any]: ...
    def upload_logs(self, run: str, url: str) -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...


class _UrgentQueue:
    """Stops ahead of everything (emergency stops first), then the other quick commands in arrival order. Each
    lane is bounded on its own, so a flood of colour changes can never keep an emergency stop out."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._ready = threading.Condition()
        self._stops: deque[Command | None] = deque()
        self._rest: deque[Command] = deque()

    def put(self, command: Command | None) -> bool:
        """False when the command's lane is full. None (the workers' end) goes first."""
        with self._ready:
            if command is None or command.cmd in protocol.STOP_COMMANDS:
                if len(self._stops) >= self._capacity:
                    return False
                if command is None or command.cmd == "estop":
                    self._stops.appendleft(command)
                else:
                    self._stops.append(command)
            else:
                if len(self._rest) >= self._capacity:
                    return False
                self._rest.append(command)
            self._ready.notify()
            return True

    def get(self) -> Command | None:
        with self._ready:
            while not self._stops and not self._rest:
                self._ready.wait()
            return self._stops.popleft() if self._stops else self._rest.popleft()


class FleetAgent:
    def __init__(self, car_id: str, actions: CarActions, publish: Publish, *, max_command_age_s: float,
                 status_period_s: float, clock: Callable[[], float] = time.time,
                 log: logging.Logger | None = None) -> None:
        self.car_id = car_id
        self._actions = actions
        self._publish = publish
        self._max_age_s = max_command_age_s
        self._status_period_s = status_period_s
        self._clock = clock
        self._log = log or logging.getLogger("fleet")
        self._topics = {protocol.command_topic(car_id), protocol.ALL_COMMANDS_TOPIC}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()
        self._urgent = _UrgentQueue(URGENT_CAPACITY)
        self._slow: queue.Queue[Command | None] = queue.Queue(SLOW_CAPACITY)
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.counts = {"received": 0, "refused": 0, "busy": 0, "ignored": 0, "done": 0, "unanswered": 0}
        self.last_error = ""
        self._refusal_window = (0.0, 0)  # (start of the current second, refusals answered in it)

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._run_urgent, "fleet-urgent"), (self._run_slow, "fleet-slow"),
                             (self._run_status, "fleet-status")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._changed.set()
        self._urgent.put(None)
        with contextlib.suppress(queue.Full):  # a full queue wakes its worker anyway, which then sees _stopping
            self._slow.put_nowait(None)
        for thread in self._threads:
            thread.join(timeout)

    # --- receiving (the link's network thread) ---------------------------------------------------------

    def on_message(self, topic: str, payload: bytes) -> None:
        """Check and queue one message from the broker; answer at once when it is refused."""
        if topic not in self._topics:
            self.counts["ignored"] += 1  # not ours: the broker's ACL should not even deliver it
            return
        self.counts["received"] += 1
        try:
            command = protocol.parse_command(payload, topic)
        except CommandError as error:
            self._refuse(Reply(protocol.command_id_of(payload), self.car_id, "", False, str(error)))
            return
        with self._seen_lock:
            if command.id in self._seen:
                return
            self._seen[command.id] = None
            while len(self._seen) > REMEMBERED_IDS:
                self._seen.popitem(last=False)
        refusal = protocol.age_refusal(command, self._clock(), self._max_age_s)
        if refusal:
            self._refuse(Reply(command.id, self.car_id, command.cmd, False, refusal))
            return
        if command.cmd in protocol.SLOW_COMMANDS:
            try:
                self._slow.put_nowait(command)
                queued = True
            except queue.Full:
                queued = False
        else:
            queued = self._urgent.put(command)
        if not queued:
            self.counts["busy"] += 1
            self._refuse(Reply(command.id, self.car_id, command.cmd, False,
                               "the car is busy with earlier commands: wait for their answers and send it again"))

    # --- executing ------------------------------------------------------------------------------------

    def _run_urgent(self) -> None:
        while not self._stopping.is_set():
            command = self._urgent.get()
            if command is not None and not self._stopping.is_set():  # the link went off: queued work is dropped
                self.execute(command)

    def _run_slow(self) -> None:
        while not self._stopping.is_set():
            command = self._slow.get()
            if command is not None and not self._stopping.is_set():
                self.execute(command)

    def execute(self, command: Command) -> Reply:
        """Do one checked command and publish its reply (also returned, for tests)."""
        try:
            result = self._dispatch(command) or {}
            reply = Reply(command.id, self.car_id, command.cmd, True, "", result)
            self.counts["done"] += 1
        except CommandRefused as error:
            reply = Reply(command.id, self.car_id, command.cmd, False, str(error))
        except Exception:  # a fault in the car's code: the sender gets plain words, the car's log the detail
            self._log.exception("fleet command %s (%s) failed", command.cmd, command.id)
            reply = Reply(command.id, self.car_id, command.cmd, False,
                          f"{command.cmd} failed on the car because of a fault; the car's log has the details")
        self._answer(reply)
        self.notify_change()
        return reply

    def _dispatch(self, command: Command) -> dict[str, Any] | None:
        a, args = self._actions, command.args
        match command.cmd:
            case "estop":
                a.emergency_stop()
            case "reset_estop":
                a.reset_emergency_stop()
            case "stop":
                a.start_stop(False)
            case "start":
                a.start_stop(True)
            case "mode":
                a.set_drive_mode(args["mode"])
            case "max_speed":
                a.set_max_speed(args["max_speed"])
            case "color":
                a.set_color(args["red"], args["green"], args["blue"])
            case "load":
                return a.load_model(args["model"])
            case "install":
                return a.install_model(args["url"], args["md5"], args["name"])
            case "delete":
                return a.delete_models(args["models"])
            case "restart":
                return a.restart()
            case "upload_logs":
                return a.upload_logs(args["run"], args["url"])
            case "status":
                return self.status()
        return None

    def _note_failure(self, reply: Reply) -> None:
        self.counts["refused"] += 1
        self.last_error = f"{reply.cmd or 'command'}: {reply.reason}"

    def _refuse(self, reply: Reply) -> None:
        """Answer a refusal on the network thread (never blocks), within the refusal rate."""
        self._note_failure(reply)
        now = time.monotonic()
        start, answered = self._refusal_window
        if now - start >= 1.0:
            start, answered = now, 0
        if answered >= REFUSALS_PER_S:
            self.counts["unanswered"] += 1
            return
        self._refusal_window = (start, answered + 1)
        self._publish(protocol.reply_topic(self.car_id, reply.id), reply.payload(), False)

    def _answer(self, reply: Reply) -> None:
        """Answer a command that was carried out (or failed doing it), waiting for room in the outgoing queue."""
        if not reply.ok:
            self._note_failure(reply)
        topic, payload = protocol.reply_topic(self.car_id, reply.id), reply.payload()
        deadline = time.monotonic() + REPLY_WAIT_S
        while not self._publish(topic, payload, False):
            if time.monotonic() > deadline or self._stopping.wait(0.01):
                self.counts["unanswered"] += 1
                return

    # --- status ---------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        document = {"car": self.car_id, "online": True, "time": round(self._clock(), 3)}
        document.update(self._actions.status())
        document.setdefault("last_error", "")
        if not document["last_error"]:
            document["last_error"] = self.last_error
        document["commands"] = dict(self.counts)
        return document

    def status_payload(self) -> bytes:
        return json.dumps(self.status(), separators=(",", ":")).encode()

    def publish_status(self) -> bool:
        return self._publish(protocol.status_topic(self.car_id), self.status_payload(), True)

    def notify_change(self) -> None:
        """The car's state changed (mode, started, model, colour): publish a status soon."""
        self._changed.set()

    def _run_status(self) -> None:
        last = 0.0
        while not self._stopping.is_set():
            self._changed.wait(self._status_period_s)
            if self._stopping.is_set():
                return
            wait = STATUS_MIN_INTERVAL_S - (time.monotonic() - last)
            if wait > 0 and self._stopping.wait(wait):
                return
            self._changed.clear()
            try:
                self.publish_status()
            except Exception:
                self._log.exception("fleet status could not be built")
            last = time.monotonic()
