"""A signed software package, as brought on a USB stick's `update/` folder: `deepracer-stack-<version>.tar.gz`
beside `deepracer-stack-<version>.tar.gz.sig`, the Ed25519 signature of the archive's bytes by the key whose
public half the car holds (PEM, parameter update_public_key). Nothing is unpacked before the signature checks
out; members are unpacked with tarfile's "data" filter (no absolute paths, no links out, no devices).
The signature check is the `cryptography` package's (already pinned for the console's certificate).
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from system_pkg.update.releases import UpdateError

UPDATE_DIR = "update"
_PACKAGE = re.compile(r"^deepracer-stack-(?P<version>[0-9A-Za-z][0-9A-Za-z.+_-]{0,63})\.tar\.gz$")


def find_packages(folder: Path) -> dict[str, Path]:
    """version -> archive, for every well-named archive in `folder`."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return {}
    return {match["version"]: entry for entry in entries if (match := _PACKAGE.match(entry.name))}


def _public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise UpdateError(f"the update key {path} cannot be read ({error}): updates from a stick are off") from error
    if not isinstance(key, Ed25519PublicKey):
        raise UpdateError(f"the update key {path} is not an Ed25519 public key")
    return key


def verify(archive: Path, public_key: Path) -> None:
    signature_file = archive.with_name(archive.name + ".sig")
    try:
        signature, data = signature_file.read_bytes(), archive.read_bytes()
    except OSError as error:
        raise UpdateError(f"{archive.name}: cannot read it and its .sig file ({error})") from error
    try:
        _public_key(public_key).verify(signature, data)
    except InvalidSignature as error:
        raise UpdateError(f"{archive.name} is not signed by this car's update key: not installed") from error


def unpack_into(archive: Path, public_key: Path):
    """A build step for Releases.install: verify, then unpack the archive into the staging folder."""
    def build(folder: Path) -> None:
        verify(archive, public_key)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(folder, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise UpdateError(f"{archive.name} could not be unpacked ({error})") from error
    return build


def _order(version: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.+_-]", version))


def newest(versions: list[str]) -> str:
    """The highest version: numeric parts compared as numbers (1.10 after 1.9)."""
    return max(versions, key=_order)
