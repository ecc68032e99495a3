"""A model's action space: its type, the one validator, what the policy outputs, and the action it chose.

Every user calls this module: the model package check and the inference node (from model_metadata.json),
the navigation node (from the ActionSpace message, `action_space_msg.py`), and the console. One validator
means a model the car reports "loaded" is one navigation can drive.

Type: the SHAPE of `action_space` in model_metadata.json decides (a list of actions = discrete, a
{low, high} range = continuous); `inference_pkg.metadata` reads the file and builds this.

Rules (each refusal says which field to fix):
* every number finite; discrete: at least one action, a steering angle and a speed for each;
  continuous: low < high for steering and speed;
* no reverse: every speed (discrete) and the speed range's low (continuous) must be >= 0, and the car
  must be able to move (a speed above 0). The original car's speed parabola has no reverse branch (a
  negative speed gives full reverse throttle at once) and the camera only looks forward; reverse is not
  offered as an option;
* continuous steering: high > 0, since steering is normalised by steering_angle.high (the original car's
  rule; a range such as {-30, -10} would turn the car the wrong way).

Steering is normalised to the space's own widest angle (discrete) or `steering_high` (continuous), not
to the servo's range, as the original car did: a model trained with +-15 degrees turns the wheels as far
as one trained with +-30.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DISCRETE = "discrete"
CONTINUOUS = "continuous"
TYPES = (DISCRETE, CONTINUOUS)
NO_ACTION = -1  # action index of a continuous policy: it outputs values, not a choice


class ActionSpaceError(ValueError):
    """An action space the car cannot drive; the message names the field and what to change."""


@dataclass(frozen=True)
class PolicyAction:
    """The action a policy chose, before throttle mapping: wheels in [-1, 1], speed in m/s."""

    angle: float
    speed_mps: float


@dataclass(frozen=True)
class ActionSpace:
    """discrete: action i is (`steering_angle[i]` degrees, `speed[i]` m/s); the ranges are derived from
    the actions. continuous: the `*_low` / `*_high` ranges (degrees, m/s) apply and the lists are empty."""

    type: str
    steering_angle: tuple[float, ...] = ()
    speed: tuple[float, ...] = ()
    steering_low: float = 0.0
    steering_high: float = 0.0
    speed_low: float = 0.0
    speed_high: float = 0.0

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "steering_angle", tuple(float(v) for v in self.steering_angle))
        set_field(self, "speed", tuple(float(v) for v in self.speed))
        if self.type == DISCRETE:
            _check_discrete(self.steering_angle, self.speed)
            set_field(self, "steering_low", min(self.steering_angle))
            set_field(self, "steering_high", max(self.steering_angle))
            set_field(self, "speed_low", min(self.speed))
            set_field(self, "speed_high", max(self.speed))
        elif self.type == CONTINUOUS:
            if self.steering_angle or self.speed:
                raise ActionSpaceError("a continuous action space has ranges, not a list of actions")
            _check_continuous(self.steering_low, self.steering_high, self.speed_low, self.speed_high)
        else:
            raise ActionSpaceError(f"action space type {self.type!r} is unknown: use {DISCRETE} or {CONTINUOUS}")

    @property
    def policy_output_count(self) -> int:
        """How many numbers the policy network outputs: one probability per action, or (steering, speed)."""
        return len(self.speed) if self.type == DISCRETE else 2

    @property
    def top_speed(self) -> float:
        """M of the speed mapping (m/s): the fastest action, or the top of the speed range."""
        return self.speed_high

    def action_index(self, outputs: Sequence[float]) -> int:
        """The action a discrete policy picks: the most probable, the first on ties; NO_ACTION if continuous."""
        if self.type != DISCRETE:
            return NO_ACTION
        return max(range(len(outputs)), key=outputs.__getitem__)

    def action(self, outputs: Sequence[float]) -> PolicyAction:
        """The action for one policy evaluation. Continuous outputs are clipped to [-1, 1] and rescaled to
        their ranges; the steering quotient of an asymmetric range is clipped to [-1, 1], since the servo
        refuses anything outside."""
        if len(outputs) != self.policy_output_count:
            raise ActionSpaceError(f"policy gave {len(outputs)} outputs but the {self.type} action space needs "
                                   f"{self.policy_output_count}: the result is from another model")
        if not all(map(math.isfinite, outputs)):  # map, not a generator: no Python frame per output, every frame
            raise ActionSpaceError(f"policy output has a non-finite value: {list(outputs)}")
        if self.type == DISCRETE:
            index = self.action_index(outputs)
            widest = max(map(abs, self.steering_angle))
            angle = self.steering_angle[index] / widest if widest > 0 else 0.0
            return PolicyAction(angle=angle, speed_mps=self.speed[index])
        steering = _rescale(outputs[0], self.steering_low, self.steering_high)
        speed = _rescale(outputs[1], self.speed_low, self.speed_high)
        return PolicyAction(angle=_clip(steering / self.steering_high), speed_mps=speed)


def _finite(value: float, where: str) -> None:
    if not math.isfinite(value):
        raise ActionSpaceError(f"action_space {where} must be a finite number, got {value}")


def _check_discrete(steering: tuple[float, ...], speed: tuple[float, ...]) -> None:
    if not speed:
        raise ActionSpaceError("a discrete action space needs at least one action "
                               '{"steering_angle": degrees, "speed": m/s}')
    if len(steering) != len(speed):
        raise ActionSpaceError(f"discrete action space has {len(steering)} steering angles but {len(speed)} "
                               "speeds: each action needs both")
    for index, (angle, value) in enumerate(zip(steering, speed, strict=True)):
        _finite(angle, f"[{index}].steering_angle")
        _finite(value, f"[{index}].speed")
        if value < 0:
            raise ActionSpaceError(f"action_space[{index}].speed is {value:g} m/s: speeds below 0 (reverse) "
                                   "are refused; the car drives forward only")
    if max(speed) <= 0:
        raise ActionSpaceError("every action in action_space has speed 0: the car could never move")


def _check_continuous(steering_low: float, steering_high: float, speed_low: float, speed_high: float) -> None:
    for value, where in ((steering_low, "steering_angle.low"), (steering_high, "steering_angle.high"),
                         (speed_low, "speed.low"), (speed_high, "speed.high")):
        _finite(value, where)
    for low, high, key in ((steering_low, steering_high, "steering_angle"), (speed_low, speed_high, "speed")):
        if not low < high:
            raise ActionSpaceError(f"action_space.{key}.low ({low:g}) must be less than high ({high:g})")
    if steering_high <= 0:
        raise ActionSpaceError(f"action_space.steering_angle.high is {steering_high:g}: it must be above 0, "
                               "since steering is scaled by it (a range such as -30..30 degrees)")
    if speed_low < 0:
        raise ActionSpaceError(f"action_space.speed.low is {speed_low:g} m/s: speeds below 0 (reverse) are "
                               "refused; the car drives forward only")


def _rescale(x: float, low: float, high: float) -> float:
    return (high - low) / 2.0 * (_clip(x) + 1.0) + low


def _clip(x: float) -> float:
    return min(1.0, max(-1.0, x))
