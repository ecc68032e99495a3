"""Which commands the console's readout gets (navigation_pkg.readout_sampler): one per period, and a stop at once."""

from __future__ import annotations

from navigation_pkg.readout_sampler import READOUT_PERIOD_S, ReadoutSampler


def test_one_command_per_period_goes_to_the_readout():
    sampler = ReadoutSampler()
    assert sampler.due(10.0, 0.5)
    sampler.sent(10.0, 0.5)
    assert not sampler.due(10.0 + READOUT_PERIOD_S / 2, 0.6)
    assert sampler.due(10.0 + READOUT_PERIOD_S * 1.01, 0.6)


def test_a_stop_goes_at_once_and_its_repeats_only_once_a_period():
    sampler = ReadoutSampler()
    sampler.sent(10.0, 0.5)
    assert sampler.due(10.01, 0.0), "a neutral throttle after a moving one is shown when it happens"
    sampler.sent(10.01, 0.0)
    assert not sampler.due(10.02, 0.0)
    assert sampler.due(10.01 + READOUT_PERIOD_S * 1.01, 0.0)
