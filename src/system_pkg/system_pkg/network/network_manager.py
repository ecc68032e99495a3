"""The car's network through NetworkManager's command-line client, nmcli.

Why nmcli rather than NetworkManager's D-Bus API: nmcli's terse output is NetworkManager's own documented
interface for scripts, so no D-Bus library has to be added, pinned and kept up; the commands are the ones an owner
types on the car to see what went wrong (they are in the log when something fails); and the tests run the real
subprocess path against a stub nmcli on PATH, where D-Bus would need a fake system bus.

A failed join deletes the profile it left behind (as the original did) and goes back to the connection the car
had (NetworkManager drops it when it tries the new one), so the console that asked can still reach the car and
show why. The original retried a join that failed for a reason other than the password with the SSID as the scan
spells it; this does the same when the scan knows the name in another case or with stray spaces (what people type
from a phone). Joining the network the car is already on is a success at once, as in the original.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from system_pkg.network.base import ConnectResult, NetworkDetails, NetworkError, WifiNetwork, strongest_first
from system_pkg.network.nmcli import NmcliResult, NmcliRunner, terse_rows

log = logging.getLogger(__name__)

Run = Callable[..., NmcliResult]
# 802-11-wireless.powersave: 0 default, 1 ignore, 2 disable, 3 enable (nm-settings-nmcli(5)).
POWERSAVE_DISABLE = "2"
POWERSAVE_WORDS = {"default": "0", "ignore": "1", "disable": "2", "enable": "3"}
# nmcli's messages when the network refused the secret (NetworkManager 1.x).
_WRONG_PASSWORD = ("secrets were required", "802-11-wireless-security.psk", "invalid password", "(7)")
_NOT_FOUND = "no network with ssid"


def _powersave_value(text: str) -> str:
    """'2 (disable)', 'disable' or '2' -> '2'."""
    word = text.strip().split(" ")[0]
    return POWERSAVE_WORDS.get(word, word) if word else "0"


class NmcliNetwork:
    def __init__(self, *, wifi_interface: str = "wlan0", usb_interface: str = "usb0",
                 connect_timeout_s: float = 20.0, run: Run | None = None) -> None:
        self.wifi_interface = wifi_interface
        self.usb_interface = usb_interface
        self.connect_timeout_s = connect_timeout_s
        self._run = run or NmcliRunner()
        self._restore_powersave: tuple[str, str] | None = None

    # --- reading ----------------------------------------------------------------------------

    def _ok(self, args: Sequence[str], **kwargs) -> str:
        result = self._run(args, **kwargs)
        if result.returncode != 0:
            raise NetworkError(f"NetworkManager refused 'nmcli {' '.join(args[:4])}': {result.error}")
        return result.stdout

    def _devices(self) -> dict[str, tuple[str, str, str]]:
        """device -> (type, state, connection name)."""
        text = self._ok(["-t", "-f", "DEVICE,TYPE,STATE,CONNECTION", "device", "status"])
        return {device: (kind, state, connection) for device, kind, state, connection in terse_rows(text, 4)}

    def _wifi_connection(self) -> str:
        kind_state_name = self._devices().get(self.wifi_interface)
        if kind_state_name is None or kind_state_name[1] != "connected":
            return ""
        return kind_state_name[2]

    def _ip_address(self) -> str:
        text = self._ok(["-t", "-f", "IP4.ADDRESS", "device", "show", self.wifi_interface])
        for name, value in terse_rows(text, 2):
            if name.startswith("IP4.ADDRESS") and value:
                return value.split("/")[0]
        return ""

    def details(self) -> NetworkDetails:
        devices = self._devices()
        usb = devices.get(self.usb_interface)
        wifi = devices.get(self.wifi_interface)
        ssid = ""
        if wifi is not None and wifi[1] == "connected":
            text = self._ok(["-t", "-f", "ACTIVE,SSID", "device", "wifi", "list", "ifname", self.wifi_interface,
                             "--rescan", "no"])
            ssid = next((name for active, name in terse_rows(text, 2) if active == "yes"), "")
        return NetworkDetails(ssid=ssid, ip_address=self._ip_address() if ssid else "",
                              usb_connected=usb is not None and usb[1] == "connected")

    def scan(self) -> list[WifiNetwork]:
        text = self._ok(["-t", "-f", "SSID,SIGNAL,SECURITY", "device", "wifi", "list", "ifname", self.wifi_interface,
                         "--rescan", "yes"], timeout_s=30.0)
        networks = [WifiNetwork(ssid, int(signal) if signal.isdigit() else 0, security.strip() or "Open")
                    for ssid, signal, security in terse_rows(text, 3)]
        return strongest_first(networks)

    # --- changing ---------------------------------------------------------------------------

    def _join(self, ssid: str, password: str) -> NmcliResult:
        args = ["-w", f"{self.connect_timeout_s:.0f}", "device", "wifi", "connect", ssid]
        if password:
            args += ["password", password]
        args += ["ifname", self.wifi_interface]
        return self._run(args, timeout_s=self.connect_timeout_s + 5.0)

    def _profiles(self) -> set[str]:
        return {row[0] for row in terse_rows(self._ok(["-t", "-f", "NAME", "connection", "show"]), 1)}

    def connect(self, ssid: str, password: str) -> ConnectResult:
        if self.details().ssid == ssid:  # as the original: already there is a success, not a re-join
            return ConnectResult(True, ip_address=self._ip_address())
        previous = self._wifi_connection()
        profiles = self._profiles()
        result = self._join(ssid, password)
        if result.returncode != 0 and _NOT_FOUND in result.error.lower():
            spelled = self._scan_spelling(ssid)
            if spelled and spelled != ssid:
                log.info("no network named %r; trying %r as the scan spells it", ssid, spelled)
                ssid, result = spelled, self._join(spelled, password)
        if result.returncode == 0:
            return ConnectResult(True, ip_address=self._ip_address())
        reason = self._failure_reason(ssid, result)
        if ssid not in profiles and ssid in self._profiles():  # the profile the failed join left: not kept
            self._run(["connection", "delete", "id", ssid])
        if previous and self._wifi_connection() != previous:
            back = self._run(["connection", "up", "id", previous], timeout_s=self.connect_timeout_s + 5.0)
            reason += f"; back on {previous!r}" if back.returncode == 0 else \
                f"; could not go back to {previous!r} either ({back.error})"
        elif previous:
            reason += f"; still on {previous!r}"
        return ConnectResult(False, reason=reason)

    def _scan_spelling(self, ssid: str) -> str:
        wanted = ssid.strip().casefold()
        try:
            networks = self.scan()
        except NetworkError:
            return ""
        return next((n.ssid for n in networks if n.ssid.strip().casefold() == wanted), "")

    @staticmethod
    def _failure_reason(ssid: str, result: NmcliResult) -> str:
        message = result.error
        lowered = message.lower()
        if any(marker in lowered for marker in _WRONG_PASSWORD):
            return f"could not join {ssid!r}: the password was refused (check it and try again)"
        if _NOT_FOUND in lowered:
            return f"could not join {ssid!r}: no network of that name is in range (check the name, or move closer)"
        return f"could not join {ssid!r}: {message}"

    def power_save_off(self) -> None:
        connection = self._wifi_connection()
        if not connection:
            return
        current = _powersave_value(self._ok(["-t", "-g", "802-11-wireless.powersave", "connection", "show",
                                             connection]))
        if current == POWERSAVE_DISABLE:
            return
        self._ok(["connection", "modify", connection, "802-11-wireless.powersave", POWERSAVE_DISABLE])
        self._ok(["device", "reapply", self.wifi_interface])
        self._restore_powersave = (connection, current)

    def restore(self) -> None:
        if self._restore_powersave is None:
            return
        connection, value = self._restore_powersave
        self._restore_powersave = None
        self._ok(["connection", "modify", connection, "802-11-wireless.powersave", value])
