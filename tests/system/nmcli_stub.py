"""Put the fake nmcli (fake_nmcli.py) on PATH for a test, with a network state it keeps and the calls it got."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FAKE = Path(__file__).resolve().parent / "fake_nmcli.py"

DEFAULT_STATE = {
    "wifi_interface": "wlan0",
    "active": "Home: 2.4GHz",
    "ip": "192.168.1.23",
    "usb_connected": True,
    "profiles": ["Home: 2.4GHz"],
    "powersave": {},
    "access_points": [
        {"ssid": "Home: 2.4GHz", "signal": 71, "security": "WPA2", "password": "home-secret"},
        {"ssid": "Track", "signal": 88, "security": "WPA1 WPA2", "password": "race-day-2026"},
        {"ssid": "Track", "signal": 40, "security": "WPA1 WPA2", "password": "race-day-2026"},
        {"ssid": "Cafe", "signal": 35, "security": "", "password": ""},
        {"ssid": "", "signal": 90, "security": "WPA2", "password": "x"},
    ],
}


class NmcliStub:
    def __init__(self, folder: Path, state: dict | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "state.json").write_text(json.dumps(state or DEFAULT_STATE))
        (folder / "calls.jsonl").write_text("")
        program = folder / "nmcli"
        program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S -I "{FAKE}" "{folder}" "$@"\n')
        program.chmod(0o755)  # -S -I: no site packages to import, 60 ms a call instead of 400 on a busy machine

    @property
    def path_env(self) -> str:
        return f"{self.folder}{os.pathsep}{os.environ.get('PATH', '')}"

    def state(self) -> dict:
        return json.loads((self.folder / "state.json").read_text())

    def update(self, **changes) -> None:
        (self.folder / "state.json").write_text(json.dumps({**self.state(), **changes}))

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in (self.folder / "calls.jsonl").read_text().splitlines()]
