"""The rate keeper's choice of inputs, on simulated capture times: the schedule's arithmetic, not the
machine's speed."""

from __future__ import annotations

import itertools
import random

import pytest

from deepracer_common_pkg.rate_keeper import RateKeeper


def simulate(source_fps: float, target_fps: float, seconds: float = 20.0, jitter_s: float = 0.003,
             seed: int = 7) -> tuple[int, list[float]]:
    """Feed captures at `source_fps` with timing jitter; return (captures, published times)."""
    rng = random.Random(seed)
    keeper = RateKeeper(target_fps)
    captures = int(seconds * source_fps)
    times = [k / source_fps + rng.uniform(-jitter_s, jitter_s) for k in range(captures)]
    return captures, [t for t in times if keeper.due(t)]


@pytest.mark.parametrize(("source_fps", "target_fps"), [(30, 15), (60, 15), (60, 30), (20, 15), (90, 60),
                                                        (30, 30), (15, 15), (60, 60)])
def test_keeps_the_target_rate_when_the_source_is_at_least_as_fast(source_fps, target_fps):
    _, published = simulate(source_fps, target_fps)
    rate = (len(published) - 1) / (published[-1] - published[0])
    assert rate == pytest.approx(target_fps, rel=0.01)


@pytest.mark.parametrize(("source_fps", "target_fps"), [(30, 15), (60, 15), (30, 30)])
def test_no_jitter_aliasing_when_the_source_is_a_multiple_of_the_target(source_fps, target_fps):
    """Every interval is exactly one period (within the jitter): no dropped or doubled slot."""
    _, published = simulate(source_fps, target_fps)
    gaps = [b - a for a, b in itertools.pairwise(published)]
    assert max(gaps) < 1 / target_fps + 0.007
    assert min(gaps) > 1 / target_fps - 0.007


@pytest.mark.parametrize("fps", [15, 30])
def test_late_captures_of_a_same_rate_source_are_not_dropped(fps):
    """A capture thread woken late (CPU busy) must not cost a frame when source and target rates match."""
    rng = random.Random(3)
    period = 1 / fps
    times = [k * period + (rng.uniform(0, 0.8 * period) if rng.random() < 0.2 else 0.0) for k in range(300)]
    keeper = RateKeeper(fps)
    published = [t for t in times if keeper.due(t)]
    assert len(published) == len(times)
    assert min(b - a for a, b in itertools.pairwise(published)) > 0.15 * period


def test_published_frames_stay_half_a_period_apart():
    rng = random.Random(5)
    times = sorted(k / 90 + rng.uniform(0, 0.008) for k in range(900))
    keeper = RateKeeper(30)
    published = [t for t in times if keeper.due(t)]
    assert min(b - a for a, b in itertools.pairwise(published)) >= 0.5 / 30 - 1e-9


@pytest.mark.parametrize("source_fps", [5, 10, 14])
def test_never_faster_than_a_slower_source(source_fps):
    captures, published = simulate(source_fps, 15)
    assert len(published) == captures


def test_no_burst_after_a_gap():
    keeper = RateKeeper(15)
    times = [k / 30 for k in range(30)] + [3.0 + k / 30 for k in range(30)]
    published = [t for t in times if keeper.due(t)]
    gaps = [b - a for a, b in itertools.pairwise(published)]
    assert min(gaps) > 1 / 15 - 1e-6
    assert len(published) == 30


def test_a_nonsense_rate_is_refused():
    with pytest.raises(ValueError, match="fps must be > 0"):
        RateKeeper(0)
