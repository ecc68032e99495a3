"""Time zone: names checked against the IANA database before anything runs; timedatectl's call recorded by an
injected runner (this machine's own zone must not change)."""

from __future__ import annotations

import subprocess

import pytest

from system_pkg.clock.timezone import SimulatedZone, TimedatectlZone, TimezoneError


def test_a_real_zone_is_set_with_timedatectl():
    calls = []
    zone = TimedatectlZone(run=lambda args: calls.append(list(args)) or subprocess.CompletedProcess(args, 0, "", ""))
    zone.set(" Europe/Berlin ")
    assert calls == [["timedatectl", "set-timezone", "Europe/Berlin"]]


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin; reboot"])
def test_a_name_that_is_not_a_zone_is_refused_before_anything_runs(name):
    calls = []
    with pytest.raises(TimezoneError, match="is not a time zone name"):
        TimedatectlZone(run=lambda args: calls.append(args)).set(name)
    assert calls == []


def test_timedatectl_refusing_says_why():
    refuse = TimedatectlZone(run=lambda args: subprocess.CompletedProcess(
        args, 1, "", "Failed to set time zone: Access denied\n"))
    with pytest.raises(TimezoneError, match="Access denied"):
        refuse.set("Asia/Tokyo")


def test_simulated_zone_keeps_the_name():
    zone = SimulatedZone()
    zone.set("America/New_York")
    assert zone.zone == "America/New_York"
