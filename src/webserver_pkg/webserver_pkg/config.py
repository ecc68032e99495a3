"""The console node's parameters: one frozen dataclass, validated, with laptop-safe defaults.

`host` defaults to 127.0.0.1 so a laptop run is not reachable from its network; the car's overlay
(launch/car.yaml) sets 0.0.0.0, port 443 and https.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConsoleConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    https: bool = False
    console_dir: str = "~/.deepracer/console"
    models_root: str = "~/.deepracer/models"
    # The recorded runs the Runs page lists: the logging node's output_path (the graph sets both).
    runs_root: str = "~/.deepracer/logs"
    asset_tag_path: str = "/sys/class/dmi/id/chassis_asset_tag"
    chassis_serial_path: str = "/sys/class/dmi/id/chassis_serial"  # the car identity (deepracer_common_pkg.identity)
    system_log_path: str = "/var/log/syslog"
    session_hours: float = 12.0
    max_upload_mb: int = 200
    login_attempts_per_minute: int = 5
    service_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            raise ValueError(f"host: {self.host!r} is not an IP address; use 127.0.0.1 (this machine only) "
                             "or 0.0.0.0 (every interface, as on the car)") from None
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port: {self.port} is out of range; allowed 0-65535 (0 = any free port)")
        for name in ("console_dir", "models_root"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name}: must be a folder path, got an empty string")
        if not 0 < self.session_hours <= 24 * 30:
            raise ValueError(f"session_hours: {self.session_hours} is out of range; allowed (0, 720]")
        if not 1 <= self.max_upload_mb <= 4096:
            raise ValueError(f"max_upload_mb: {self.max_upload_mb} is out of range; allowed 1-4096")
        if not 1 <= self.login_attempts_per_minute <= 1000:
            raise ValueError(f"login_attempts_per_minute: {self.login_attempts_per_minute} is out of range; "
                             "allowed 1-1000")
        if not 0 < self.service_timeout_s <= 60:
            raise ValueError(f"service_timeout_s: {self.service_timeout_s} is out of range; allowed (0, 60]")

    @property
    def console_path(self) -> Path:
        return Path(self.console_dir).expanduser()

    @property
    def models_path(self) -> Path:
        return Path(self.models_root).expanduser()

    @property
    def runs_path(self) -> Path:
        return Path(self.runs_root).expanduser()
