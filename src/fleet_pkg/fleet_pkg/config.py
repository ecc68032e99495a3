"""Fleet node parameters: where its settings, models and logs are, and the bounds that keep the link harmless."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FleetConfig:
    # fleet.txt in the data dir; without it (and without one on a USB stick) the link stays off.
    fleet_file: str = "~/.deepracer/fleet.txt"
    # Where USB sticks are mounted (as system_node.usb_mount_root; launch/car.yaml: /media): a fleet.txt at the top
    # of a stick is used when the data dir has none. "" = sticks are not looked at (a laptop's own sticks).
    usb_mount_root: str = ""
    # How often the node looks for fleet.txt appearing, changing or going away.
    settings_poll_s: float = 5.0
    models_root: str = "~/.deepracer/models"
    # Run logs (bag folders <model>-YYYYMMDD-HHMMSS) that `upload_logs` sends.
    logs_dir: str = "~/.deepracer/logs"
    # A command sent longer ago than this (by the car's clock) is refused, never acted on late; stop and
    # emergency stop excepted (acting on them late never makes a car move).
    max_command_age_s: float = 10.0
    # A retained status goes out this often, and on every change of mode, run state, model or colour.
    status_period_s: float = 5.0
    # How long one service call of the stack may take before the command is answered with "not answering".
    service_timeout_s: float = 3.0
    # How long a model load (read, check, compile) may take before the reply says it did not finish.
    load_timeout_s: float = 60.0
    # `restart`: the command that restarts the car's stack (e.g. "systemctl restart deepracer"); "" = refused.
    restart_command: str = ""

    def __post_init__(self) -> None:
        for name in ("fleet_file", "models_root", "logs_dir"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        for name, low, high in (("settings_poll_s", 0.1, 600.0), ("max_command_age_s", 0.5, 600.0),
                                ("status_period_s", 0.5, 600.0), ("service_timeout_s", 0.1, 60.0),
                                ("load_timeout_s", 1.0, 600.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"{name} must be a number of seconds in [{low:g}, {high:g}], got {value!r}")
