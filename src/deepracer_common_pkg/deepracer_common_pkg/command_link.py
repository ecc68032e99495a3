"""Navigation's drive commands to the servo node of the same car over a local socket, beside the DDS topic.

Why: the servo node must stay a process of its own (its actuation guard watches it alone), so each drive command
crosses a process boundary, 30 times a second. Over DDS that crossing cost about 0.8 ms of CPU per command here
(rclpy's publish, Fast DDS's delivery thread, the EventsExecutor's wake-up and message conversion: measured with a
30 Hz publisher and one reader), a tenth of the car's CPU budget at 30 fps (issue 23); a datagram on a local
socket costs 0.12 ms for both sides. The topic `/navigation_pkg/servo_cmd` stays: navigation publishes on it
whenever anyone else reads it (the console's readout, the logger of another process, `ros2 topic echo`), and
whenever the link is down (not yet up, the servo node restarting, its queue full), so a command is never only lost.

The link is a SOCK_SEQPACKET socket in Linux's abstract namespace (no file to leave behind or to clean up),
named by the ROS domain and the servo node's full name, so two cars' stacks on one machine never cross. It is
ordered and reliable while both ends live; a command on it is the same command as on the topic (stamp, angle,
throttle), so a reader of both tells a repeat by its content (`RecentCommands`). Only a process of the servo
node's own user may connect (SO_PEERCRED), as only it could write to its output files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

RETRY_S = 0.5  # a sender with no link tries again at most this often (navigation runs before the servo node)
# Header stamp sec, nanosec; angle; throttle: as DriveCommand carries them (float32), so a command that comes both
# ways reads the same.
_COMMAND = struct.Struct("<iIff")
_PEERCRED = struct.Struct("3i")  # pid, uid, gid


@dataclass(frozen=True)
class Command:
    sec: int
    nanosec: int
    angle: float
    throttle: float


def local_address(domain_id: int, node: str, what: str) -> str:
    """An abstract socket name for `what` a node (by its full name, e.g. "/servo_node") sends or takes locally, in
    its ROS domain: two stacks on one machine (their own domains) never cross."""
    return f"\0deepracer/{domain_id}{node}/{what}"


def address(domain_id: int, servo_node: str) -> str:
    """The link's name: the servo node's full name (e.g. "/servo_node") in its ROS domain."""
    return local_address(domain_id, servo_node, "drive_commands")


def readout_address(domain_id: int, navigation_node: str) -> str:
    """Where navigation offers its newest command to the console of the same car (the Control page's readout):
    a sample a few times a second on picture_link's sockets, so a console reading the readout does not make
    navigation publish every command over DDS to it, nor the servo node receive each one a second time there."""
    return local_address(domain_id, navigation_node, "command_readout")


def command_bytes(command: Command) -> bytes:
    return _COMMAND.pack(command.sec, command.nanosec, command.angle, command.throttle)


def command_from_bytes(data: bytes) -> Command | None:
    """None for bytes that are not one command (a peer of another version)."""
    return Command(*_COMMAND.unpack(data)) if len(data) == _COMMAND.size else None


def peer_uid(connection: socket.socket) -> int:
    """The user of the process at the other end of a local socket (SO_PEERCRED)."""
    _, uid, _ = _PEERCRED.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
    return uid


class CommandSender:
    """Navigation's end: never blocks, reports whether a command went on the link (else it must go over DDS)."""

    def __init__(self, link_address: str, clock: Callable[[], float]) -> None:
        self._address = link_address
        self._clock = clock
        self._socket: socket.socket | None = None
        self._next_try = float("-inf")

    @property
    def linked(self) -> bool:
        return self._socket is not None

    def send(self, command: Command) -> bool:
        """True when the command is on its way to the servo node; False: nobody listens, or its queue is full."""
        if self._socket is None and not self._connect():
            return False
        assert self._socket is not None
        try:
            self._socket.send(command_bytes(command))
            return True
        except BlockingIOError:
            return False  # the servo node is not reading (stalled): the link stays, this one goes over DDS
        except OSError:
            self.close()  # the servo node went away
            return False

    def _connect(self) -> bool:
        now = self._clock()
        if now < self._next_try:
            return False
        self._next_try = now + RETRY_S
        link = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)
        try:
            link.connect(self._address)
        except OSError:
            link.close()
            return False
        self._socket = link
        return True

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class CommandReceiver:
    """The servo node's end: a thread that hands each command to `on_command` as it arrives, holding `lock`.

    The thread also keeps the node's check that must come when commands stop (its watchdog): `due_in()`, asked with
    `lock` held before each wait, says in how many seconds `on_due()` must run (None: nothing due), and the wait
    ends then if no command came first. While commands come faster than the check is due, it never runs and nothing
    else wakes up for it: an rclpy timer pushed back on every command cost the car a wake-up of the executor's
    timer thread per command (90 us of CPU a command here, measured), one that beat on its own a Python callback.
    Another thread that made a check due sooner than this one waits calls `wake()`.

    `lock` is the one the receiving node's other callbacks hold: the link's commands and the node's other inputs
    (over DDS, on the executor's thread) are then taken one at a time, and `discard_queued()`, called with it held,
    drops every command not yet handed on. A node that finds it was stopped or starved (its actuation guard fired)
    calls it: what queued up meanwhile is as old as the stall, and may otherwise be taken after a newer word from
    another channel (navigation's "stopped", over DDS) had already ended the fault that refused it."""

    def __init__(self, link_address: str, on_command: Callable[[Command], None],
                 report: Callable[[str], None], lock: threading.RLock | None = None, *,
                 due_in: Callable[[], float | None] = lambda: None, on_due: Callable[[], None] = lambda: None) -> None:
        """Raises OSError when the name is taken (another servo node of this name in this domain). `on_due` must
        make `due_in()` later or None (it runs again at once otherwise)."""
        self._on_command = on_command
        self._report = report
        self._lock = lock if lock is not None else threading.RLock()
        self._due_in = due_in
        self._on_due = on_due
        self._closing = False
        self._closed = False
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
        try:
            self._listener.bind(link_address)
            self._listener.listen(4)
            self._listener.setblocking(False)
        except OSError:
            self._listener.close()
            raise
        self._wake_read, self._wake_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        self._connected: set[socket.socket] = set()  # changed under the lock (the thread, or discard_queued)
        self._thread = threading.Thread(target=self._run, name="drive-commands", daemon=True)
        self._thread.start()

    @property
    def senders(self) -> int:
        """Connected senders (0 or 1 but for a moment when navigation restarts)."""
        return len(self._connected)

    def wake(self) -> None:
        """Make the thread ask `due_in()` again (a check became due sooner than it waits for)."""
        if self._closed:
            return  # its pipe is gone (and its number may be another file's by now)
        with contextlib.suppress(BlockingIOError):  # wake-ups already pending: the thread asks again anyway
            os.write(self._wake_write, b"w")

    @property
    def alive(self) -> bool:
        """False once the thread ended (closed, or stopped by a bug: then nothing here runs `on_due` either)."""
        return self._thread.is_alive()

    def close(self) -> None:
        self._closing = True
        self.wake()
        self._thread.join(2.0)
        for key in list(self._selector.get_map().values()):
            if isinstance(key.fileobj, socket.socket):
                key.fileobj.close()
        self._selector.close()
        self._closed = True
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        try:
            while True:
                for key, _ in self._selector.select(self._run_due()):
                    if key.fileobj == self._wake_read:
                        os.read(self._wake_read, 64)
                        if self._closing:
                            return
                        continue
                    with self._lock:
                        if key.fileobj is self._listener:
                            self._accept()
                        elif key.fileobj in self._connected:
                            self._read(key.fileobj)
        except Exception as error:  # a bug here must not pass silently, nor leave navigation writing to nobody
            self._report(f"drive command link stopped: {error!r}; commands come over DDS only")
            for key in list(self._selector.get_map().values()):
                if isinstance(key.fileobj, socket.socket):
                    self._selector.unregister(key.fileobj)
                    key.fileobj.close()
            self._connected.clear()

    def _run_due(self) -> float | None:
        """Run what is due; how long to wait for a command before the next check (None: until one comes)."""
        with self._lock:
            wait_s = self._due_in()
            while wait_s is not None and wait_s <= 0:
                self._on_due()
                wait_s = self._due_in()
            return wait_s

    def discard_queued(self) -> int:
        """Drop the commands not yet handed on (taking the lock: none is handed on meanwhile); returns how many."""
        dropped = 0
        with self._lock:
            while self._accept():  # a sender that connected during the stall: its commands are as old
                pass
            for connection in list(self._connected):
                while True:
                    try:
                        data = connection.recv(_COMMAND.size + 1)
                    except OSError:
                        break  # nothing queued (or the sender gone: the thread sees to that)
                    if not data:
                        break
                    dropped += 1
        return dropped

    def _accept(self) -> bool:
        """Take one waiting sender; False when none was waiting."""
        try:
            connection, _ = self._listener.accept()
        except OSError:  # none waiting (or the link stopped after a bug: discard_queued must still work)
            return False
        connection.setblocking(False)
        uid = peer_uid(connection)
        if uid != os.geteuid():
            self._report(f"drive command link: refused a process of user {uid}")
            connection.close()
            return True
        self._selector.register(connection, selectors.EVENT_READ)
        self._connected.add(connection)
        return True

    def _read(self, connection: socket.socket) -> None:
        """One command: the selector reports the connection again at once while more are queued, so the usual
        command costs one receive, not a second one that finds the queue empty (a raised error each, per command,
        on the servo's cold Python; issue 23). A discard may have taken it: then nothing."""
        try:
            data = connection.recv(_COMMAND.size + 1)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EINTR):
                return
            data = b""
        if not data:  # the sender went away (navigation stopped or died)
            self._selector.unregister(connection)
            connection.close()
            self._connected.discard(connection)
            return
        if len(data) != _COMMAND.size:
            self._report(f"drive command link: ignored a message of {len(data)} bytes")
            return
        self._on_command(Command(*_COMMAND.unpack(data)))


class RecentCommands:
    """The commands that came on the link lately: the same command arriving over DDS too is a repeat. Asked for
    every command: a lookup in a set, not a scan of the last `size` (64 comparisons cost ~25 us a command here)."""

    def __init__(self, size: int = 64) -> None:
        self._order: deque[Command] = deque()
        self._seen: set[Command] = set()
        self._size = size

    def add(self, command: Command) -> None:
        if command in self._seen:
            return
        self._order.append(command)
        self._seen.add(command)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())

    def __contains__(self, command: Command) -> bool:
        return command in self._seen
