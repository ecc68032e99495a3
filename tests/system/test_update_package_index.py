"""Software update from a package index: a real index on 127.0.0.1 (PEP 503 simple layout, wheels built by the
test), real pip installing into a new release folder beside the running one, the release's own self-check deciding
whether it is switched in. Nothing reaches any address but loopback (pip gets only --index-url of that server)."""

from __future__ import annotations

import subprocess

import pytest
from system.package_index_fixture import MODULE, PACKAGE, index_with

from system_pkg.update.availability import Availability, AvailabilityCheck
from system_pkg.update.package_index import PackageIndex, normalized, version_of
from system_pkg.update.releases import SELF_CHECK, Releases, UpdateError


@pytest.fixture(autouse=True)
def _no_pip_configuration(monkeypatch):
    # The machine's pip configuration (an extra index, a proxy) must not send this test anywhere else.
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    for name in ("PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)


def _running(tmp_path, version: str = "1.0.0") -> Releases:
    releases = Releases(tmp_path / "install")

    def build(folder):
        check = folder / SELF_CHECK
        check.parent.mkdir(parents=True)
        check.write_text("#!/bin/sh\nexit 0\n")
        check.chmod(0o755)
    releases.install(version, build)
    return releases


def test_file_names_give_the_version_of_this_package_only():
    assert normalized("DeepRacer_Stack.probe") == "deepracer-stack-probe"
    assert version_of("deepracer_stack_probe-1.2.0-py3-none-any.whl", PACKAGE) == "1.2.0"
    assert version_of("deepracer-stack-probe-1.10.0.tar.gz#sha256=ab", PACKAGE) == "1.10.0"
    assert version_of("other_pkg-9.0-py3-none-any.whl", PACKAGE) is None
    assert version_of("deepracer_stack_probe-1.2.0.exe", PACKAGE) is None


def test_a_version_that_passes_its_self_check_is_switched_in_and_one_that_fails_is_rolled_back(tmp_path):
    releases = _running(tmp_path)
    with index_with(tmp_path, {"1.1.0": True, "1.2.0": False, "1.3.0rc1": True, "1.4.0": True},
                    yanked=("1.4.0",)) as url:
        index = PackageIndex(url, PACKAGE)
        assert index.versions() == ["1.1.0", "1.2.0"]  # no release candidate, nothing withdrawn
        assert index.newer_than("1.0.0") == "1.2.0"
        assert index.newer_than("1.2.0") == "" and index.newer_than("1.10.0") == ""

        events: list[tuple[str, int]] = []
        releases.install("1.1.0", index.install_into("1.1.0"), lambda s, p: events.append((s, p)))
        assert releases.current() == "1.1.0" and events[-1] == ("complete", 100)
        # The switched-in release is a working environment: its own module, the running one's libraries.
        release = tmp_path / "install" / "current"
        ran = subprocess.run([str(release / "bin" / "python"), "-c", f"import {MODULE}; print({MODULE}.VERSION)"],
                             capture_output=True, text=True, check=True)
        assert ran.stdout.strip() == "1.1.0"

        events.clear()
        with pytest.raises(UpdateError, match=r"failed its self-check \(camera node did not start\); still running "
                                              r"1\.1\.0"):
            releases.install("1.2.0", index.install_into("1.2.0"), lambda s, p: events.append((s, p)))
    assert releases.current() == "1.1.0" and "1.2.0" not in releases.installed()
    assert events[-1] == ("failed", 100) and ("verifying", 70) in events


def test_a_package_the_index_lacks_and_an_index_that_is_down_say_so(tmp_path):
    with index_with(tmp_path, {"1.1.0": True}) as url, pytest.raises(UpdateError, match="has no package 'no-such"):
        PackageIndex(url, "no-such-stack").versions()
    with pytest.raises(UpdateError, match=r"cannot be reached .*is the car online"):
        PackageIndex(url, PACKAGE, timeout_s=5).versions()  # the server is gone: its port refuses


def test_the_availability_check_keeps_the_latest_answer_and_a_failure_says_why(tmp_path):
    running = ["1.0.0"]
    with index_with(tmp_path, {"1.1.0": True}) as url:
        check = AvailabilityCheck(PackageIndex(url, PACKAGE), lambda: running[0])
        assert check.latest() == Availability() and "not been checked yet" in check.latest().describe(url)
        assert check.check() == Availability(newer="1.1.0", checked=True) == check.latest()
        running[0] = "1.1.0"
        assert check.check().newer == ""
        assert check.latest().describe(url) == f"this car runs the newest version on {url}"
    down = check.check()  # the server is gone
    assert down.newer == "" and "cannot be reached" in down.problem and down.describe(url) == down.problem


def test_the_index_parameters_are_checked_when_the_node_starts():
    from system_pkg.config import SystemConfig
    assert SystemConfig(update_index_url="https://pypi.org/simple").update_package == "deepracer-stack"
    with pytest.raises(ValueError, match="update_index_url must be an http"):
        SystemConfig(update_index_url="pypi.org/simple")
    with pytest.raises(ValueError, match="update_check_period_s must be a number of seconds in"):
        SystemConfig(update_check_period_s=1.0)
    with pytest.raises(ValueError, match="is not a package name"):
        PackageIndex("https://pypi.org/simple", "deepracer stack")
