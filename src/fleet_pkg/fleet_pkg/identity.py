"""Who the car is, as DREM identifies a car: the chassis serial (DMI), else the Raspberry Pi's serial; the
hostname; and this stack's version."""

from __future__ import annotations

import functools
import socket
from importlib import metadata
from pathlib import Path

SERIAL_SOURCES = (Path("/sys/class/dmi/id/chassis_serial"), Path("/proc/device-tree/serial-number"))


@functools.cache
def serial() -> str:
    for path in SERIAL_SOURCES:
        try:
            text = path.read_text(errors="replace").strip("\x00 \n")
        except OSError:
            continue
        if text and text.lower() not in ("none", "default string", "to be filled by o.e.m."):
            return text
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Serial" and value.strip().strip("0"):
                return value.strip()
    except OSError:
        pass
    return ""


def hostname() -> str:
    return socket.gethostname()


@functools.cache
def software_version() -> str:
    try:
        return metadata.version("fleet_pkg")
    except metadata.PackageNotFoundError:
        return "unknown"
