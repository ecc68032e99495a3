"""The actuation guard's rules and its loop, in-process: a real socket pair stands for the link to the servo node,
the simulated backend records what the guard writes (the process-level cases, with a real servo node killed and
stopped on a fake sysfs tree, are in tests/integration/test_fault_matrix.py)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time

import pytest

from servo_pkg import guard_link
from servo_pkg.actuation_guard import DEADLINE_MARGIN_S, FIRED, GuardCore, heartbeat_line, parse_heartbeat, run_guard
from servo_pkg.backends.simulated import SimulatedBackend
from servo_pkg.config import ServoConfig
from servo_pkg.guard_link import GuardLink
from servo_pkg.pwm_math import Calibration
from support.rosgraph import wait_for, wait_for_any

NEUTRAL = Calibration().neutral()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_core_counts_silence_only_from_the_first_heartbeat() -> None:
    # Found in a fresh-clone run: the guard fired while the servo node was still building itself after the
    # guard's ready line, and the run that followed was refused as "servo node was unresponsive".
    clock = Clock()
    core = GuardCore(0.25, clock)
    clock.now += 5.0
    assert not core.check().write_neutral
    core.heartbeat()
    clock.now += 0.26
    assert core.check().write_neutral


def test_core_fires_once_per_silence_after_the_timeout() -> None:
    clock = Clock()
    core = GuardCore(0.25, clock)
    core.heartbeat()
    clock.now += 0.25
    assert not core.check().write_neutral
    clock.now += 0.01
    decision = core.check()
    assert decision.write_neutral and "0.26 s" in decision.why
    clock.now += 1.0
    assert not core.check().write_neutral  # once per silence
    core.heartbeat()
    clock.now += 0.3
    assert core.check().write_neutral  # re-armed by the next beat


def test_core_does_not_count_silence_while_resting_and_counts_again_from_the_next_beat() -> None:
    """Issue 23: with the throttle at neutral the servo node rests its guard and stops waking up for it."""
    clock = Clock()
    core = GuardCore(0.25, clock)
    core.heartbeat()
    core.rest()
    clock.now += 60.0
    assert not core.check().write_neutral and not core.counting
    core.heartbeat()
    clock.now += 0.26
    assert core.check().write_neutral


def test_core_sleeps_until_the_silence_runs_out_and_not_while_nothing_can_fire() -> None:
    clock = Clock()
    core = GuardCore(0.25, clock)
    assert core.wait_s() is None  # before the first beat
    core.heartbeat()
    clock.now += 0.1
    assert core.wait_s() == pytest.approx(0.15 + DEADLINE_MARGIN_S)
    clock.now += 0.2
    assert core.wait_s() == pytest.approx(DEADLINE_MARGIN_S)  # late: check at once (after the margin)
    assert core.check().write_neutral
    assert core.wait_s() is None  # fired: nothing more to decide until the next beat
    core.heartbeat()
    core.rest()
    assert core.wait_s() is None


def test_heartbeat_line_round_trip_and_junk_is_ignored() -> None:
    assert parse_heartbeat(heartbeat_line(NEUTRAL).decode()) == NEUTRAL
    for junk in ("", "1 2 3", "a b", "١ ٢"):  # Arabic-Indic digits pass isdigit(), not isascii()
        assert parse_heartbeat(junk) is None


def _guard(timeout_s: float = 0.25):
    ours, theirs = socket.socketpair()
    backend = SimulatedBackend(NEUTRAL)
    said: list[str] = []
    thread = threading.Thread(target=run_guard, args=(theirs, backend, GuardCore(timeout_s), said.append),
                              daemon=True)
    thread.start()
    return ours, backend, said, thread


def test_end_of_link_writes_throttle_neutral_at_once_and_the_guard_exits() -> None:
    ours, backend, said, thread = _guard(timeout_s=10.0)  # the timeout cannot be what writes here
    ours.sendall(heartbeat_line({"steering": 1_500_000, "throttle": 1_400_000}))  # a recalibrated neutral
    ours.close()  # what the kernel does to a SIGKILLed servo node's end
    thread.join(5.0)
    assert not thread.is_alive()
    assert backend.writes == [{"throttle": 1_400_000}]  # the neutral the last beat carried; steering untouched
    assert "process is gone" in said[0]


def test_silence_writes_neutral_and_tells_the_servo_it_fired() -> None:
    ours, backend, _said, thread = _guard(timeout_s=0.25)
    ours.sendall(heartbeat_line(NEUTRAL))
    ours.settimeout(5.0)
    reply = ours.recv(4096).decode()  # no more beats: the servo is "hung"
    assert reply.startswith(FIRED) and "no heartbeat" in reply
    assert backend.writes == [{"throttle": NEUTRAL["throttle"]}]
    ours.close()
    thread.join(5.0)
    assert not thread.is_alive()


def test_steady_heartbeats_keep_the_guard_quiet() -> None:
    ours, backend, _, thread = _guard(timeout_s=2.0)  # generous: a loaded machine must not make a gap
    beats = 0

    def beat() -> bool:
        nonlocal beats
        ours.sendall(heartbeat_line(NEUTRAL))
        beats += 1
        return beats >= 40

    wait_for(beat, 10.0, "40 heartbeats sent")  # one every 10 ms
    assert backend.writes == []
    ours.close()
    thread.join(5.0)


def test_on_the_cars_clock_the_guard_wakes_for_each_beat_and_not_between_them() -> None:
    """Issue 23: it also checked every quarter timeout, so beats a little further apart than that (the servo node
    beats on every other command) woke it twice each, ~30 times a second while driving."""
    checks = 0

    class CountedCore(GuardCore):
        def check(self):
            nonlocal checks
            checks += 1
            return super().check()

    ours, theirs = socket.socketpair()
    backend = SimulatedBackend(NEUTRAL)
    thread = threading.Thread(target=run_guard, args=(theirs, backend, CountedCore(1.0), print), daemon=True)
    thread.start()
    beats = 6
    for _ in range(beats):  # 0.3 s apart: more than a quarter of the timeout, far less than the timeout
        ours.sendall(heartbeat_line(NEUTRAL))
        time.sleep(0.3)  # the servo's pace, the input under test (not a wait for the guard)
    assert backend.writes == []
    assert checks <= beats + 1  # one wake per beat (a beat may come in two reads); it was two per beat
    ours.close()
    thread.join(5.0)
    assert not thread.is_alive()


def test_a_resting_guard_sleeps_through_silence_and_still_hears_a_death_at_once() -> None:
    from servo_pkg.actuation_guard import REST

    ours, backend, said, thread = _guard(timeout_s=0.05)
    ours.sendall(heartbeat_line(NEUTRAL) + REST)
    ours.settimeout(0.5)  # ten timeouts of silence: a counting guard would have fired and said so
    with contextlib.suppress(TimeoutError):
        assert ours.recv(4096) == b""
    assert backend.writes == []
    ours.close()
    thread.join(5.0)
    assert not thread.is_alive() and backend.writes == [{"throttle": NEUTRAL["throttle"]}]
    assert "process is gone" in said[0]


def test_an_orderly_close_is_told_apart_from_a_death_and_still_ends_neutral() -> None:
    from servo_pkg.actuation_guard import CLOSING

    ours, backend, said, thread = _guard(timeout_s=10.0)
    ours.sendall(heartbeat_line(NEUTRAL) + CLOSING)
    ours.close()
    thread.join(5.0)
    assert backend.writes == [{"throttle": NEUTRAL["throttle"]}]
    assert "stopped in order" in said[0]


# --- the servo node's end, against a real guard process -----------------------------------------------------------

def _slow_python(tmp_path, delay_s: float):
    """A python that takes `delay_s` before it starts: a guard process on a loaded machine, still importing."""
    script = tmp_path / "slow-python"
    script.write_text(f"#!/bin/sh\nsleep {delay_s}\nexec {sys.executable} \"$@\"\n")
    script.chmod(0o755)
    return str(script)


def test_the_link_is_ready_only_once_the_guard_process_says_it_watches(tmp_path) -> None:
    config = ServoConfig(backend="simulated", simulated_output_dir=str(tmp_path / "pwm"))
    link = GuardLink(config, NEUTRAL, print, python=_slow_python(tmp_path, 0.5))
    try:
        assert link.fired() is None and not link.ready  # read, but nothing said yet: the node must not activate
        assert link.wait_ready(30)
        assert link.ready
    finally:
        link.close()


def test_the_first_write_after_the_ready_line_is_watched(tmp_path) -> None:
    """Review: the guard counts silence from its first beat, and that beat came only with the servo node's first
    watchdog tick, so a node hanging right after its first write (or a restarted guard's) was never caught.
    `count` beats first; with no beat after it, the guard fires."""
    config = ServoConfig(backend="simulated", simulated_output_dir=str(tmp_path / "pwm"), command_timeout_s=0.2)
    link = GuardLink(config, NEUTRAL, print)
    try:
        assert link.wait_ready(30)
        assert link.count(NEUTRAL)
        # The node "hangs" here: no more beats. (The poll is the test's; the guard's timeout does the work.)
        assert "no heartbeat" in wait_for(link.fired, 10, "the guard firing on the silence")
    finally:
        link.close()


def test_a_rested_link_beats_again_before_the_next_write_that_moves_the_car(tmp_path) -> None:
    config = ServoConfig(backend="simulated", simulated_output_dir=str(tmp_path / "pwm"), command_timeout_s=0.2)
    link = GuardLink(config, NEUTRAL, print)
    try:
        assert link.wait_ready(30) and link.count(NEUTRAL)
        link.rest()
        assert not link.counting and link.quiet_s() == 0.0
        assert not wait_for_any(link.fired, 1.0)  # five timeouts at rest: no word from the guard
        assert link.count(NEUTRAL)  # the write that moves the car is watched again
        assert "no heartbeat" in wait_for(link.fired, 10, "the guard firing on the silence after it")
    finally:
        link.close()


def test_a_dead_guard_is_not_taken_as_watching_while_its_restart_waits(tmp_path, monkeypatch) -> None:
    """Review: a guard found dead within RESTART_INTERVAL_S of the last restart was not restarted and `ready`
    stayed true, so the servo node drove with no guard until the interval passed."""
    monkeypatch.setattr(guard_link, "RESTART_INTERVAL_S", 60.0)
    config = ServoConfig(backend="simulated", simulated_output_dir=str(tmp_path / "pwm"))
    link = GuardLink(config, NEUTRAL, print)
    try:
        assert link.wait_ready(30) and link.count(NEUTRAL)
        link._process.kill()
        link._process.wait(10)
        link.beat(NEUTRAL)  # notices, restarts (the first restart is not held back)
        assert link.wait_ready(30) and link.count(NEUTRAL)
        link._process.kill()
        link._process.wait(10)
        link.beat(NEUTRAL)  # notices again, but the next restart must wait
        assert not link.ready and not link.count(NEUTRAL)
    finally:
        link.close()


def test_a_guard_that_cannot_start_is_reported_not_waited_for(tmp_path) -> None:
    config = ServoConfig(backend="simulated", simulated_output_dir=str(tmp_path / "pwm"))
    link = GuardLink(config, NEUTRAL, print, python="/bin/false")
    try:
        assert not link.wait_ready(30)  # returns when the process has exited, long before the deadline
        assert not link.ready
    finally:
        link.close()
