"""Every node says it is alive, who it is this time, and whether it can do its part: the heartbeat.

Why: a node on the driving path that crashes and is restarted by the launcher (or by `ros2 launch`'s respawn, or
systemd) comes back in a state that knows nothing of the run in progress; a car must not resume driving because a
camera or servo process came back. Navigation watches these beats (navigation_pkg/peer_watch.py) and stops the run,
with the reason, when one of its driving path's nodes restarts (new boot_id), goes silent, or reports a fault.
run_nodes publishes the beats of every node of its process from one timer (the nodes live and die together, so
one boot id serves them all); a node with something to report defines `heartbeat_fault() -> str`.

Only the nodes someone watches beat (driving_path.WATCHED_NODES: the ones between a source of commands and the wheels),
and fast (HEARTBEAT_PERIOD_S) only while someone relies on that node: while the car is started, the nodes on the
path of its drive mode (navigation's peer watch), and in calibration mode the console (the servo node holds a
calibration value only while the console beats). Otherwise, at HEARTBEAT_IDLE_S, a beat tells a Start who is there
(navigation refuses a Start with a silent node on its path).
Every message costs its readers an executor wake-up (~0.5 ms of CPU here for each side, measured at 30 a second;
more on the car's Atom): beating for all ten nodes ten times a second was 90 of the 100 messages a second of an idle
car. A reader in the beating nodes' own process (navigation beside the camera and inference) is handed each beat
in-process (`listen`), and the beats go over DDS only while a reader outside the process is there. A process whose
nodes have no fault to report and no reader outside (camera, inference and navigation together, on the car) does not
beat after its first beat at all: navigation beside them takes that one in-process, knows them as never silent (their
restart is its own), and a later beat would only say the same again, five times a second while driving (issue 23).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from weakref import WeakKeyDictionary

from rclpy.context import Context
from rclpy.event_handler import PublisherEventCallbacks, QoSPublisherMatchedInfo
from rclpy.node import Node

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.driving_path import CONSOLE_NODE, DRIVING_PATH, WATCHED_NODES
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import stamped_header
from deepracer_common_pkg.vocabulary import CALIBRATION
from deepracer_interfaces_pkg.msg import Heartbeat, NavigationState

HEARTBEAT_PERIOD_S = 0.2  # five beats per navigation_node.peer_timeout_s (1.0 s)
HEARTBEAT_IDLE_S = 0.5  # still two per peer_timeout_s, which a Start checks
_heartbeat = maker(Heartbeat, "header", "node", "boot_id", "fault")  # without the generated constructor's defaults


# Readers in this process (`listen`), by rclpy context: the beating nodes and their readers share one.
_local_listeners: WeakKeyDictionary[Context, list[Callable[[Heartbeat], None]]] = WeakKeyDictionary()


def relied_on(state: NavigationState, node: str) -> bool:
    """Is a fast beat of `node` needed in this navigation state?"""
    if state.mode == CALIBRATION:
        return node == CONSOLE_NODE
    return state.started and node in DRIVING_PATH.get(state.mode, ())


def listen(node: Node, callback: Callable[[Heartbeat], None],
           in_process: Callable[[Heartbeat], None] | None = None) -> None:
    """Hear every node's beats: the ones of this process in-process (to `in_process` when given), the others' over
    DDS."""
    node.create_subscription(Heartbeat, names.HEARTBEAT, callback, qos.HEARTBEAT)
    _local_listeners.setdefault(node.context, []).append(in_process or callback)


def publish_heartbeats(nodes: Sequence[Node]) -> str:
    """Beat for each of `nodes`; returns this process's boot id.

    The timer lives on a node spun by the process's main executor: a node with an executor of its own may block in
    a callback for seconds (a Wi-Fi join), and the others' beats must not stop with it.
    """
    boot_id = uuid.uuid4().hex[:12]
    watched = [node for node in nodes if node.get_name() in WATCHED_NODES]
    if watched:
        _Beat(next((n for n in nodes if getattr(type(n), "OWN_EXECUTOR", None) is None), nodes[0]), watched, boot_id)
    return boot_id


class _Beat:
    def __init__(self, owner: Node, nodes: Sequence[Node], boot_id: str) -> None:
        self._owner = owner
        self._clock = StackClock(owner)
        self._boot_id = boot_id
        self._beating = [(node.get_name(), getattr(node, "heartbeat_fault", None)) for node in nodes]
        self._listeners = _local_listeners.get(owner.context, [])  # every reader of this process has listened by now
        # Beats after the first are news only to a reader outside, or about a fault a node here may report.
        self._faults_to_tell = bool(self._listeners) and any(fault for _, fault in self._beating)
        self._outside = False  # a reader outside this process is matched (their count is kept by DDS's events)
        self._publisher = owner.create_publisher(Heartbeat, names.HEARTBEAT, qos.HEARTBEAT,
                                                 event_callbacks=PublisherEventCallbacks(matched=self._on_readers))
        self._fast: frozenset[str] = frozenset()  # the nodes beating fast
        self._last_beat_ns: dict[str, int] = {}
        self._timer = self._clock.create_timer(HEARTBEAT_IDLE_S, self.beat)
        self._follow_readers()
        owner.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_navigation, qos.LATCHED)
        self.beat()

    def _on_readers(self, info: QoSPublisherMatchedInfo) -> None:
        self._outside = info.current_count > len(self._listeners)
        self._follow_readers()
        if self._outside and info.current_count_change > 0:
            self.beat()  # who is there, at once: a reader may judge a node by its first beat (a Start)

    def _follow_readers(self) -> None:
        """The timer runs only while a beat is news to someone."""
        wanted = self._outside or self._faults_to_tell
        if wanted == self._timer.is_canceled():
            if wanted:
                self._timer.reset()
            else:
                self._timer.cancel()

    def beat(self) -> None:
        """Each node relied on, and the others once per HEARTBEAT_IDLE_S (the timer runs fast while any is)."""
        stamp = self._clock.stamp()
        now_ns = self._clock.now_ns()
        due_ns = now_ns - int((HEARTBEAT_IDLE_S - HEARTBEAT_PERIOD_S / 2) * 1e9)
        listeners = self._listeners
        outside = self._publisher.get_subscription_count() > len(listeners)
        for name, fault in self._beating:
            if name not in self._fast and self._last_beat_ns.get(name, due_ns - 1) > due_ns:
                continue
            self._last_beat_ns[name] = now_ns
            message = _heartbeat(stamped_header(stamp), name, self._boot_id, fault() if fault else "")
            for listener in listeners:
                listener(message)
            if outside:
                self._publisher.publish(message)

    def _on_navigation(self, state: NavigationState) -> None:
        fast = frozenset(name for name, _ in self._beating if relied_on(state, name))
        if fast == self._fast:
            return
        was, self._fast = self._fast, fast
        if bool(fast) != bool(was):
            self._owner.destroy_timer(self._timer)
            self._timer = self._clock.create_timer(HEARTBEAT_PERIOD_S if fast else HEARTBEAT_IDLE_S, self.beat)
            self._follow_readers()
        if fast - was:
            self.beat()  # at once: the run or the calibration that needs it has begun
