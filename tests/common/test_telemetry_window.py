"""StageWindow: rate and percentiles over a sliding window, with a controlled clock."""

import pytest

from deepracer_common_pkg.telemetry import StageWindow, percentile


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_and_percentiles_over_the_window():
    clock = Clock()
    window = StageWindow("camera", window_s=5.0, clock=clock)
    for i in range(31):  # 30 intervals of 1/15 s = 2 s at 15 Hz
        window.record(latency_ms=float(i % 10))
        clock.now += 1 / 15
    snap = window.snapshot()
    assert snap.rate_hz == pytest.approx(15.0)
    assert snap.latency_p50_ms == 4.0  # 0..9 three times plus one more 0: sorted[15] is 4
    assert snap.latency_p95_ms == 9.0
    assert snap.count == 31


def test_old_events_leave_the_window_but_the_totals_stay():
    clock = Clock()
    window = StageWindow("servo", window_s=1.0, clock=clock)
    window.record(50.0)
    window.drop(3)
    clock.now += 2.0
    window.record(1.0)
    snap = window.snapshot()
    assert (snap.latency_p95_ms, snap.rate_hz, snap.count, snap.dropped) == (1.0, 0.0, 2, 3)


def test_percentile_of_nothing_is_zero_and_window_must_be_positive():
    assert percentile([], 0.5) == 0.0
    with pytest.raises(ValueError, match="window_s must be > 0, got 0"):
        StageWindow("x", window_s=0)


def test_a_publisher_is_woken_once_by_the_next_event_only_when_nothing_is_left_to_age_out():
    """The telemetry timer sleeps while an idle stage's figures cannot change (issue 23: every wake-up costs the
    car's idle CPU); the stage's next event, a drop or an error wakes it, once."""
    clock = Clock()
    window = StageWindow("camera", window_s=1.0, clock=clock)
    woken: list[str] = []
    window.record(5.0)
    assert not window.wake_on_change(lambda: woken.append("too early"))  # that event still ages out
    clock.now += 1.5
    for event in (lambda: window.record(1.0), lambda: window.drop(), lambda: window.error()):
        clock.now += 1.5  # the window is empty again
        assert window.wake_on_change(lambda: woken.append("woken"))
        event()
        event()  # a second event finds no waker left
    assert woken == ["woken", "woken", "woken"]
