"""The NetworkManager backend against a fake nmcli run from PATH as a real program (fake_nmcli.py: this
machine's own network must never change), answering in nmcli's terse formats and recording its calls."""

from __future__ import annotations

import pytest

from system_pkg.network.base import NetworkDetails, NetworkError, WifiNetwork, signal_bars
from system_pkg.network.network_manager import NmcliNetwork
from system_pkg.network.nmcli import NmcliRunner, split_terse


def test_terse_fields_unescape_colons_and_backslashes():
    assert split_terse(r"no:Home\: 2.4GHz:71:WPA2") == ["no", "Home: 2.4GHz", "71", "WPA2"]
    assert split_terse(r"a\\b:31\:23\:03::") == ["a\\b", "31:23:03", "", ""]


def test_details_are_the_active_ssid_its_address_and_the_usb_link(nmcli):
    assert NmcliNetwork().details() == NetworkDetails("Home: 2.4GHz", "192.168.1.23", True)


def test_details_when_not_on_wifi_and_no_usb(nmcli):
    nmcli.update(active="", usb_connected=False)
    assert NmcliNetwork().details() == NetworkDetails("", "", False)


def test_scan_is_one_entry_per_name_strongest_first_hidden_left_out_open_said(nmcli):
    assert NmcliNetwork().scan() == [WifiNetwork("Track", 88, "WPA1 WPA2"), WifiNetwork("Home: 2.4GHz", 71, "WPA2"),
                                     WifiNetwork("Cafe", 35, "Open")]
    assert nmcli.calls()[-1][-2:] == ["--rescan", "yes"]


def test_connect_joins_and_answers_the_new_address(nmcli):
    result = NmcliNetwork().connect("Track", "race-day-2026")
    assert result.success and result.ip_address == "192.168.1.23"
    assert nmcli.state()["active"] == "Track"
    join = next(call for call in nmcli.calls() if "connect" in call)
    assert join == ["-w", "20", "device", "wifi", "connect", "Track", "password", "race-day-2026", "ifname", "wlan0"]


def test_wrong_password_says_so_and_goes_back_to_the_old_network(nmcli):
    result = NmcliNetwork().connect("Track", "wrong-password")
    assert not result.success
    assert "password was refused" in result.reason and "back on 'Home: 2.4GHz'" in result.reason
    assert nmcli.state()["active"] == "Home: 2.4GHz"
    assert ["connection", "up", "id", "Home: 2.4GHz"] in nmcli.calls()
    assert nmcli.state()["profiles"] == ["Home: 2.4GHz"]  # the failed join's profile is not kept


def test_joining_the_network_the_car_is_on_is_a_success_without_a_rejoin(nmcli):
    result = NmcliNetwork().connect("Home: 2.4GHz", "anything")
    assert result.success and result.ip_address == "192.168.1.23"
    assert not any("connect" in call for call in nmcli.calls())


def test_signal_bars_as_the_original():
    assert [signal_bars(s) for s in (0, 29, 30, 59, 60, 89, 90, 100)] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_a_name_typed_in_another_case_is_retried_as_the_scan_spells_it(nmcli):
    result = NmcliNetwork().connect("track ", "race-day-2026")
    assert result.success and nmcli.state()["active"] == "Track"
    joins = [call[5] for call in nmcli.calls() if "connect" in call]
    assert joins == ["track ", "Track"]


def test_an_unknown_network_says_it_is_not_in_range_and_keeps_the_old_one(nmcli):
    result = NmcliNetwork().connect("Nowhere", "whatever1")
    assert not result.success and "no network of that name is in range" in result.reason
    assert "still on 'Home: 2.4GHz'" in result.reason and nmcli.state()["active"] == "Home: 2.4GHz"


def test_power_save_off_while_running_and_restored_after(nmcli):
    network = NmcliNetwork()
    network.power_save_off()
    assert nmcli.state()["powersave"]["Home: 2.4GHz"] == "2 (disable)"
    assert ["device", "reapply", "wlan0"] in nmcli.calls()
    network.restore()
    assert nmcli.state()["powersave"]["Home: 2.4GHz"] == "0 (default)"


def test_no_nmcli_installed_is_said_plainly(tmp_path):
    with pytest.raises(NetworkError, match="nmcli is not installed"):
        NmcliNetwork(run=NmcliRunner(program=str(tmp_path / "nmcli"))).details()
