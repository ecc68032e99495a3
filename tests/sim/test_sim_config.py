"""The simulator's parameters refuse what cannot work, saying what is allowed."""

from __future__ import annotations

import pytest

from sim_pkg.config import SimConfig


def test_defaults_are_the_reinvent_track_at_the_sample_models_top_speed():
    config = SimConfig()
    assert (config.track, config.top_speed_m_s, config.rate_hz) == ("reinvent_base", 2.0, 50.0)


@pytest.mark.parametrize(("change", "message"), [
    ({"track": "monza"}, "choose one of reinvent_base, synthetic_loop"),
    ({"pwm_dir": ""}, "pwm_dir must be a non-empty path"),
    ({"rate_hz": 2.0}, "rate_hz=2.0 is out of range; allowed 5..1000"),
    ({"top_speed_m_s": float("nan")}, "top_speed_m_s=nan is out of range"),
    ({"reset_pause_s": True}, "reset_pause_s=True is out of range"),
])
def test_bad_values_are_refused_with_the_reason(change, message):
    with pytest.raises(ValueError, match=message):
        SimConfig(**change)
