"""Software update into a temporary install root: a release whose self-check fails is removed and the running
one stays; a passing one is switched in by one symlink; rollback goes back. The self-checks are real programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from system_pkg.update.releases import SELF_CHECK, Releases, UpdateError, progress_line


def _build(passes: bool, marker: str = ""):
    def build(folder: Path) -> None:
        (folder / "VERSION").write_text(marker)
        check = folder / SELF_CHECK
        check.parent.mkdir(parents=True)
        check.write_text("#!/bin/sh\n" + ("exit 0\n" if passes else "echo 'camera node did not start' >&2\nexit 3\n"))
        check.chmod(0o755)
    return build


def test_a_release_that_fails_its_self_check_is_rolled_back_and_the_old_one_keeps_running(tmp_path):
    releases = Releases(tmp_path)
    releases.install("1.0.0", _build(True, "one"))
    events = []
    refused = r"failed its self-check \(camera node did not start\); still running 1\.0\.0"
    with pytest.raises(UpdateError, match=refused):
        releases.install("1.1.0", _build(False), on_progress=lambda s, p: events.append(progress_line(s, p)))
    assert releases.current() == "1.0.0" and releases.installed() == ["1.0.0"]
    assert (tmp_path / "current" / "VERSION").read_text() == "one"
    assert events[-1] == "status:failed|update_pct:100" and "status:verifying|update_pct:70" in events


def test_a_passing_release_is_switched_in_and_the_previous_kept_for_rollback(tmp_path):
    releases = Releases(tmp_path)
    releases.install("1.0.0", _build(True, "one"))
    events = []
    releases.install("1.1.0", _build(True, "two"), on_progress=lambda s, p: events.append(progress_line(s, p)))
    assert releases.current() == "1.1.0" and (tmp_path / "current" / "VERSION").read_text() == "two"
    assert events[-1] == "status:complete|update_pct:100"
    releases.install("1.2.0", _build(True, "three"))
    assert releases.installed() == ["1.1.0", "1.2.0"]  # the running one and the one before
    assert releases.rollback() == "1.1.0" and (tmp_path / "current" / "VERSION").read_text() == "two"


def test_a_build_that_breaks_midway_leaves_nothing_behind(tmp_path):
    releases = Releases(tmp_path)
    releases.install("1.0.0", _build(True))

    def broken(folder: Path) -> None:
        (folder / "half").write_text("x")
        raise OSError(28, "No space left on device")

    with pytest.raises(UpdateError, match=r"No space left on device.*still running 1\.0\.0"):
        releases.install("2.0.0", broken)
    assert releases.installed() == ["1.0.0"]
    assert [p.name for p in (tmp_path / "releases").iterdir()] == ["1.0.0"]


def test_a_release_without_a_self_check_is_not_used(tmp_path):
    releases = Releases(tmp_path)
    with pytest.raises(UpdateError, match="cannot prove it starts"):
        releases.install("1.0.0", lambda folder: (folder / "VERSION").write_text("x"))
    assert releases.current() == "" and releases.installed() == []


def _signed_package(folder: Path, version: str, key, *, passes: bool = True) -> Path:
    import io
    import tarfile

    script = b"#!/bin/sh\nexit 0\n" if passes else b"#!/bin/sh\necho 'no camera' >&2\nexit 1\n"
    archive = folder / f"deepracer-stack-{version}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(str(SELF_CHECK))
        info.size, info.mode = len(script), 0o755
        tar.addfile(info, io.BytesIO(script))
    (folder / (archive.name + ".sig")).write_bytes(key.sign(archive.read_bytes()))
    return archive


@pytest.fixture
def update_key(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate()
    public = tmp_path / "update-key.pem"
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return key, public


def test_a_signed_package_from_a_stick_installs_and_a_tampered_one_does_not(tmp_path, update_key):
    from system_pkg.update.signed_package import find_packages, unpack_into

    key, public = update_key
    stick = tmp_path / "stick" / "update"
    stick.mkdir(parents=True)
    _signed_package(stick, "2.0.0", key)
    releases = Releases(tmp_path / "root")
    releases.install("2.0.0", unpack_into(find_packages(stick)["2.0.0"], public))
    assert releases.current() == "2.0.0"
    tampered = _signed_package(stick, "2.1.0", key)
    tampered.write_bytes(tampered.read_bytes() + b"\0")
    with pytest.raises(UpdateError, match="not signed by this car's update key"):
        releases.install("2.1.0", unpack_into(tampered, public))
    assert releases.current() == "2.0.0" and releases.installed() == ["2.0.0"]


def test_a_signed_package_that_fails_its_self_check_is_rolled_back(tmp_path, update_key):
    from system_pkg.update.signed_package import unpack_into

    key, public = update_key
    releases = Releases(tmp_path / "root")
    releases.install("1.0.0", _build(True))
    archive = _signed_package(tmp_path, "1.1.0", key, passes=False)
    with pytest.raises(UpdateError, match="no camera"):
        releases.install("1.1.0", unpack_into(archive, public))
    assert releases.current() == "1.0.0" and releases.installed() == ["1.0.0"]
