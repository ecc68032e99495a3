"""The system's zone name as the console reports it (/api/get_time). /etc cannot be written here: a temporary
symlink and file stand in for /etc/localtime (what timedatectl sets) and Debian's /etc/timezone."""

from __future__ import annotations

from pathlib import Path

from system_pkg.clock.timezone import local_zone_name


def test_the_zone_comes_from_the_localtime_link_else_etc_timezone(tmp_path: Path) -> None:
    localtime, timezone_file = tmp_path / "localtime", tmp_path / "timezone"
    assert local_zone_name(localtime, timezone_file) == ""
    timezone_file.write_text("Europe/Paris\n")
    assert local_zone_name(localtime, timezone_file) == "Europe/Paris"
    localtime.symlink_to("/usr/share/zoneinfo/America/New_York")
    assert local_zone_name(localtime, timezone_file) == "America/New_York"
