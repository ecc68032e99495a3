"""The Maestro serial backend over a REAL pseudo-terminal pair: pyserial opens the pty's slave end (through a
symlink, like /dev/serial/by-id/...), the test reads the bytes on the wire from the master end. Unplugging
is closing the master and removing the link; replugging is a new pty behind the same link."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path

import pytest

from servo_pkg.backends.maestro import MaestroBackend, set_target_frame

NEUTRAL = {"steering": 1_450_000, "throttle": 1_446_000}


def test_set_target_frame_matches_the_protocol() -> None:
    # 1,500 us = 6,000 quarter-us = 0x1770 -> low 7 bits 0x70, high 7 bits 0x2E.
    assert set_target_frame(0, 1_500_000) == bytes([0x84, 0x00, 0x70, 0x2E])
    # 1,446 us = 5,784 = 0x1698 -> 0x18, 0x2D on channel 5.
    assert set_target_frame(5, 1_446_000) == bytes([0x84, 0x05, 0x18, 0x2D])
    assert set_target_frame(1, 0) == bytes([0x84, 0x01, 0x00, 0x00])
    with pytest.raises(ValueError, match="beyond the Maestro's range"):
        set_target_frame(0, 10_000_000)
    with pytest.raises(ValueError, match=r"channel must be 0\.\.23, got 24"):
        set_target_frame(24, 1_500_000)


class Pty:
    """A serial 'device' that can be unplugged and replugged at the same path."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None
        self.plug()

    def plug(self) -> None:
        master, slave = os.openpty()
        os.symlink(os.ttyname(slave), self.link)
        os.close(slave)
        self.master = master

    def unplug(self) -> None:
        os.close(self.master)
        self.master = None
        self.link.unlink()

    def read(self, count: int, timeout: float = 5.0) -> bytes:
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < count:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"expected {count} bytes on the wire, got {data!r}")
            data += os.read(self.master, count - len(data))
        return data

    def assert_quiet(self) -> None:
        ready, _, _ = select.select([self.master], [], [], 0)
        assert not ready, f"unexpected bytes: {os.read(self.master, 100)!r}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def device(tmp_path: Path):
    pty = Pty(tmp_path / "maestro")
    yield pty
    if pty.master is not None:
        pty.unplug()


def frames(*pairs: tuple[int, int]) -> bytes:
    return b"".join(set_target_frame(channel, ns) for channel, ns in pairs)


def make(device: Pty, clock: FakeClock) -> MaestroBackend:
    return MaestroBackend(NEUTRAL, port=str(device.link), baudrate=115200, channels={"steering": 3, "throttle": 0},
                          reconnect_interval_s=1.0, clock=clock)


def test_bytes_on_the_wire_for_activate_write_and_deactivate(device: Pty) -> None:
    backend = make(device, FakeClock())
    with backend:
        assert device.read(8) == frames((3, 1_450_000), (0, 1_446_000))
        assert backend.write({"steering": 1_442_500, "throttle": 1_311_000})
        # 1,442.5 us = 5,770 = 45 * 128 + 10: 0x0A, 0x2D (a newline byte must pass untranslated);
        # 1,311 us = 5,244 = 40 * 128 + 124: 0x7C, 0x28.
        assert device.read(8) == bytes([0x84, 3, 0x0A, 0x2D, 0x84, 0, 0x7C, 0x28])
        assert backend.write({"tail_red": 9_999_825})  # not wired to this controller: nothing sent
        device.assert_quiet()
    # Deactivate: neutral, then target 0 (stop pulsing) on every mapped channel.
    assert device.read(16) == frames((3, 1_450_000), (0, 1_446_000), (3, 0), (0, 0))


def test_unplug_and_replug_reconnects_without_raising_or_spinning(device: Pty) -> None:
    clock = FakeClock()
    backend = make(device, clock)
    backend.configure()
    backend.activate()
    device.read(8)
    device.unplug()
    assert backend.write({"throttle": 1_400_000}) is False
    assert "lost" in backend.problem and not backend.connected
    device.plug()
    # Within the reconnect interval nothing is retried, even with the device back.
    clock.now += 0.5
    assert backend.write({"steering": 1_500_000}) is False
    assert not backend.connected
    clock.now += 0.6
    assert backend.write({"throttle": 1_420_000}) is True
    assert backend.problem is None
    # A replugged controller forgot everything: every channel's last value goes out.
    assert device.read(8) == frames((3, 1_500_000), (0, 1_420_000))
    assert backend.write({"steering": 1_200_000})
    assert device.read(4) == frames((3, 1_200_000))
    backend.deactivate()


def test_missing_port_at_start_is_retried_later(tmp_path: Path) -> None:
    clock = FakeClock()
    link = tmp_path / "maestro"
    backend = MaestroBackend(NEUTRAL, port=str(link), baudrate=9600, channels={"throttle": 1}, clock=clock)
    backend.configure()
    assert backend.activate() is False
    assert "unavailable" in backend.problem
    pty = Pty(link)
    try:
        clock.now += 1.0
        assert backend.write({"throttle": 1_446_000})
        assert pty.read(4) == frames((1, 1_446_000))
        backend.deactivate()
    finally:
        pty.unplug()


def test_keepalive_resends_the_last_targets_so_the_controllers_serial_timeout_means_the_host_is_gone(device) -> None:
    backend = make(device, FakeClock())
    with backend:
        device.read(8)
        backend.write({"throttle": 1_400_000})
        device.read(4)
        backend.keepalive()
        assert device.read(8) == frames((3, 1_450_000), (0, 1_400_000))
    device.read(16)
    backend.keepalive()  # after deactivate: outputs are off, nothing to keep alive (the port is not reopened)
    assert not backend.connected


def test_guard_sets_throttle_neutral_through_a_second_opening_of_the_port(device) -> None:
    """The actuation guard's write: another process's backend, never configured, the servo node's port still open."""
    owner = make(device, FakeClock())
    owner.configure()
    owner.activate()
    owner.write({"throttle": 1_311_000})
    device.read(12)
    guard = make(device, FakeClock())
    assert guard.hold_neutral()
    assert device.read(4) == frames((0, 1_446_000))  # throttle only: the steering stays where it was
    guard.deactivate()
