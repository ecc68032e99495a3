"""The actuation guard: a small process beside the servo node that puts the throttle to neutral when the servo node
dies or hangs.

Why: a real PWM output (sysfs PWM, a Maestro) keeps generating its last duty cycle after the process that set it has
died, so the servo node's own watchdog cannot help when it is the servo process that is killed (SIGKILL, a crash) or
stops running (SIGSTOP, a hang). The guard can: it is another process, it owns nothing else, and it only waits.
It works the same under our launcher, `ros2 launch` and a systemd unit, because the servo node itself starts it.

Link (a socket pair, `GuardLink` on the servo side): once its backend is built and it is about to watch, the guard
sends `"R\\n"`; the servo node activates nothing and drives nothing before that line. Then, on every watchdog
check the servo node sends a heartbeat line `"<steering neutral ns> <throttle neutral ns>\\n"` (so a calibration
change reaches the guard). The guard writes throttle neutral through the same backend code the servo node uses
(`PwmBackend.hold_neutral`):
- at once when the socket reaches end of file: the servo process is gone (the kernel closes its end, SIGKILL too);
- when no heartbeat came for `timeout_s` (the servo node's `command_timeout_s`): the servo is hung. It then sends
  `"F <seconds>\\n"` back, so that the servo node, if it wakes up, does not drive again on its own (ServoCore
  latches the fault until navigation reports the car stopped).
While the throttle sits at neutral the servo node has nothing a hang could leave running, and sends `"Z\\n"` (rest):
the guard stops counting silence and sleeps until the next heartbeat, which the servo node sends before any write
that moves the car. An idle car then costs neither process a wake-up (each ~0.2 ms here, ~1 ms on the Atom); its
death is still heard at once.
Bound: neutral within `timeout_s` and one scheduler wake-up of the last heartbeat on the car (the guard sleeps until
the silence would run out, so it wakes for the beats and for nothing else: checking every `timeout_s /
CHECKS_PER_TIMEOUT` as well woke it twice per beat, ~30 times a second while driving, issue 23), within `timeout_s +
timeout_s / CHECKS_PER_TIMEOUT` in simulation (the simulator's clock, read from the file it writes, `--clock-file`,
can run faster than this machine's: there the guard checks every period), and within one scheduler wake-up of the
servo's death. The guard ignores SIGINT and SIGTERM (a Ctrl-C to the process group must not take it
before the servo node) and exits after end of file, once neutral is written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from servo_pkg.backends.base import PwmBackend
from servo_pkg.pwm_math import STEERING, THROTTLE

CHECKS_PER_TIMEOUT = 4
DEADLINE_MARGIN_S = 0.002  # a wait that ends right at the deadline finds the silence not yet over: one more wait
FIRED = "F"
READY = b"R\n"  # the guard is watching: before this the servo node must not write anything that moves the car
CLOSING = b"Q\n"  # the servo node is shutting down in order: the end of file that follows is no death
REST = b"Z\n"  # the throttle is at neutral and nothing moves the car before the next heartbeat


def heartbeat_line(neutral: dict[str, int]) -> bytes:
    return f"{neutral[STEERING]} {neutral[THROTTLE]}\n".encode("ascii")


def parse_heartbeat(line: str) -> dict[str, int] | None:
    """The neutral values a heartbeat carries; None for a line that is not one (ignored, never fatal)."""
    parts = line.split()
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    return {STEERING: int(parts[0]), THROTTLE: int(parts[1])}


@dataclass
class GuardDecision:
    write_neutral: bool
    why: str = ""


class GuardCore:
    """When to write neutral, as plain logic: fed heartbeats, asked on every check; `clock` in seconds."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self._clock = clock
        # Silence counts from the first heartbeat: between the ready line and its first beat the servo node is
        # still building itself (a loaded board takes longer than timeout_s), has written nothing but neutral and
        # takes no commands, so there is nothing stale to guard against; its death is still heard at once.
        self._last_beat: float | None = None
        self._fired = False

    def heartbeat(self) -> None:
        self._last_beat = self._clock()
        self._fired = False

    def rest(self) -> None:
        """Nothing to guard until the next heartbeat: silence does not count."""
        self._last_beat = None

    @property
    def counting(self) -> bool:
        return self._last_beat is not None

    def wait_s(self) -> float | None:
        """How long nothing can be decided without a new line from the servo node: until the silence runs out (None:
        resting, or already fired for this silence)."""
        if self._last_beat is None or self._fired:
            return None
        return max(0.0, self._last_beat + self.timeout_s - self._clock()) + DEADLINE_MARGIN_S

    def check(self) -> GuardDecision:
        """Once per silence: neutral when the servo has been quiet for longer than the timeout."""
        if self._last_beat is None:
            return GuardDecision(False)
        quiet_s = self._clock() - self._last_beat
        if self._fired or quiet_s <= self.timeout_s:
            return GuardDecision(False)
        self._fired = True
        return GuardDecision(True, f"no heartbeat from the servo node for {quiet_s:.2f} s")

    @staticmethod
    def servo_gone(in_order: bool = False) -> GuardDecision:
        if in_order:
            return GuardDecision(True, "the servo node stopped in order")
        return GuardDecision(True, "the servo node's process is gone")


def file_clock(path: Path) -> Callable[[], float]:
    """The simulator's clock, as it writes it (sim_pkg: decimal nanoseconds); the last good reading while the file
    is being rewritten. Simulated time stands still while the stack thinks (lockstep): a servo node slow in real
    seconds is not silent in simulated ones, and the guard must not stop a run for it."""
    last = [0.0]

    def now() -> float:
        with contextlib.suppress(OSError, ValueError):
            last[0] = int(path.read_text(encoding="ascii")) / 1e9
        return last[0]
    return now


def run_guard(link: socket.socket, backend: PwmBackend, core: GuardCore, say: Callable[[str], None], *,
              until_deadline: bool = True) -> None:
    """Watch the link until end of file; write neutral whenever the core says so. `until_deadline`: the core's clock
    runs as this machine's (the car's), so a wait can last until its silence runs out; else checks every period."""
    selector = selectors.DefaultSelector()
    selector.register(link, selectors.EVENT_READ)
    buffered = b""
    closing = False
    period = core.timeout_s / CHECKS_PER_TIMEOUT
    while True:
        wait = core.wait_s() if until_deadline else (period if core.counting else None)
        if selector.select(wait):
            try:
                data = link.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                _write_neutral(backend, core.servo_gone(closing), say)
                return
            buffered += data
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                closing = closing or line + b"\n" == CLOSING
                if line + b"\n" == REST:
                    core.rest()
                    continue
                neutral = parse_heartbeat(line.decode("ascii", "replace"))
                if neutral is not None:
                    backend.set_neutral(neutral)
                    core.heartbeat()
        decision = core.check()
        if decision.write_neutral:
            _write_neutral(backend, decision, say)
            with contextlib.suppress(OSError):  # a servo gone by now needs no word
                link.sendall(f"{FIRED} {decision.why}\n".encode())


def _write_neutral(backend: PwmBackend, decision: GuardDecision, say: Callable[[str], None]) -> None:
    taken = backend.hold_neutral()
    outcome = "written" if taken else f"NOT taken by the output ({backend.problem})"
    say(f"actuation guard: {decision.why}: throttle neutral {backend.neutral[THROTTLE]} ns {outcome}")


def main(argv: list[str] | None = None) -> int:
    # Imported here: the servo node imports this module for the line format, and needs no factory from it.
    from servo_pkg.backends.factory import make_backend
    from servo_pkg.config import ServoConfig

    parser = argparse.ArgumentParser(prog="servo_guard", description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="the guard's end of the socket pair")
    parser.add_argument("--config", required=True, help="the servo node's ServoConfig as JSON")
    parser.add_argument("--neutral", required=True, help="'<steering ns> <throttle ns>' until the first heartbeat")
    parser.add_argument("--clock-file", default="", help="in simulation: the simulator's clock (nanoseconds), which "
                                                         "times the servo node's silence instead of this machine's")
    args = parser.parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    config = ServoConfig(**json.loads(args.config))
    neutral = parse_heartbeat(args.neutral)
    if neutral is None:
        parser.error(f"--neutral {args.neutral!r}: expected two integers")
    backend = make_backend(config, neutral)
    link = socket.socket(fileno=args.fd)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with contextlib.suppress(OSError):  # a servo node already gone: run_guard hears the end of file and acts
        link.sendall(READY)
    clock = file_clock(Path(args.clock_file)) if args.clock_file else time.monotonic
    run_guard(link, backend, GuardCore(config.command_timeout_s, clock), say, until_deadline=not args.clock_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
