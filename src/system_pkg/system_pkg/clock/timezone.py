"""The car's time zone (the console's set_timezone). The clock itself is NTP's business (systemd-timesyncd on
the car); the zone decides the local times in logs and run names.

A name is checked against the IANA database Python ships with (zoneinfo.available_timezones) before anything is
run, so a typo is refused with a plain reason; the car's backend then runs `timedatectl set-timezone <name>`.
"""

from __future__ import annotations

import os
import subprocess
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path

Run = Callable[[Sequence[str]], subprocess.CompletedProcess]


def local_zone_name(localtime: Path = Path("/etc/localtime"), timezone_file: Path = Path("/etc/timezone")) -> str:
    """The system's IANA zone name: where /etc/localtime points into the zone database (what timedatectl sets),
    else Debian's /etc/timezone; "" when neither says."""
    try:
        target = os.readlink(localtime)
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        return target.split("zoneinfo/", 1)[1]
    try:
        return timezone_file.read_text().strip()
    except OSError:
        return ""


class TimezoneError(ValueError):
    """The zone was not set; str(error) says why."""


def check_timezone(name: str) -> str:
    name = name.strip()
    if name not in zoneinfo.available_timezones():
        raise TimezoneError(f"{name!r} is not a time zone name: use an IANA name such as Europe/Berlin or "
                            "America/New_York")
    return name


def _run(args: Sequence[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError as error:
        raise TimezoneError("timedatectl is not installed on this machine: set clock_backend to simulated") \
            from error


class TimedatectlZone:
    def __init__(self, run: Run = _run) -> None:
        self._run = run

    def set(self, name: str) -> None:
        zone = check_timezone(name)
        done = self._run(["timedatectl", "set-timezone", zone])
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            raise TimezoneError(f"timedatectl refused {zone}: {said[-1] if said else done.returncode}")


class SimulatedZone:
    def __init__(self) -> None:
        self.zone = "UTC"

    def set(self, name: str) -> None:
        self.zone = check_timezone(name)
