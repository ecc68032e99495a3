"""The system node as a real process over real DDS, on its real backends where this machine can hold them:
the power-supply battery on a temporary /sys/class/power_supply tree, the NetworkManager backend against the
fake nmcli on PATH (tests/system/fake_nmcli.py), the GPIO LEDs on a temporary /sys/class/gpio tree, a
temporary folder as the USB mount root (no mount points can be made here, so any folder in it is a stick), and a
real package index on 127.0.0.1 (tests/system/package_index_fixture.py) with real pip for updates from it."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger
from system.nmcli_stub import NmcliStub
from system.package_index_fixture import index_with

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import BatteryLevel
from deepracer_interfaces_pkg.srv import (
    ConnectWifi,
    GetNetworkDetails,
    GetSshState,
    ListWifi,
    SetSshPassword,
    SetTimezone,
)
from support.rosgraph import NodeProcess, wait_for
from system_pkg.leds.gpio_leds import POWER_LED_LINES, WIFI_LED_LINES
from system_pkg.update.releases import SELF_CHECK, Releases

SLOW_S = 30.0  # a loaded machine: every nmcli call is a process


def _release(folder: Path) -> None:
    check = folder / SELF_CHECK
    check.parent.mkdir(parents=True)
    check.write_text("#!/bin/sh\nexit 0\n")
    check.chmod(0o755)


@pytest.fixture(scope="module")
def car(ros_probe, tmp_path_factory):
    root = tmp_path_factory.mktemp("system-car")
    supply = root / "power_supply" / "BAT0"
    supply.mkdir(parents=True)
    (supply / "type").write_text("Battery\n")
    (supply / "capacity").write_text("15\n")
    gpio = root / "gpio"
    gpio.mkdir()
    (gpio / "export").write_text("")
    for number in (*POWER_LED_LINES, *WIFI_LED_LINES):
        (gpio / f"gpio{number}").mkdir()
        (gpio / f"gpio{number}" / "value").write_text("0")
        (gpio / f"gpio{number}" / "direction").write_text("in")
    media = root / "media"
    media.mkdir()
    stub = NmcliStub(root / "nmcli-bin")
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    (root / "update-key.pem").write_bytes(public)
    install_root = root / "install"
    Releases(install_root).install("1.0.0", _release)
    battery = ros_probe.subscribe(BatteryLevel, names.SYSTEM_BATTERY_LEVEL, qos.LATCHED)
    usb_logs = ros_probe.subscribe(String, names.SYSTEM_USB_LOGS_DIR, qos.LATCHED)
    parameters = {"battery_backend": "power_supply", "power_supply_root": str(root / "power_supply"),
                  "battery_period_s": 0.5, "low_battery_level": 2, "network_backend": "nmcli",
                  "led_backend": "gpio", "gpio_root": str(gpio), "usb_mount_root": str(media),
                  "usb_require_mount_point": False, "usb_poll_s": 0.2, "models_root": str(root / "models"),
                  "install_root": str(install_root), "update_public_key": str(root / "update-key.pem"),
                  "update_package": "deepracer-stack-probe"}
    # PIP_CONFIG_FILE: the machine's pip configuration (an extra index, a proxy) must not send pip anywhere else.
    with index_with(root, {"1.2.0": True}) as index_url, \
            NodeProcess("system_pkg", "system_node", {**parameters, "update_index_url": index_url},
                        env={"PATH": stub.path_env, "PIP_CONFIG_FILE": "/dev/null"}) as node:
        yield Car(ros_probe, node, stub, supply, gpio, media, battery, usb_logs, key, install_root)
        assert node.stop() == 0, node.output()
        # Power save was turned off while the node ran, and is back as it was after it stopped.
        assert stub.state()["powersave"]["Home: 2.4GHz"] == "0 (default)"


class Car:
    def __init__(self, probe, node, stub, supply, gpio, media, battery, usb_logs, key, install_root) -> None:
        self.probe, self.node, self.stub, self.supply, self.gpio, self.media = probe, node, stub, supply, gpio, media
        self.battery, self.usb_logs, self.key, self.install_root = battery, usb_logs, key, install_root

    def led(self, lines) -> tuple[str, str, str]:
        return tuple((self.gpio / f"gpio{n}" / "value").read_text() for n in lines)


def test_battery_level_is_published_with_the_low_warning_and_follows_the_gauge(car):
    first = car.battery.wait_for(lambda m: m.level >= 0, timeout=SLOW_S, what="a battery level")
    assert (first.level, first.low, first.source) == (2, True, "power_supply")
    assert "battery low: level 2 of 11" in car.node.output()
    (car.supply / "capacity").write_text("100\n")
    full = car.battery.wait_for(lambda m: m.level == 11, timeout=SLOW_S, what="level 11 after charging")
    assert not full.low


def test_network_services_answer_from_network_manager(car):
    details = car.probe.call(GetNetworkDetails, names.SYSTEM_GET_NETWORK_DETAILS, GetNetworkDetails.Request(),
                             timeout=SLOW_S)
    assert (details.success, details.ssid, details.ip_address, details.usb_connected) == \
        (True, "Home: 2.4GHz", "192.168.1.23", True)
    scan = car.probe.call(ListWifi, names.SYSTEM_LIST_WIFI, ListWifi.Request(), timeout=SLOW_S)
    assert list(scan.ssid) == ["Track", "Home: 2.4GHz", "Cafe"] and list(scan.strength) == [88, 71, 35]
    assert list(scan.security) == ["WPA1 WPA2", "WPA2", "Open"]
    # Wi-Fi LED (448, 446, 450) blue while connected; power LED (437, 443, 458) blue while running.
    wait_for(lambda: car.led(WIFI_LED_LINES) == ("0", "0", "1") and car.led(POWER_LED_LINES) == ("0", "0", "1"),
             SLOW_S, "both status LEDs blue")
    assert car.stub.state()["powersave"]["Home: 2.4GHz"] == "2 (disable)"  # off while the stack runs


def test_a_wrong_password_fails_with_the_reason_keeps_the_network_and_shows_red(car):
    answer = car.probe.call(ConnectWifi, names.SYSTEM_CONNECT_WIFI,
                            ConnectWifi.Request(ssid="Track", password="not-it-at-all"), timeout=SLOW_S)
    assert not answer.success and "password was refused" in answer.reason and "Home: 2.4GHz" in answer.reason
    assert car.stub.state()["active"] == "Home: 2.4GHz"
    wait_for(lambda: car.led(WIFI_LED_LINES) == ("1", "0", "0"), SLOW_S, "the Wi-Fi LED red after the failure")


def test_a_stick_inserted_joins_its_network_writes_status_and_offers_its_logs_folder(car):
    stick = car.media / "RACER"
    (stick / "logs").mkdir(parents=True)
    (stick / "wifi-creds.txt").write_text("ssid: 'Track'\npassword: race-day-2026\n")
    wait_for(lambda: (stick / "device-status.txt").exists(), SLOW_S, "device-status.txt on the stick")
    assert car.stub.state()["active"] == "Track"
    assert "network: Track" in (stick / "device-status.txt").read_text()
    car.usb_logs.wait_for(lambda m: m.data == str(stick / "logs"), timeout=SLOW_S, what="the stick's logs folder")
    shutil.rmtree(stick)
    car.usb_logs.wait_for(lambda m: m.data == "", timeout=SLOW_S, what="no USB logs folder once removed")


def test_ssh_services_on_the_simulated_backend(car):
    state = car.probe.call(GetSshState, names.SYSTEM_GET_SSH_STATE, GetSshState.Request(), timeout=SLOW_S)
    assert (state.success, state.enabled, state.default_password_changed) == (True, False, False)
    assert car.probe.call(SetBool, names.SYSTEM_SET_SSH_ENABLED, SetBool.Request(data=True), timeout=SLOW_S).success
    short = car.probe.call(SetSshPassword, names.SYSTEM_SET_SSH_PASSWORD,
                           SetSshPassword.Request(old_password="deepracer", new_password="short"), timeout=SLOW_S)
    assert not short.success and "at least 8" in short.reason
    changed = car.probe.call(SetSshPassword, names.SYSTEM_SET_SSH_PASSWORD,
                             SetSshPassword.Request(old_password="deepracer", new_password="a-long-one-2026"),
                             timeout=SLOW_S)
    assert changed.success
    state = car.probe.call(GetSshState, names.SYSTEM_GET_SSH_STATE, GetSshState.Request(), timeout=SLOW_S)
    assert (state.enabled, state.default_password_changed) == (True, True)


def test_time_zone_names_are_checked(car):
    bad = car.probe.call(SetTimezone, names.SYSTEM_SET_TIMEZONE, SetTimezone.Request(timezone="Mars/Olympus"),
                         timeout=SLOW_S)
    assert not bad.success and "IANA name" in bad.reason
    assert car.probe.call(SetTimezone, names.SYSTEM_SET_TIMEZONE, SetTimezone.Request(timezone="Asia/Tokyo"),
                          timeout=SLOW_S).success


def test_an_update_from_a_stick_that_fails_its_self_check_leaves_the_running_release(car):
    status = car.probe.subscribe(String, names.SYSTEM_UPDATE_STATUS, qos.LATCHED)
    update = car.media / "UPDATE" / "update"
    update.mkdir(parents=True)
    script = b"#!/bin/sh\necho 'inference node did not start' >&2\nexit 1\n"
    archive = update / "deepracer-stack-1.1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(str(SELF_CHECK))
        info.size, info.mode = len(script), 0o755
        tar.addfile(info, io.BytesIO(script))
    (update / (archive.name + ".sig")).write_bytes(car.key.sign(archive.read_bytes()))
    answer = wait_for(lambda: (r := car.probe.call(Trigger, names.SYSTEM_BEGIN_UPDATE, Trigger.Request(),
                                                    timeout=SLOW_S)).success and r, SLOW_S, "the update to start")
    assert "1.1.0" in answer.message
    status.wait_for(lambda m: m.data == "status:failed|update_pct:100", timeout=SLOW_S, what="the update failing")
    assert Releases(car.install_root).current() == "1.0.0" and Releases(car.install_root).installed() == ["1.0.0"]
    wait_for(lambda: "inference node did not start" in car.node.output(), SLOW_S, "the reason in the log")
    shutil.rmtree(car.media / "UPDATE")


def test_an_update_from_the_package_index_is_offered_then_installed_and_switched_in(car):
    # Runs after the stick's update: a signed package on a stick comes first, the index when there is none.
    status = car.probe.subscribe(String, names.SYSTEM_UPDATE_STATUS, qos.LATCHED)

    def available() -> Trigger.Response:
        return car.probe.call(Trigger, names.SYSTEM_UPDATE_AVAILABLE, Trigger.Request(), timeout=SLOW_S)
    offered = wait_for(lambda: (r := available()).success and r, SLOW_S, "the index's answer")
    assert offered.message == "1.2.0"
    answer = car.probe.call(Trigger, names.SYSTEM_BEGIN_UPDATE, Trigger.Request(), timeout=SLOW_S)
    assert answer.success and "installing version 1.2.0 from the package index http://127.0.0.1:" in answer.message
    status.wait_for(lambda m: m.data == "status:complete|update_pct:100", timeout=3 * SLOW_S,
                    what="the update from the index completing")
    assert Releases(car.install_root).current() == "1.2.0"
    wait_for(lambda: (r := available()).success and r.message == "", SLOW_S, "up to date after the update")
    refused = car.probe.call(Trigger, names.SYSTEM_BEGIN_UPDATE, Trigger.Request(), timeout=SLOW_S)
    assert not refused.success and "this car runs the newest version on http://127.0.0.1:" in refused.message
