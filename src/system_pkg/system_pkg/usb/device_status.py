"""`device-status.txt`, written back to the stick after a Wi-Fi join: how to find the car on the network
(the original wrote the hostname, time, network and the interfaces' addresses)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import psutil

FILE_NAME = "device-status.txt"


def interface_addresses() -> dict[str, str]:
    """IPv4 address of each interface but loopback (read from the kernel: nothing is sent)."""
    found: dict[str, str] = {}
    for name, addresses in psutil.net_if_addrs().items():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                found.setdefault(name, address.address)
    return found


def device_status_text(*, ssid: str, joined: bool, reason: str, addresses: Mapping[str, str],
                       hostname: str | None = None, now: datetime | None = None) -> str:
    when = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
    lines = [f"hostname: {hostname or socket.gethostname()}", f"time: {when}",
             f"network: {ssid}", f"connected: {'yes' if joined else 'no'}"]
    if reason:
        lines.append(f"reason: {reason}")
    lines += [f"{name}: {address}" for name, address in sorted(addresses.items())]
    if addresses:
        lines.append(f"console: https://{next(iter(sorted(addresses.values())))}/")
    return "\n".join(lines) + "\n"


def write_on_stick(path: Path, text: str) -> None:
    """Write beside, fsync, rename: a stick pulled mid-write keeps the old file. No chmod (FAT has no modes),
    and never a folder created: a stick that went away is not recreated as a folder under the mount root."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent} is gone (stick removed?)")
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
