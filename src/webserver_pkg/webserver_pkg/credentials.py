"""The console's secrets on disk: the password hash and the session signing key.

Both live in the console folder (default ~/.deepracer/console/), written atomically with mode 0600.
The password is stored salted and slow-hashed (scrypt via werkzeug); its first value is the car's
chassis asset tag (printed under the car, as on the original) when the machine has one, else a
generated one the node prints once in its log.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

PASSWORD_FILE = "password.json"
DEFAULT_PASSWORD_FILE = "default_password"  # the generated first password, until the first change
SECRET_KEY_FILE = "secret_key"
MIN_PASSWORD_LENGTH = 8
# werkzeug's scrypt (N=2**15, r=8, p=1: ~0.15 s per check here), salted. Verification reads the
# parameters from the stored hash, so a later, stronger setting applies at the next password change.
PASSWORD_HASH = "scrypt"
# No 0/O or 1/l/I: the generated password is read off a terminal and typed on a phone.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_password(length: int = 12) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def read_asset_tag(path: Path) -> str | None:
    """The chassis asset tag, or None when missing, unreadable, blank or a vendor placeholder."""
    try:
        tag = path.read_text(errors="replace").strip()
    except OSError:
        return None
    if not tag or tag.lower() in {"default string", "to be filled by o.e.m.", "not specified", "none"}:
        return None
    return tag


def load_or_create_secret_key(console_dir: Path) -> bytes:
    path = console_dir / SECRET_KEY_FILE
    if path.exists():
        key = bytes.fromhex(path.read_text().strip())
        if len(key) >= 32:
            return key
    key = secrets.token_bytes(32)
    write_private(path, key.hex().encode())
    return key


@dataclass(frozen=True)
class FirstPassword:
    """What the node logs at first start: the password and where it came from."""

    password: str
    source: str  # "asset_tag" | "generated"


class PasswordStore:
    """The console password, salted and scrypt-hashed in `<console_dir>/password.json`."""

    def __init__(self, console_dir: Path) -> None:
        self._path = console_dir / PASSWORD_FILE
        self._default_path = console_dir / DEFAULT_PASSWORD_FILE

    def ensure(self, asset_tag_path: Path) -> FirstPassword | None:
        """Create the password on first start; return the default password while it is still in force.

        Like the label under the original car, the default stays recoverable until someone changes it: the
        asset tag can be read again, and a generated one is kept (0600) beside the hash until the first change.
        """
        tag = read_asset_tag(asset_tag_path)
        if not self._path.exists():
            first = FirstPassword(tag, "asset_tag") if tag else FirstPassword(generate_password(), "generated")
            self._write(first.password)
            if first.source == "generated":
                write_private(self._default_path, first.password.encode())
            return first
        if tag and self.verify(tag):
            return FirstPassword(tag, "asset_tag")
        try:
            generated = self._default_path.read_text().strip()
        except OSError:
            return None
        return FirstPassword(generated, "generated") if self.verify(generated) else None

    def verify(self, password: str) -> bool:
        try:
            stored = json.loads(self._path.read_text())["hash"]
        except (OSError, ValueError, KeyError):
            return False
        return check_password_hash(stored, password)

    def change(self, old_password: str, new_password: str) -> None:
        """Raise ValueError with the reason when the old password is wrong or the new one too weak."""
        if not self.verify(old_password):
            raise ValueError("the current password is wrong")
        if len(new_password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the new password must have at least {MIN_PASSWORD_LENGTH} characters")
        if new_password.strip() != new_password:
            raise ValueError("the new password must not start or end with spaces")
        self._write(new_password)
        self._default_path.unlink(missing_ok=True)

    def _write(self, password: str) -> None:
        record = {"scheme": "werkzeug-scrypt", "hash": generate_password_hash(password, method=PASSWORD_HASH)}
        write_private(self._path, json.dumps(record).encode())
