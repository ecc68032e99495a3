"""From a chosen action's speed to a throttle, the way the original car did it.

Racers tune their models against how the original car turned speeds into throttle, so the arithmetic is
kept exactly, surprise included: the speed parabola `a*v^2 + b*v` with `a = -1.2/M^2`, `b = 2.2/M`
(M = the action space's top speed, `ActionSpace.top_speed`) passes through (0, 0), (M/2, 0.8) and (M, 1),
and already reaches 1 at v = 5/6 M (0.833 M): every speed above that is full throttle. A linear mapping
(v / M) is offered as an option. Speeds are never below 0: the action space refuses reverse.

The result is then scaled by the racer's max-speed setting (0..1). The action space itself (type,
validation, the choice of action) is `deepracer_common_pkg.action_space`.
"""

from __future__ import annotations

SPEED_MAPPINGS = ("parabola", "linear")


def parabola_coefficients(top_speed: float) -> tuple[float, float]:
    """(a, b) of the original speed parabola for top speed M: a = -1.2/M^2, b = 2.2/M."""
    if top_speed <= 0:
        raise ValueError(f"top speed must be > 0 m/s, got {top_speed}")
    return -1.2 / top_speed**2, 2.2 / top_speed


def speed_to_throttle(speed_mps: float, top_speed: float, max_speed: float, mapping: str = "parabola") -> float:
    """Throttle in [-1, 1] for a speed, given the action space's top speed and the max-speed setting (0..1).

    "parabola" is the original car's curve (full throttle from 0.833 M up); "linear" is v / M.
    """
    if mapping == "parabola":
        a, b = parabola_coefficients(top_speed)
        fraction = a * speed_mps**2 + b * speed_mps
    elif mapping == "linear":
        if top_speed <= 0:
            raise ValueError(f"top speed must be > 0 m/s, got {top_speed}")
        fraction = speed_mps / top_speed
    else:
        raise ValueError(f"speed mapping {mapping!r} is unknown; expected one of {SPEED_MAPPINGS}")
    return min(1.0, max(-1.0, fraction)) * max_speed
