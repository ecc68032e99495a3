"""The one conversion between `action_space.ActionSpace` and the ActionSpace message (ModelState's field).

Kept apart from action_space.py because it imports the message type, which the pure core must not.
"""

from __future__ import annotations

from deepracer_common_pkg.action_space import ActionSpace
from deepracer_interfaces_pkg.msg import ActionSpace as ActionSpaceMsg


def to_msg(space: ActionSpace) -> ActionSpaceMsg:
    return ActionSpaceMsg(type=space.type, steering_angle=list(space.steering_angle), speed=list(space.speed),
                          steering_low=space.steering_low, steering_high=space.steering_high,
                          speed_low=space.speed_low, speed_high=space.speed_high)


def from_msg(msg: ActionSpaceMsg) -> ActionSpace:
    """Raises ActionSpaceError when the message holds no drivable space (e.g. the empty one of a load
    in progress)."""
    return ActionSpace(msg.type, steering_angle=tuple(msg.steering_angle), speed=tuple(msg.speed),
                       steering_low=msg.steering_low, steering_high=msg.steering_high,
                       speed_low=msg.speed_low, speed_high=msg.speed_high)
