"""Integration: the real console node in front of the real system node over real DDS, driven over HTTP: the
battery from a power-supply tree (a temporary folder: no battery here), Wi-Fi through the fake nmcli on PATH
(tests/system/fake_nmcli.py), SSH on the simulated backend."""

from __future__ import annotations

import re
import signal

import pytest
from system.nmcli_stub import NmcliStub
from webserver.console_client import HttpClient

from support.rosgraph import NodeProcess, wait_for

PASSWORD = "system-console-asset-tag"
SLOW_S = 30.0


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-system")
    (folder / "tag").write_text(PASSWORD)
    supply = folder / "power_supply" / "BAT0"
    supply.mkdir(parents=True)
    (supply / "type").write_text("Battery\n")
    (supply / "capacity").write_text("10\n")
    stub = NmcliStub(folder / "nmcli-bin")
    system = NodeProcess("system_pkg", "system_node", {
        "battery_backend": "power_supply", "power_supply_root": str(folder / "power_supply"),
        "battery_period_s": 0.5, "network_backend": "nmcli"}, env={"PATH": stub.path_env})
    webserver = NodeProcess("webserver_pkg", "webserver_node", {
        "port": 0, "console_dir": str(folder / "console"), "models_root": str(folder / "models"),
        "asset_tag_path": str(folder / "tag"), "service_timeout_s": 5.0}, env={"ROS_LOG_DIR": str(folder / "log")})
    try:
        banner = wait_for(lambda: re.search(r"Console: (http://127\.0\.0\.1:\d+)", webserver.output()), SLOW_S,
                          "the console's start banner")
        http = HttpClient(banner.group(1))
        assert http.login(PASSWORD).status == 200
        yield http, stub
    finally:
        code = webserver.stop(signal.SIGINT)
        assert system.stop(signal.SIGINT) == 0, system.output()
        assert code == 0, webserver.output()


def test_battery_level_reaches_the_console_with_the_low_warning(client):
    http, _ = client
    reading = wait_for(lambda: (r := http.get("/api/get_battery_level").json())["battery_level"] >= 0 and r, SLOW_S,
                       "the system node's battery level in the console")
    assert reading == {"success": True, "battery_level": 1, "low": True}


def test_network_and_a_failed_join_through_the_system_node(client):
    http, stub = client
    details = wait_for(lambda: (r := http.get("/api/get_network_details")).status == 200 and r.json(), SLOW_S,
                       "network details from the system node")
    assert details == {"success": True, "SSID": "Home: 2.4GHz", "ip_address": "192.168.1.23",
                       "is_usb_connected": True}
    assert [n["ssid"] for n in http.get("/api/available_wifi_info").json()] == ["Track", "Home: 2.4GHz", "Cafe"]
    refused = http.post("/api/wifi_reset", {"wifi_name": "Track", "wifi_password": "wrong-one-here"})
    assert refused.status == 409 and "password was refused" in refused.json()["reason"]
    assert stub.state()["active"] == "Home: 2.4GHz"
    joined = http.post("/api/wifi_reset", {"wifi_name": "Track", "wifi_password": "race-day-2026"})
    assert joined.json() == {"success": True, "ip_address": "192.168.1.23"} and stub.state()["active"] == "Track"


def test_ssh_through_the_system_node(client):
    http, _ = client
    assert http.get("/api/isSshEnabled").json() == {"success": True, "isSshEnabled": False}
    assert http.post("/api/enableSsh").status == 200
    assert http.get("/api/isSshEnabled").json()["isSshEnabled"] is True
