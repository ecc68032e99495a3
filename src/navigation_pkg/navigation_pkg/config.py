"""Navigation node parameters: the timeouts that make the car stop, the start speed, the speed mapping.

Timeouts are the safety rules: the original car kept the last command on the wheels for ever when the
console or the policy went quiet. Each is named after what it guards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from navigation_pkg.speed_mapping import SPEED_MAPPINGS


@dataclass(frozen=True)
class NavigationConfig:
    # Manual: the console must send a fresh drive-pad command at least this often while the pad is held.
    manual_timeout_s: float = 0.5
    # Autonomous: policy outputs arrive at the camera rate (15 fps = every 67 ms); a few missed frames
    # (camera or inference stalled) and the throttle goes neutral.
    autonomous_timeout_s: float = 0.25
    # A policy output whose frame was captured longer ago than this is not acted on.
    max_policy_age_s: float = 0.2
    # A manual command sent longer ago than this is not acted on (navigation hung, then woke to old commands).
    max_manual_age_s: float = 0.2
    # External mode (an outside application on the original topics, names.EXTERNAL_DRIVE_TOPICS): neutral when it
    # sent no accepted command for this long. The original message has no stamp: a command is dated by its arrival.
    external_timeout_s: float = 0.5
    # While driving, the held command goes to the servo again when nothing was sent for this long. It must stay
    # well below servo_node.command_timeout_s (0.25 s), which then only fires when navigation itself is gone.
    command_repeat_s: float = 0.1
    # While started, a node on the driving path silent for this long (heartbeats every 0.1 s) stops the run.
    peer_timeout_s: float = 1.0
    # Started autonomously with no policy output acted on for this long (since Start, or since the last one): the
    # run stops, with the reason. A short gap only puts the throttle to neutral (autonomous_timeout_s) and the car
    # drives on when outputs come back; this long a gap is a camera or model that is not delivering, and a car must
    # not drive off by itself when it comes back seconds later.
    policy_stall_stop_s: float = 2.0
    # How often the freshness of the active source is checked: neutral comes within timeout + period.
    watchdog_period_s: float = 0.05
    # Max-speed setting at start (0..1, the console's "Maximum speed %" / 100). Not persisted: every start
    # begins here, so a restarted car never inherits a previous racer's speed. 0 = does not move until
    # a racer sets a speed, as on the original car.
    initial_max_speed: float = 0.0
    # "parabola": the original speed -> throttle curve (full throttle from 0.833 of the top speed);
    # "linear": throttle proportional to speed.
    speed_mapping: str = "parabola"
    # Optional limits on how fast throttle may rise and steering may move, in units of the [-1, 1] range
    # per second; 0 = off (the original had none). Throttle may always fall to neutral at once.
    max_throttle_rate_per_s: float = 0.0
    max_steering_rate_per_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("manual_timeout_s", "autonomous_timeout_s", "max_policy_age_s", "watchdog_period_s",
                     "max_manual_age_s", "command_repeat_s", "peer_timeout_s", "external_timeout_s",
                     "policy_stall_stop_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
        for name in ("manual_timeout_s", "autonomous_timeout_s", "external_timeout_s"):
            if self.watchdog_period_s > getattr(self, name):
                raise ValueError(f"watchdog_period_s {self.watchdog_period_s} must not exceed {name} "
                                 f"{getattr(self, name)}, or the timeout could not be kept")
        if self.policy_stall_stop_s <= self.autonomous_timeout_s:
            raise ValueError(f"policy_stall_stop_s {self.policy_stall_stop_s} must exceed autonomous_timeout_s "
                             f"{self.autonomous_timeout_s}: a short gap puts the throttle to neutral, a long one "
                             "ends the run")
        if self.command_repeat_s < self.watchdog_period_s:
            raise ValueError(f"command_repeat_s {self.command_repeat_s} must not be below watchdog_period_s "
                             f"{self.watchdog_period_s}: repeats are sent from the watchdog")
        if not (math.isfinite(self.initial_max_speed) and 0.0 <= self.initial_max_speed <= 1.0):
            raise ValueError(f"initial_max_speed must be in [0, 1] (fraction of full speed), "
                             f"got {self.initial_max_speed!r}")
        if self.speed_mapping not in SPEED_MAPPINGS:
            raise ValueError(f"speed_mapping must be one of {SPEED_MAPPINGS}, got {self.speed_mapping!r}")
        for name in ("max_throttle_rate_per_s", "max_steering_rate_per_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be >= 0 per second (0 = no limit), got {value!r}")
