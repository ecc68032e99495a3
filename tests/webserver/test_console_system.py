"""The console's battery, network, SSH and update routes over real HTTP, in front of the system package's own
simulated parts (robot/system_bridge.InProcessSystem: what the system node runs on a laptop; test_system_node_dds
runs the real node)."""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

from system_pkg.update.releases import progress_line
from webserver_pkg.robot.system_bridge import BatteryView
from webserver_pkg.views.system import EXTENSION


@pytest.fixture
def api(console_server):
    return console_server.logged_in_client()


@pytest.fixture
def system(console_server):
    return console_server.app.extensions[EXTENSION]


def test_battery_level_as_the_original_with_the_low_warning_and_the_reason_when_unknown(api, system):
    system.battery_view = BatteryView(2, True)
    assert api.get("/api/get_battery_level").json() == {"success": True, "battery_level": 2, "low": True}
    system.battery_view = BatteryView(-1, False, "battery gauge not answering on I2C bus 7 address 0x3f")
    reply = api.get("/api/get_battery_level").json()
    assert reply["battery_level"] == -1 and "I2C bus 7" in reply["reason"]
    system.battery_view = None
    assert api.get("/api/get_battery_level").json()["battery_level"] == -1


def test_network_details_and_the_usb_link(api):
    assert api.get("/api/get_network_details").json() == {"success": True, "SSID": "deepracer-track",
                                                          "ip_address": "127.0.0.1", "is_usb_connected": False}
    assert api.get("/api/is_usb_connected").json() == {"success": True, "is_usb_connected": False}


def test_available_wifi_is_the_originals_bare_list_with_bars(api):
    assert api.get("/api/available_wifi_info").json() == [
        {"ssid": "deepracer-track", "strength": 3, "security_info": "WPA2"},
        {"ssid": "event-staff", "strength": 3, "security_info": "WPA1 WPA2"},
        {"ssid": "guest", "strength": 2, "security_info": "Open"}]


def test_wifi_reset_joins_or_says_why_and_keeps_the_network(api, system):
    refused = api.post("/api/wifi_reset", {"wifi_name": "event-staff", "wifi_password": "short"})
    assert refused.status == 409 and refused.json()["success"] is False
    assert "password was refused" in refused.json()["reason"] and "still on 'deepracer-track'" in refused.json()[
        "reason"]
    assert api.get("/api/get_network_details").json()["SSID"] == "deepracer-track"
    joined = api.post("/api/wifi_reset", {"wifi_name": "event-staff", "wifi_password": "staff-only-2026"})
    assert joined.json() == {"success": True, "ip_address": "127.0.0.1"}
    assert api.get("/api/get_network_details").json()["SSID"] == "event-staff"


@pytest.mark.parametrize(("body", "says"), [({}, "wifi_name must be a non-empty string"),
                                            ({"wifi_name": 7}, "wifi_name must be a non-empty string"),
                                            ({"wifi_name": "x" * 33}, "at most 32 bytes"),
                                            ({"wifi_name": "a\nb"}, "line breaks"),
                                            ({"wifi_name": "guest", "wifi_password": ["x"]}, "must be a string")])
def test_wifi_reset_bad_input_says_what_to_fix(api, body, says):
    reply = api.post("/api/wifi_reset", body)
    assert reply.status == 400 and says in reply.json()["reason"]


def test_ssh_on_off_needs_csrf_and_the_password_change_checks_the_old_one(api, console_server):
    assert api.get("/api/isSshEnabled").json() == {"success": True, "isSshEnabled": False}
    assert api.get("/api/isSshDefaultPasswordChanged").json() == {"success": True,
                                                                 "isDefaultSshPasswordChanged": False}
    as_get = api.get("/api/enableSsh")  # the original's GET, without the token a link cannot send
    assert as_get.status == 403 and "X-CSRF-Token" in as_get.json()["reason"]
    no_csrf = api.request("POST", "/api/enableSsh", json_body={}, csrf=False)
    assert no_csrf.status == 403
    assert api.post("/api/enableSsh").status == 200
    assert api.get("/api/isSshEnabled").json()["isSshEnabled"] is True
    wrong = api.post("/api/resetSshPassword", {"oldPassword": "guess", "newPassword": "long-enough-1"})
    assert wrong.status == 409 and "old password is not right" in wrong.json()["reason"]
    short = api.post("/api/resetSshPassword", {"oldPassword": "deepracer", "newPassword": "short"})
    assert short.status == 409 and "at least 8" in short.json()["reason"]
    assert api.post("/api/resetSshPassword", {"oldPassword": "deepracer", "newPassword": "long-enough-1"}).status \
        == 200
    assert api.get("/api/isSshDefaultPasswordChanged").json()["isDefaultSshPasswordChanged"] is True
    assert api.post("/api/disableSsh").status == 200
    assert api.get("/api/isSshEnabled").json()["isSshEnabled"] is False


def test_is_software_update_available_answers_as_the_original_from_the_package_index(api, system):
    route = "/api/is_software_update_available"
    assert api.get(route).json() == {"success": True, "status": False, "version": "", "updates": "on"}
    system.available_version = "2.1.0"
    assert api.get(route).json() == {"success": True, "status": True, "version": "2.1.0", "updates": "on"}
    system.availability_problem = "the package index https://pypi.org/simple cannot be reached: is the car online?"
    reply = api.get(route)
    assert reply.status == 409
    assert reply.json() == {"success": False, "reason": system.availability_problem}
    # A car that cannot look for a new version answers "no update" as the original would, and says why (ours).
    for updates in ("usb_only", "off"):
        system.updates = updates
        assert api.get(route).json() == {"success": True, "status": False, "version": "", "updates": updates}


def test_update_status_streams_each_change_until_the_update_ends(api, console_server, system):
    assert api.post("/api/begin_software_update").status == 409  # no stick with a package here
    system.status = progress_line("installing", 10)
    url = urllib.parse.urlsplit(console_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    cookie = "; ".join(f"{c.name}={c.value}" for c in api.cookies)
    connection.request("GET", "/api/update_status", headers={"Cookie": cookie})
    response = connection.getresponse()
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    assert response.readline() == b"data: status:installing|update_pct:10\n" and response.readline() == b"\n"
    system.status = progress_line("verifying", 70)
    assert response.readline() == b"data: status:verifying|update_pct:70\n" and response.readline() == b"\n"
    system.status = progress_line("failed", 100)
    assert response.read() == b"data: status:failed|update_pct:100\n\n"  # and the stream ends
    connection.close()


def test_set_timezone_checks_the_name(api, system):
    assert api.post("/api/set_timezone", {"timezone": "Europe/Berlin"}).json()["timezone"] == "Europe/Berlin"
    assert system.zone.zone == "Europe/Berlin"
    refused = api.post("/api/set_timezone", {"timezone": "Mars/Olympus"})
    assert refused.status == 409 and "IANA name" in refused.json()["reason"] and system.zone.zone == "Europe/Berlin"
    assert api.post("/api/set_timezone", {"timezone": 3}).status == 400
