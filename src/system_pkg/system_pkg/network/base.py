"""What every network backend answers, in plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class NetworkError(RuntimeError):
    """The network could not be read or changed; str(error) says why in words an owner can act on."""


@dataclass(frozen=True)
class WifiNetwork:
    ssid: str
    strength: int  # 0-100, NetworkManager's signal quality
    security: str  # e.g. "WPA2", "WPA1 WPA2"; "Open" when the network has none


@dataclass(frozen=True)
class NetworkDetails:
    ssid: str  # "" when not on Wi-Fi
    ip_address: str  # the Wi-Fi address, "" when none
    usb_connected: bool  # a computer is linked over the car's USB network port


@dataclass(frozen=True)
class ConnectResult:
    success: bool
    reason: str = ""
    ip_address: str = ""


class NetworkBackend(Protocol):
    def details(self) -> NetworkDetails: ...

    def scan(self) -> list[WifiNetwork]: ...

    def connect(self, ssid: str, password: str) -> ConnectResult: ...

    def power_save_off(self) -> None:
        """Turn Wi-Fi power save off (a sleeping radio adds 100+ ms to console commands); restore() undoes it."""

    def restore(self) -> None: ...


def signal_bars(strength: int) -> int:
    """The original console's 1-4 bars from a 0-100 signal (floor(1 + signal / 30)), which its clients draw."""
    return min(4, 1 + max(0, strength) // 30)


def strongest_first(networks: list[WifiNetwork]) -> list[WifiNetwork]:
    """One entry per named network (its strongest access point), strongest first; hidden ones left out."""
    best: dict[str, WifiNetwork] = {}
    for network in networks:
        if network.ssid and (network.ssid not in best or network.strength > best[network.ssid].strength):
            best[network.ssid] = network
    return sorted(best.values(), key=lambda n: (-n.strength, n.ssid))
