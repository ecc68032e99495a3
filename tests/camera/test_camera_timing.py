"""The pacer's schedule for clockless sources, and retry delays.

All on simulated clocks: these check the schedule's arithmetic, not the machine's speed.
"""

from __future__ import annotations

import itertools
import random

import pytest

from camera_pkg.timing import Backoff, Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        return False


def test_pacer_ticks_on_a_fixed_schedule_whatever_the_work_takes():
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    ticks = []
    rng = random.Random(1)
    for _ in range(50):
        assert pacer.wait()
        ticks.append(clock.now)
        clock.now += rng.uniform(0.0, 0.09)  # work shorter than a period, varying
    assert ticks == pytest.approx([100.0 + 0.1 * k for k in range(50)])


def test_pacer_skips_missed_ticks_instead_of_bursting():
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    clock.now += 0.35  # a stall of three and a half periods
    ticks = []
    for _ in range(4):
        pacer.wait()
        ticks.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert gaps[0] >= 0.05 - 1e-9  # at most one tick at once after the stall, then back on the schedule
    assert ticks[-1] == pytest.approx(100.0 + 0.1 * round((ticks[-1] - 100.0) / 0.1))


def test_the_ticks_a_napping_caller_missed_are_told_with_their_ages_and_left_behind():
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    assert pacer.ticks_passed(4) == [], "none before the first tick"
    pacer.wait()  # tick at 100.0; the next is due at 100.1
    assert pacer.ticks_passed(4) == [], "the next tick has not come"
    clock.now += 0.25  # napped through the ticks at 100.1 and 100.2
    assert pacer.ticks_passed(4) == pytest.approx([0.15, 0.05]), "oldest first, by how long ago each passed"
    assert pacer.ticks_passed(4) == [], "each is told once"
    clock.now += 1.0  # ten ticks: only the newest are taken, as a device's queue keeps only so many
    assert pacer.ticks_passed(3) == pytest.approx([0.25, 0.15, 0.05])
    before = clock.now
    pacer.wait()
    assert clock.now == pytest.approx(before + 0.05), "then back on the schedule"


def test_pacer_wait_reports_an_interruption():
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=lambda seconds: True)
    assert pacer.wait()  # the first tick is now: nothing to sleep
    assert not pacer.wait()


def test_backoff_doubles_to_a_ceiling_and_resets():
    backoff = Backoff(0.25, 2.0)
    assert [backoff.next_delay() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    backoff.reset()
    assert backoff.next_delay() == 0.25


@pytest.mark.parametrize("make", [lambda: Backoff(0, 1), lambda: Backoff(2, 1)])
def test_nonsense_settings_are_refused(make):
    with pytest.raises(ValueError):
        make()
