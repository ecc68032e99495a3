"""`fleet.txt`: how a car finds its event's broker, written by organisers like the original's wifi-creds.txt.

    # the event's broker (Mosquitto on the organiser's laptop)
    broker: 192.168.8.10
    port: 1883
    username: car3
    password: 'n0t-the-default'
    name: Car 3 (blue)

`key: value` lines, keys case-insensitive, quotes around a value optional, `#` starts a comment line (a `#`
inside a value is kept: passwords may hold one). Keys: broker (required), port, tls, ca_file, username,
password, name. The file is in the car's data dir, or at the top of a USB stick. The password is never put
in a repr, a log line or an error message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fleet_pkg.protocol import ALL, CAR_ID_PATTERN

FILE_NAME = "fleet.txt"
KEYS = ("broker", "port", "tls", "ca_file", "username", "password", "name")
_TRUE = {"yes", "true", "on", "1"}
_FALSE = {"no", "false", "off", "0"}
MAX_FILE_BYTES = 16 * 1024


class SettingsError(ValueError):
    """fleet.txt cannot be used; the message names the file, the line and what to write instead."""


@dataclass(frozen=True)
class FleetSettings:
    broker: str
    port: int = 1883
    tls: bool = False
    ca_file: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    name: str = ""

    def car_id(self, fallback: str) -> str:
        """The car's topic name: its broker username (so one ACL pattern serves every car), else a safe form of
        its name, else of `fallback` (serial or hostname)."""
        if self.username:
            return self.username
        for raw in (self.name, fallback):
            safe = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-")[:64]
            if safe and safe != ALL:
                return safe
        return "deepracer"


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_settings(text: str, source: str = FILE_NAME) -> FleetSettings:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        where = f"{source} line {number}"
        if not sep:
            raise SettingsError(f"{where}: expected 'key: value' (for example 'broker: 192.168.8.10')")
        if key not in KEYS:
            raise SettingsError(f"{where}: unknown key {key!r}; the keys are {', '.join(KEYS)}")
        if key in values:
            raise SettingsError(f"{where}: {key} is given twice; keep one")
        values[key] = _unquote(value)
    broker = values.get("broker", "")
    if not broker:
        raise SettingsError(f"{source}: 'broker: <address of the event's MQTT broker>' is missing")
    if not re.fullmatch(r"[A-Za-z0-9.:_-]+", broker):
        raise SettingsError(f"{source}: broker {broker!r} is not a host name or address")
    tls_text = values.get("tls", "no").lower()
    if tls_text not in _TRUE | _FALSE:
        raise SettingsError(f"{source}: tls must be yes or no, got {values['tls']!r}")
    tls = tls_text in _TRUE
    port_text = values.get("port", "8883" if tls else "1883")
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise SettingsError(f"{source}: port must be a number from 1 to 65535, got {port_text!r}")
    ca_file = values.get("ca_file", "")
    if ca_file and not tls:
        raise SettingsError(f"{source}: ca_file is given but tls is off: add 'tls: yes' or remove ca_file")
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise SettingsError(f"{source}: ca_file {ca_file} does not exist")
    username = values.get("username", "")
    if username and (not CAR_ID_PATTERN.fullmatch(username) or username == ALL):
        raise SettingsError(f"{source}: username {username!r} names the car's topics: use letters, digits, '_' "
                            f"or '-' (at most 64), not {ALL!r}")
    password = values.get("password", "")
    if password and not username:
        raise SettingsError(f"{source}: a password is given without a username: add 'username: <car's login>'")
    return FleetSettings(broker, int(port_text), tls, str(Path(ca_file).expanduser()) if ca_file else "",
                         username, password, values.get("name", "")[:64])


def find_settings_file(data_dir_file: Path, usb_mount_root: Path | None) -> Path | None:
    """The data dir's fleet.txt, else one at the top of a mounted USB stick (<root>/<stick>/ or
    <root>/<user>/<stick>/, as desktop and udisks mounts lay them out)."""
    if data_dir_file.is_file():
        return data_dir_file
    if usb_mount_root is None or not usb_mount_root.is_dir():
        return None
    try:
        candidates = sorted(usb_mount_root.glob(f"*/{FILE_NAME}")) + sorted(usb_mount_root.glob(f"*/*/{FILE_NAME}"))
    except OSError:
        return None
    return next((c for c in candidates if c.is_file()), None)


def read_settings(path: Path) -> FleetSettings:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SettingsError(f"{path}: is larger than {MAX_FILE_BYTES // 1024} KB: is it the right file?")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: is not UTF-8 text") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot read it ({error.strerror})") from None
    return parse_settings(text, str(path))
