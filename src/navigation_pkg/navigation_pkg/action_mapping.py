"""From a policy output to a normalised steering angle and throttle, the way the original car did it.

Racers tune their models against how the original car turned a chosen action into servo commands, so
the arithmetic here is kept exactly, including two surprises:

* the speed parabola `a*v^2 + b*v` with `a = -1.2/M^2`, `b = 2.2/M` (M = the action space's top speed)
  passes through (0, 0), (M/2, 0.8) and (M, 1), and already reaches 1 at v = 5/6 M (0.833 M): every
  speed above that is full throttle. Negative speeds are not mirrored: the parabola falls to -1 fast.
  A linear mapping (v / M) is offered as an option;
* steering is normalised to the action space's own largest angle, not to the servo's physical range:
  a model trained with +-15 degrees turns the wheels as far as one trained with +-30 degrees.

The result is then scaled by the racer's max-speed setting (0..1). Everything here is plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DISCRETE = "discrete"
CONTINUOUS = "continuous"
SPEED_MAPPINGS = ("parabola", "linear")


@dataclass(frozen=True)
class ActionSpaceSpec:
    """A model's action space as plain values (the fields of deepracer_interfaces_pkg/ActionSpace).

    discrete: `steering_angle[i]` (degrees) and `speed[i]` (m/s) are action i.
    continuous: the `*_low` / `*_high` ranges apply.
    """

    type: str
    steering_angle: tuple[float, ...] = ()
    speed: tuple[float, ...] = ()
    steering_low: float = 0.0
    steering_high: float = 0.0
    speed_low: float = 0.0
    speed_high: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "steering_angle", tuple(float(v) for v in self.steering_angle))
        object.__setattr__(self, "speed", tuple(float(v) for v in self.speed))
        values = (*self.steering_angle, *self.speed, self.steering_low, self.steering_high,
                  self.speed_low, self.speed_high)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"action space has a non-finite number: {self}")
        if self.type == DISCRETE:
            self._check_discrete()
        elif self.type == CONTINUOUS:
            self._check_continuous()
        else:
            raise ValueError(f"action space type {self.type!r} is unknown; expected "
                             f"{DISCRETE!r} or {CONTINUOUS!r}")

    def _check_discrete(self) -> None:
        if not self.speed:
            raise ValueError("discrete action space has no actions (empty steering_angle/speed lists); "
                             "a continuous range needs type 'continuous'")
        if len(self.steering_angle) != len(self.speed):
            raise ValueError(f"discrete action space has {len(self.steering_angle)} steering angles but "
                             f"{len(self.speed)} speeds; each action needs both")
        if self.top_speed <= 0:
            raise ValueError(f"discrete action space has no non-zero speed (speeds {list(self.speed)}): "
                             "the car could never move")

    def _check_continuous(self) -> None:
        if not self.steering_low <= self.steering_high:
            raise ValueError(f"continuous steering range low {self.steering_low} > high {self.steering_high}")
        if not self.speed_low <= self.speed_high:
            raise ValueError(f"continuous speed range low {self.speed_low} > high {self.speed_high}")
        if self.steering_high <= 0:
            raise ValueError(f"continuous steering_high must be > 0 (angles are normalised by it), "
                             f"got {self.steering_high}")
        if self.speed_high <= 0:
            raise ValueError(f"continuous speed_high must be > 0 (the top speed M), got {self.speed_high}")

    @property
    def top_speed(self) -> float:
        """M of the speed mapping: the largest |speed| (discrete) or speed_high (continuous), in m/s."""
        if self.type == DISCRETE:
            return max(abs(v) for v in self.speed)
        return self.speed_high

    @property
    def action_count(self) -> int:
        """How many numbers the policy outputs: one probability per action, or (steering, speed)."""
        return len(self.speed) if self.type == DISCRETE else 2


@dataclass(frozen=True)
class PolicyAction:
    """The action the policy chose, before throttle scaling: wheels in [-1, 1], speed in m/s."""

    angle: float
    speed_mps: float


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
    return _clip(fraction) * max_speed


def discrete_action(space: ActionSpaceSpec, probabilities: Sequence[float]) -> PolicyAction:
    """The most probable action (first on ties), steering normalised by the space's largest |angle|."""
    _check_output_count(space, probabilities)
    index = max(range(len(probabilities)), key=probabilities.__getitem__)
    widest = max(abs(v) for v in space.steering_angle)
    angle = space.steering_angle[index] / widest if widest > 0 else 0.0
    return PolicyAction(angle=angle, speed_mps=space.speed[index])


def continuous_action(space: ActionSpaceSpec, outputs: Sequence[float]) -> PolicyAction:
    """Both outputs clipped to [-1, 1] and rescaled to their ranges; angle = steering / steering_high.

    With an asymmetric steering range the original quotient can leave [-1, 1]; it is clipped, since the
    servo refuses anything outside.
    """
    _check_output_count(space, outputs)
    steering = _rescale(outputs[0], space.steering_low, space.steering_high)
    speed = _rescale(outputs[1], space.speed_low, space.speed_high)
    return PolicyAction(angle=_clip(steering / space.steering_high), speed_mps=speed)


def policy_action(space: ActionSpaceSpec, outputs: Sequence[float]) -> PolicyAction:
    """The action for one policy evaluation, whatever the type of the space."""
    if space.type == DISCRETE:
        return discrete_action(space, outputs)
    return continuous_action(space, outputs)


def _check_output_count(space: ActionSpaceSpec, outputs: Sequence[float]) -> None:
    if len(outputs) != space.action_count:
        raise ValueError(f"policy gave {len(outputs)} outputs but the {space.type} action space needs "
                         f"{space.action_count}: the result is from another model")
    if not all(math.isfinite(v) for v in outputs):
        raise ValueError(f"policy output has a non-finite value: {list(outputs)}")


def _rescale(x: float, low: float, high: float) -> float:
    return (high - low) / 2.0 * (_clip(x) + 1.0) + low


def _clip(x: float) -> float:
    return min(1.0, max(-1.0, x))
