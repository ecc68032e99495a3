"""USB serial servo controllers speaking the Pololu Maestro compact protocol, via pyserial.

Hardware assumptions: the controller generates the 50 Hz servo pulses itself; we only send targets.
"Set Target" is 4 bytes: 0x84, channel, target & 0x7F, (target >> 7) & 0x7F, with the target pulse width in
quarter-microseconds (250 ns; 14 bits, so at most 4,095.75 us: servo pulses only, which is why the tail
light's 10 ms duty cycles cannot go through here). A target of 0 tells the Maestro to stop pulsing a
channel: that is how outputs are switched off. Channels are mapped by name (e.g. steering=0, throttle=1).

The controller's own serial timeout (a Maestro setting, made with Pololu's Maestro Control Center or UscCmd,
not over this protocol) is the last line of defence: with "Serial timeout" set (e.g. 0.50 s) and the throttle
channel's "On startup or error" set to "Go to" its neutral, the Maestro itself stops the motor when the host goes
quiet, even when no process of ours is left. `keepalive()` resends the last targets on every watchdog check, so the
timeout fires only when the host is really gone.

USB controllers get unplugged. A failed write closes the port and marks it lost; later writes try to
reopen it, at most once per `reconnect_interval_s` (no busy loop, no exception to the caller), and after
reopening send every channel's last value first, since a replugged controller has forgotten them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import serial

from servo_pkg.backends.base import PwmBackend
from servo_pkg.channel_limits import MAESTRO_MAX_CHANNEL as MAX_CHANNEL
from servo_pkg.pwm_math import STEERING, THROTTLE

SET_TARGET = 0x84
NS_PER_TARGET_UNIT = 250
MAX_TARGET = 0x3FFF


def set_target_frame(channel: int, duty_ns: int) -> bytes:
    """The compact-protocol bytes that set `channel` to a pulse of `duty_ns` (0 = stop pulsing)."""
    if not 0 <= channel <= MAX_CHANNEL:
        raise ValueError(f"Maestro channel must be 0..{MAX_CHANNEL}, got {channel}")
    target = round(duty_ns / NS_PER_TARGET_UNIT)
    if not 0 <= target <= MAX_TARGET:
        raise ValueError(f"pulse {duty_ns} ns is beyond the Maestro's range (0..{MAX_TARGET} quarter-us)")
    return bytes((SET_TARGET, channel, target & 0x7F, (target >> 7) & 0x7F))


class MaestroBackend(PwmBackend):
    needs_keepalive = True

    def __init__(self, neutral: Mapping[str, int], *, port: str, baudrate: int, channels: Mapping[str, int],
                 reconnect_interval_s: float = 1.0, write_timeout_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(neutral)
        if not set(channels) <= {STEERING, THROTTLE}:
            raise ValueError(f"Maestro channels can be 'steering' and 'throttle' only, got {sorted(channels)}")
        self._port_name = port
        self._baudrate = baudrate
        self._channels = dict(channels)
        self._reconnect_interval_s = reconnect_interval_s
        self._write_timeout_s = write_timeout_s
        self._clock = clock
        self._port: serial.Serial | None = None
        self._next_attempt = 0.0
        self._last: dict[int, int] = {}

    @property
    def connected(self) -> bool:
        return self._port is not None

    def _connect(self) -> bool:
        """Open the port unless it is open, or unless the last attempt was too recent."""
        if self._port is not None:
            return True
        now = self._clock()
        if now < self._next_attempt:
            return False
        try:
            self._port = serial.Serial(self._port_name, self._baudrate, timeout=0,
                                       write_timeout=self._write_timeout_s)
        except (serial.SerialException, OSError) as error:
            self._next_attempt = now + self._reconnect_interval_s
            self.problem = f"Maestro port {self._port_name} unavailable ({error}); retrying"
            return False
        self.problem = None
        return True

    def _lose(self, error: Exception) -> None:
        self._close()
        self._next_attempt = self._clock() + self._reconnect_interval_s
        self.problem = f"Maestro port {self._port_name} lost ({error}); retrying"

    def _send(self, targets: dict[int, int]) -> bool:
        was_connected = self.connected
        self._last.update(targets)
        if not self._connect():
            return False
        frames = self._last if not was_connected else targets
        try:
            self._port.write(b"".join(set_target_frame(ch, ns) for ch, ns in frames.items()))
        except (serial.SerialException, OSError) as error:
            self._lose(error)
            return False
        return True

    def _open(self) -> None:
        """A missing port is not fatal here: it is the unplugged case, handled by reconnecting."""
        self._connect()

    def _write(self, duties: dict[str, int]) -> bool:
        return self._send({self._channels[name]: ns for name, ns in duties.items() if name in self._channels})

    def keepalive(self) -> None:
        if self.active and self._last:
            self._send(dict(self._last))

    def _power(self, on: bool) -> None:
        if not on:
            self._send(dict.fromkeys(self._channels.values(), 0))

    def _close(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            port.close()
