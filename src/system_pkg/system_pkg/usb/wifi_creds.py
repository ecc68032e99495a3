"""`wifi-creds.txt` on a USB stick: the original car's way to put it on a network without a screen.

Format (the original's, from the DeepRacer guide and aws-deepracer-systems-pkg): `key: value` lines; keys `ssid`
and `password`, in any case; a value may be wrapped in single or double quotes, which are removed; lines that
start with `#` are comments. The value is everything after the first ':', so an SSID or a password may itself
contain ':' or '#'.
"""

from __future__ import annotations

from dataclasses import dataclass

FILE_NAME = "wifi-creds.txt"


class WifiCredsError(ValueError):
    """The file cannot be used; str(error) says what to change in it."""


@dataclass(frozen=True)
class WifiCreds:
    ssid: str
    password: str


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_wifi_creds(text: str) -> WifiCreds:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")  # Windows editors start files with a byte-order mark
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise WifiCredsError(f"{FILE_NAME} line {number} is not 'key: value': {raw.strip()!r} "
                                 "(write e.g. ssid: 'MyNetwork')")
        values[key.strip().lower()] = _unquote(value)
    ssid = values.get("ssid", "")
    if not ssid:
        raise WifiCredsError(f"{FILE_NAME} has no ssid: line: add one, e.g. ssid: 'MyNetwork'")
    return WifiCreds(ssid=ssid, password=values.get("password", ""))
