"""The servo node's end of the actuation guard (actuation_guard.py): start the guard process, beat, hear it fire.

The guard is the servo node's child, started, and heard to be watching (its ready line), before the output is
activated, so no duty cycle is ever written without a guard watching: on a loaded 2-core machine a new Python
process can take well over a second to get there, and a servo node killed in that time would otherwise leave its
throttle on until the guard got round to looking. A guard started again later is not ready at once either: until
it is, `ready` is False and the servo node drives nothing. Its end of a socket pair is the only thing that tells
it the servo is alive; nothing else is shared. If the guard itself dies, the next beat notices and a new guard is
started (at most once per `RESTART_INTERVAL_S`, logged), since driving without one is what this exists to prevent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable

from servo_pkg.actuation_guard import CLOSING, FIRED, READY, REST, heartbeat_line
from servo_pkg.config import ServoConfig

RESTART_INTERVAL_S = 1.0
EXIT_WAIT_S = 2.0


class GuardLink:
    def __init__(self, config: ServoConfig, neutral: dict[str, int], log: Callable[[str], None],
                 python: str = sys.executable, *, clock: Callable[[], float] = time.monotonic,
                 clock_file: str = "") -> None:
        """`clock` (seconds): the stack's, which times this node's silence as the guard counts it; `clock_file`: in
        simulation, where the guard reads that same clock (the simulator writes it; "" = the guard's own)."""
        self._config = config
        self._clock = clock
        self._clock_file = clock_file
        self._log = log
        self._python = python
        self._neutral = dict(neutral)
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen | None = None
        self._next_restart = 0.0
        self._buffer = b""
        self.ready = False  # the guard said it is watching
        self._beaten = False  # it has had a beat since: it counts silence (GuardCore counts from the first beat)
        self._beat_at: float | None = None  # the stack's time of the last beat sent to a watching guard
        self._start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        neutral = heartbeat_line(self._neutral).decode().strip()
        command = [self._python, "-m", "servo_pkg.actuation_guard", "--fd", str(theirs.fileno()),
                   "--config", json.dumps(dataclasses.asdict(self._config)), "--neutral", neutral]
        if self._clock_file:
            command += ["--clock-file", self._clock_file]
        # Own session: a terminal's Ctrl-C reaches the servo node, which then closes the link in order.
        self._process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), start_new_session=True,
                                         stdin=subprocess.DEVNULL)
        theirs.close()
        ours.setblocking(False)
        self._socket = ours
        self._incoming = select.poll()
        self._incoming.register(ours, select.POLLIN)
        self.ready = self._beaten = False
        self._beat_at = None

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until the guard says it is watching (True), or `timeout_s` passes (False)."""
        deadline = time.monotonic() + timeout_s
        while not self.ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._process.poll() is not None:
                return False
            readable, _, _ = select.select([self._socket], [], [], remaining)
            if readable:
                self.fired()
        return True

    def beat(self, neutral: dict[str, int]) -> None:
        """Tell the guard this node is alive, and which neutral to write if it stops being."""
        self._neutral = dict(neutral)
        code = self._process.poll()
        if code is not None:
            self._restart(f"the actuation guard exited (code {code})")
            return
        try:
            self._socket.send(heartbeat_line(self._neutral))
            self._beaten = self._beaten or self.ready
            if self._beaten:
                self._beat_at = self._clock()
        except BlockingIOError:
            pass  # the guard is behind on reading: it has beats enough
        except OSError as error:
            self._restart(f"the actuation guard is gone ({error})")

    def rest(self) -> None:
        """The throttle is at neutral: the guard stops counting until the next beat, which `watching` sends before
        this node's next write."""
        if not self._beaten or self._socket is None:
            return
        try:
            self._socket.send(REST)
        except BlockingIOError:
            return  # still counting: the node beats on, from its watchdog
        except OSError as error:
            self._restart(f"the actuation guard is gone ({error})")
            return
        self._beaten = False
        self._beat_at = None

    def clock_started(self) -> None:
        """The stack's clock became the simulator's (its first /clock reached this node): a beat timed on the boot
        clock before it is not comparable with simulated time, which lockstep moves faster or slower than the wall
        (a restarted servo node saw "did not run for 0.41 s" and stopped a run); count from now instead."""
        if self._beat_at is not None:
            self._beat_at = self._clock()

    def quiet_s(self) -> float:
        """Seconds since the last beat reached a watching guard: what the guard counts (0 before the first)."""
        return 0.0 if self._beat_at is None else self._clock() - self._beat_at

    @property
    def counting(self) -> bool:
        """The guard counts this node's silence (it has had a beat since its ready line or the last rest)."""
        return self._beaten

    def count(self, neutral: dict[str, int]) -> bool:
        """Before a write that moves the car: make sure the guard counts this node's silence, and say whether a
        write may be made now (the guard is ready and counts). The first beat after the ready line, or after a
        rest, goes from here, from the callback about to write, so a node that hangs right after that write is
        caught; sent any earlier, a node still building itself would look hung."""
        if self.ready and not self._beaten:
            self.beat(neutral)
        return self.ready and self._beaten

    def fired(self) -> str | None:
        """The guard's reason when it wrote neutral since the last call (this node was hung); a cheap
        non-blocking read, asked before every drive command so a woken node never writes a stale one.
        Also hears the guard's ready line (`ready`). Nothing waiting is told by a poll, not by a receive's raised
        error: asked twice per drive command, in the servo's cold Python."""
        if not self._incoming.poll(0):
            return None
        try:
            data = self._socket.recv(4096)
        except BlockingIOError:
            return None
        except OSError:
            return None
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if READY.strip() in lines:
            self.ready = True
        reasons = [line.decode(errors="replace")[len(FIRED):].strip() for line in lines
                   if line.startswith(FIRED.encode())]
        return reasons[-1] if reasons else None

    def _restart(self, why: str) -> None:
        self.ready = False  # nothing watches until a new guard says so, also while a restart has to wait
        now = time.monotonic()
        if now < self._next_restart:
            return
        self._next_restart = now + RESTART_INTERVAL_S
        self._log(f"{why}: starting a new one")
        self._close_socket()
        if self._process is not None:
            self._process.poll()  # reap it
        self._start()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def close(self) -> None:
        """End the link: the guard writes neutral once more (harmless after our own) and exits."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.send(CLOSING)
        self._close_socket()
        if self._process is not None:
            try:
                self._process.wait(EXIT_WAIT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
