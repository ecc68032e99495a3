"""What the Control page's live readout and run timer show: the one home of "stale" and of the run's time.

A readout value is live only while its topic keeps arriving: navigation repeats its command every
command_repeat_s (0.1 s) while driving and the servo node writes on every command, so a value older than
STALE_AFTER_S means nobody is driving it any more, and the page shows "—" instead of an old number. Each live
value carries `fresh_for_s`, how much longer it stays live, so the page blanks it on time between two polls
without a threshold of its own. The run's time is counted on the car (navigation stamps the Start with the
car's boot clock, car_clock), so a phone whose clock is off, or an NTP step on the car, does not change it.
"""

from __future__ import annotations

from typing import Any

from webserver_pkg.robot.bridge import PwmWrittenView, ServoCommandView

STALE_AFTER_S = 1.0


def _fresh_for_s(age_s: float) -> float | None:
    """Seconds the value stays live; None when it is stale already."""
    left = STALE_AFTER_S - age_s
    return round(left, 3) if left > 0 else None


def live(view: ServoCommandView | PwmWrittenView | None) -> bool:
    """Whether a heard value is recent enough to show."""
    return view is not None and _fresh_for_s(view.age_s) is not None


def commanded(view: ServoCommandView | None) -> dict[str, Any] | None:
    """Navigation's output: angle (+1 full left) and throttle (+1 full forward), both in [-1, 1]."""
    fresh = None if view is None else _fresh_for_s(view.age_s)
    if view is None or fresh is None:
        return None
    return {"angle": round(view.angle, 3), "throttle": round(view.throttle, 3), "fresh_for_s": fresh}


def written(view: PwmWrittenView | None, neutral: dict[str, int] | None) -> dict[str, Any] | None:
    """The servo node's duty cycles in microseconds, each with whether it is the calibrated neutral (None when
    the calibration could not be read)."""
    fresh = None if view is None else _fresh_for_s(view.age_s)
    if view is None or fresh is None:
        return None
    result: dict[str, Any] = {"enabled": view.enabled, "fresh_for_s": fresh}
    for channel, duty_ns in (("steering", view.steering_ns), ("throttle", view.throttle_ns)):
        result[f"{channel}_us"] = round(duty_ns / 1000, 1)
        result[f"{channel}_neutral"] = None if neutral is None else duty_ns == neutral[channel]
    return result


def run_elapsed_s(run_started_ns: int, now_ns: int) -> float:
    """Seconds since the current run's Start; 0 while stopped (run_started_ns 0)."""
    if run_started_ns <= 0:
        return 0.0
    return round(max(0.0, (now_ns - run_started_ns) / 1e9), 3)
