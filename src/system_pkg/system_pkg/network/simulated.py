"""A laptop's stand-in network: a few networks in range, joins that succeed or fail as a real one would."""

from __future__ import annotations

from system_pkg.network.base import ConnectResult, NetworkDetails, WifiNetwork, strongest_first

SIMULATED_NETWORKS = (WifiNetwork("deepracer-track", 82, "WPA2"), WifiNetwork("event-staff", 64, "WPA1 WPA2"),
                      WifiNetwork("guest", 40, "Open"))


class SimulatedNetwork:
    def __init__(self) -> None:
        self.ssid = "deepracer-track"
        self.power_save = True

    def details(self) -> NetworkDetails:
        return NetworkDetails(ssid=self.ssid, ip_address="127.0.0.1" if self.ssid else "", usb_connected=False)

    def scan(self) -> list[WifiNetwork]:
        return strongest_first(list(SIMULATED_NETWORKS))

    def connect(self, ssid: str, password: str) -> ConnectResult:
        known = {n.ssid: n for n in SIMULATED_NETWORKS}
        if ssid not in known:
            return ConnectResult(False, f"could not join {ssid!r}: no network of that name is in range "
                                        f"(check the name, or move closer); still on {self.ssid!r}")
        if known[ssid].security != "Open" and not 8 <= len(password) <= 63:
            return ConnectResult(False, f"could not join {ssid!r}: the password was refused (check it and try "
                                        f"again); still on {self.ssid!r}")
        self.ssid = ssid
        return ConnectResult(True, ip_address="127.0.0.1")

    def power_save_off(self) -> None:
        self.power_save = False

    def restore(self) -> None:
        self.power_save = True
