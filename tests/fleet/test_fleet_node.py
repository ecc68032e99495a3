"""The fleet node on its own, as a real process: off (no connection) without fleet.txt, connected when the file
appears, offline when it goes; a bad fleet.txt is named in the log, and the node keeps running. No other node of
the stack runs, so its status carries no drive state and commands that need the stack say which node is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleet.broker import ORGANISER, Broker, car_credentials

from fleet_pkg.organiser import FleetClient
from fleet_pkg.settings import FleetSettings
from support.rosgraph import NodeProcess, wait_for


@pytest.fixture(scope="module")
def broker():
    broker = Broker(["car5"])
    yield broker
    broker.stop()


def test_the_link_follows_fleet_txt_appearing_breaking_and_going(broker, tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.txt"
    organiser = FleetClient(FleetSettings("127.0.0.1", broker.port, username=ORGANISER[0], password=ORGANISER[1]))
    node = NodeProcess("fleet_pkg", "fleet_node", {
        "fleet_file": str(fleet_file), "usb_mount_root": str(tmp_path / "media"), "settings_poll_s": 0.2,
        "models_root": str(tmp_path / "models"), "logs_dir": str(tmp_path / "logs"), "service_timeout_s": 0.5})
    try:
        wait_for(lambda: "fleet link off: no fleet.txt" in node.output(), 60, f"the node saying it is off\n"
                 f"{node.output()}")
        assert "u'car5'" not in broker.output()  # no connection attempt at all
        user, password = car_credentials("car5")
        fleet_file.write_text(f"broker: 127.0.0.1\nport: {broker.port}\nusername: {user}\npassword: {password}\n")
        wait_for(lambda: (organiser.status(user) or {}).get("online"), 30, f"car5 online\n{node.output()}")
        outcome = organiser.wait(organiser.send("stop", cars=[user]), 15)
        assert not outcome.replies[user].ok and "is the navigation node running?" in outcome.replies[user].reason
        fleet_file.write_text("broker: 127.0.0.1\nprot: 1883\n")  # a typo: the link goes off, the node says why
        wait_for(lambda: (organiser.status(user) or {}).get("online") is False, 30, "car5 offline")
        wait_for(lambda: "unknown key 'prot'" in node.output(), 10, "the typo named in the log")
        assert node.running()
        fleet_file.unlink()
        wait_for(lambda: node.output().count("fleet link off: no fleet.txt") == 2, 10, "off again")
    finally:
        organiser.close()
        code = node.stop()
    assert code == 0, node.output()
    assert password not in node.output()
