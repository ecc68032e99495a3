"""The camera's display pictures to the console of the same car over a local socket, beside the DDS topic.

Why: a console viewer takes the camera's display JPEG 15 times a second. Over DDS each picture woke Fast DDS's
delivery thread and then the console's executor, which built a ROS message of it for a callback that only wants its
bytes, before the viewer's own thread was woken: on the car's two slow cores that was most of what a watched video
cost (issue 23). On the link the console's receiving thread wakes once per picture and hands the JPEG on as it came.
The topic `/camera_pkg/display_mjpeg/compressed` stays: the camera publishes on it whenever anyone reads it (compat's
original stream, a tool, a test), and the console reads it whenever the link is down (the camera node not up yet,
restarting, or not on this machine).

A SOCK_SEQPACKET socket in Linux's abstract namespace named by the ROS domain and the camera node's full name
(command_link.local_address); one datagram is one JPEG. Only a process of the camera node's own user may connect.
The camera never waits for a console: one that has not taken the pictures already queued for it misses the next,
as a slow phone misses pictures at the console's end (newest only). Navigation offers the console a sample of its
drive commands for the Control page's readout on the same kind of link (command_link.readout_address).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

from deepracer_common_pkg.command_link import RETRY_S, local_address, peer_uid

# A datagram must fit the sender's buffer: asked for this much (Linux caps the request at net.core.wmem_max, which
# still takes a picture of ~400 KB; a 640x480 camera JPEG is 20-80 KB).
SEND_BUFFER_BYTES = 1 << 20
RECEIVE_BUFFER_BYTES = 1 << 20  # larger than any datagram the sender's buffer can hold: a picture is never cut


def address(domain_id: int, camera_node: str) -> str:
    """The link's name: the camera node's full name (e.g. "/camera_node") in its ROS domain."""
    return local_address(domain_id, camera_node, "display_pictures")


def open_server(link_address: str, logger: Any, carried: str, node_kind: str) -> PictureServer | None:
    """A node's end of a link to the console, or None (with a warning saying so) when another node of its name in
    its ROS domain holds the name: the console then reads the topic. `carried`: what goes over DDS instead."""
    try:
        return PictureServer(link_address, lambda text: logger.warning(text, throttle_duration_sec=5.0))
    except OSError as error:
        logger.warning(f"{carried} over DDS only: the local link is taken ({error}): is another {node_kind} node of "
                       "this name running in this ROS domain?")
        return None


class PictureServer:
    """A node's end (the camera's pictures; navigation's readout, command_link.readout_address), used from its
    frame path: who is connected, and each datagram to them, never blocking."""

    def __init__(self, link_address: str, report: Callable[[str], None]) -> None:
        """Raises OSError when the name is taken (another camera node of this name in this domain)."""
        self._report = report
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_NONBLOCK
                                       | socket.SOCK_CLOEXEC)
        try:
            self._listener.bind(link_address)
            self._listener.listen(4)
        except OSError:
            self._listener.close()
            raise
        self._waiting = select.poll()  # asked on every frame whether a console is waiting: a poll, not an accept's
        self._waiting.register(self._listener, select.POLLIN)  # raised error (issue 23)
        self._consoles: list[socket.socket] = []
        self._lock = threading.Lock()  # close() may come from another thread than the capture's

    def consoles(self) -> int:
        """Consoles connected now (one that has just connected is taken in first). One that went away is counted
        until the next picture to it finds so."""
        with self._lock:
            self._take_waiting()
            return len(self._consoles)

    def _take_waiting(self) -> None:
        """Under the lock."""
        while self._listener.fileno() >= 0 and self._waiting.poll(0):
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # none waiting
            uid = peer_uid(connection)
            if uid != os.geteuid():
                self._report(f"display picture link: refused a process of user {uid}")
                connection.close()
                continue
            connection.setblocking(False)
            with contextlib.suppress(OSError):
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            self._consoles.append(connection)

    def send(self, picture: bytes) -> None:
        """To every console connected, also one that connected since `consoles()` was last asked."""
        with self._lock:
            self._take_waiting()
            for connection in list(self._consoles):
                try:
                    connection.send(picture)
                except BlockingIOError:
                    continue  # this console has not taken the pictures before: it misses this one
                except OSError as error:
                    if error.errno == errno.EMSGSIZE:
                        self._report(f"display picture link: a picture of {len(picture)} bytes does not fit the "
                                     "link; lower the camera's display_quality or display size")
                        continue
                    self._consoles.remove(connection)  # the console went away
                    connection.close()

    def close(self) -> None:
        """The name first: a console that hears its connection end must not reconnect in between."""
        with self._lock:
            self._listener.close()
            for connection in self._consoles:
                connection.close()
            self._consoles.clear()


class PictureReceiver:
    """The console's end: a thread that connects (again every RETRY_S while the camera's end is not there), hands
    each picture to `on_picture`, and says when the link comes up and goes down (`on_link(True/False)`), so the
    console reads the topic exactly while it is down."""

    def __init__(self, link_address: str, on_picture: Callable[[bytes], None],
                 on_link: Callable[[bool], None], report: Callable[[str], None],
                 name: str = "display-pictures") -> None:
        """`name`: the receiving thread's, and what a report calls the link (the readout's link uses it too)."""
        self._address = link_address
        self._name = name
        self._on_picture = on_picture
        self._on_link = on_link
        self._report = report
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._run_reporting_bugs, name=name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        with self._lock:
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)  # its blocked receive returns at once
        self._thread.join(2.0)

    def _run_reporting_bugs(self) -> None:
        try:
            self._run()
        except Exception as error:  # a bug here must not pass silently; the topic carries the pictures then
            self._report(f"{self._name} link stopped: {error!r}; they come over DDS only")
            self._on_link(False)

    def _run(self) -> None:
        buffer = bytearray(RECEIVE_BUFFER_BYTES)
        view = memoryview(buffer)
        while not self._stopping.is_set():
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
            try:
                connection.connect(self._address)
            except OSError:
                connection.close()
                self._stopping.wait(RETRY_S)
                continue
            with self._lock:
                if self._stopping.is_set():
                    connection.close()
                    return
                self._socket = connection
            self._on_link(True)
            try:
                while True:
                    size = connection.recv_into(buffer)
                    if size == 0:
                        break  # the camera node went away (or close() woke us)
                    self._on_picture(bytes(view[:size]))
            except OSError:
                pass  # the same
            finally:
                with self._lock:
                    self._socket = None
                connection.close()
                self._on_link(False)
