"""The console's secrets on disk: the password hash and the session signing key.

Both live in the console folder (default ~/.deepracer/console/), written atomically with mode 0600.
The password is stored salted and slow-hashed (scrypt via werkzeug); its first value is the car's
chassis asset tag (printed under the car, as on the original) when the machine has one, else a
generated one, kept 0600 beside the hash until the first change. The node's start line says where the
password is, never the password (`password_hint`): that line reaches the logs through the launcher.

A car switched from the original software, or activated by DeepRacer Event Manager (DREM), has the
original's password file: an unsalted sha224 hex digest in `password.txt` in the data folder
(/opt/aws/deepracer/password.txt on a car, the console folder's parent). While it is there it is the
password, as on the original; the first login that matches it writes our salted hash and renames the file
to password.txt.replaced (kept, not removed: renaming it back is how the original software gets its last
password again after a switch back; it never learns a password changed here).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from deepracer_common_pkg.small_files import PRIVATE, atomic_write_bytes

PASSWORD_FILE = "password.json"
DEFAULT_PASSWORD_FILE = "default_password"  # the generated first password, until the first change
SECRET_KEY_FILE = "secret_key"
ORIGINAL_PASSWORD_FILE = "password.txt"  # the original's and DREM's sha224 hex digest, in the console folder's parent
REPLACED_SUFFIX = ".replaced"  # what it is renamed to once our salted hash holds the password
_SHA224_HEX = re.compile(r"[0-9a-fA-F]{56}")
DAMAGED_SUFFIX = ".damaged"  # a password file that cannot be read is kept beside the new one under this name
MIN_SECRET_KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 8
# werkzeug's scrypt, salted: N=2**14, r=8, p=2 costs a check the same time as werkzeug's default N=2**15, r=8, p=1
# (~0.1 s here, ~0.5 s on the car's Atom) in half its memory: 16 MiB instead of 32, which every login added to the
# console process's peak on a car with 500 MB for the whole stack (issue 23). Verification reads the parameters from
# the stored hash, so a password hashed with other ones still checks, and the new ones apply at its next change.
PASSWORD_HASH = "scrypt:16384:8:2"
# No 0/O or 1/l/I: the generated password is read off a terminal and typed on a phone.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

log = logging.getLogger(__name__)


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically and durably with `data`, readable by the owner only."""
    atomic_write_bytes(path, data, mode=PRIVATE, folder_mode=0o700)


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
    """The key that signs session cookies; a damaged key file is replaced (logged), never a crash loop.

    A new key only means every browser logs in again, which a restart asks anyway (sessions live in memory).
    """
    path = console_dir / SECRET_KEY_FILE
    if path.exists():
        try:
            key = bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError) as error:  # UnicodeDecodeError is a ValueError
            problem = f"cannot be read as hex ({error})"
        else:
            if len(key) >= MIN_SECRET_KEY_BYTES:
                return key
            problem = f"holds {len(key)} bytes, fewer than {MIN_SECRET_KEY_BYTES}"
        log.warning("console secret key %s %s: replaced by a new key; every console session has ended, "
                    "log in again", path, problem)
    key = secrets.token_bytes(MIN_SECRET_KEY_BYTES)
    write_private(path, key.hex().encode())
    return key


@dataclass(frozen=True)
class FirstPassword:
    """What the node logs at first start: the password and where it came from."""

    password: str
    source: str  # "asset_tag" | "generated"


def password_hint(first: FirstPassword | None, console_dir: Path) -> str:
    """Where the console password is, for the node's start line: never the password itself. The launcher relays
    the node's terminal into its own output, which a car's journal (and so the Logs page) keeps, so the line
    points to the password: the asset tag under the car, or the 0600 file the generated one is kept in."""
    if first is None:
        return "the one set on the Settings page"
    if first.source == "asset_tag":
        return "the chassis asset tag printed under the car"
    return (f"in {console_dir / DEFAULT_PASSWORD_FILE} (readable by this user only) until it is changed on the "
            "Settings page")


def login_help(first: FirstPassword | None, console_dir: Path) -> str:
    """Where the password is, for the login page: the label under a car, the file a laptop's `make run` keeps the
    generated one in (never the password), or the one someone set."""
    if first is None:
        return "Use the password set on the Settings page: whoever looks after this car knows it."
    if first.source == "asset_tag":
        return "The default password is printed on the label under the car."
    return (f"This car's default password is in the file {console_dir / DEFAULT_PASSWORD_FILE} on the computer that "
            "runs it (the console's start line says so), until it is changed on the Settings page.")


class PasswordStore:
    """The console password, salted and scrypt-hashed in `<console_dir>/password.json`."""

    def __init__(self, console_dir: Path) -> None:
        self._path = console_dir / PASSWORD_FILE
        self._default_path = console_dir / DEFAULT_PASSWORD_FILE
        self._original_path = console_dir.parent / ORIGINAL_PASSWORD_FILE
        self._original_lock = threading.Lock()  # two logins at once take the original's file over once
        self.problem = ""  # set by ensure() when it had to repair the password file
        self.changed = False  # the password was changed since the console started: no default is in force

    def ensure(self, asset_tag_path: Path) -> FirstPassword | None:
        """Create the password on first start; return the default password while it is still in force.

        Like the label under the original car, the default stays recoverable until someone changes it: the
        asset tag can be read again, and a generated one is kept (0600) beside the hash until the first change.
        A password file that cannot be read (truncated, edited, not ours) would refuse every password: it is
        kept aside as password.json.damaged, the default is put back in force, and `problem` says so (the
        console shows it until the password is changed).
        """
        tag = read_asset_tag(asset_tag_path)
        digest = self._original_digest()
        if digest is not None:
            log.info("console password: the one whose sha224 is in %s (DREM's or the original console's) until "
                     "the first login with it, which replaces the file by a salted hash", self._original_path)
            return FirstPassword(tag, "asset_tag") if tag and _sha224_matches(digest, tag) else None
        if self._original_path.exists():
            log.warning("console: %s holds no sha224 hex digest (56 hex digits); it is ignored and the console's "
                        "own password is in force", self._original_path)
        if self._path.exists():
            damage = self._damage()
            if not damage:
                return self._default_in_force(tag)
            self.problem = (f"the password file {self._path} was damaged ({damage}); it was kept as "
                            f"{self._path.name}{DAMAGED_SUFFIX} and the default password is in force again: "
                            "change it on the Settings page")
            log.warning("console %s", self.problem)
            os.replace(self._path, self._path.with_name(self._path.name + DAMAGED_SUFFIX))
        first = FirstPassword(tag, "asset_tag") if tag else self._generated_default()
        self._write(first.password)
        return first

    def _damage(self) -> str:
        """Why the password file cannot be used ("" when it can)."""
        try:
            stored = json.loads(self._path.read_text())["hash"]
        except OSError as error:
            return f"unreadable: {error.strerror}"
        except (ValueError, KeyError, TypeError):
            return "not the JSON record this console writes"
        if not isinstance(stored, str) or stored.count("$") != 2:
            return "no password hash in it"
        return ""

    def _default_in_force(self, tag: str | None) -> FirstPassword | None:
        if tag and self.verify(tag):
            return FirstPassword(tag, "asset_tag")
        generated = self._read_generated()
        return FirstPassword(generated, "generated") if generated and self.verify(generated) else None

    def _read_generated(self) -> str:
        try:
            return self._default_path.read_text().strip()
        except OSError:
            return ""

    def _generated_default(self) -> FirstPassword:
        """The kept generated default, or a new one (kept 0600 until the first change)."""
        password = self._read_generated() or generate_password()
        write_private(self._default_path, password.encode())
        return FirstPassword(password, "generated")

    def verify(self, password: str) -> bool:
        """The original's password file, while there, holds the password: a match replaces it by our hash."""
        if self._original_digest() is not None:
            return self._take_over_original(password)
        try:
            stored = json.loads(self._path.read_text())["hash"]
            return check_password_hash(stored, password)
        except (OSError, ValueError, KeyError, TypeError):
            return False

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
        self.problem = ""
        self.changed = True

    def _original_digest(self) -> str | None:
        """The sha224 hex digest in the original's password file (first word, as `sha224sum` writes it too)."""
        try:
            words = self._original_path.read_text(errors="replace").split()
        except OSError:
            return None
        return words[0].lower() if words and _SHA224_HEX.fullmatch(words[0]) else None

    def _take_over_original(self, password: str) -> bool:
        with self._original_lock:
            digest = self._original_digest()
            if digest is None:  # taken over by a login just now
                return self.verify(password)
            if not _sha224_matches(digest, password):
                return False
            self._write(password)
            self._default_path.unlink(missing_ok=True)  # a generated default is no longer the password
            self.problem = ""
            os.replace(self._original_path, self._original_path.with_name(ORIGINAL_PASSWORD_FILE + REPLACED_SUFFIX))
        log.info("console password taken over from %s: now stored salted in %s; the old file is kept as %s%s",
                 self._original_path, self._path, ORIGINAL_PASSWORD_FILE, REPLACED_SUFFIX)
        return True

    def _write(self, password: str) -> None:
        record = {"scheme": "werkzeug-scrypt", "hash": generate_password_hash(password, method=PASSWORD_HASH)}
        write_private(self._path, json.dumps(record).encode())


def _sha224_matches(digest: str, password: str) -> bool:
    return hmac.compare_digest(digest, hashlib.sha224(password.encode()).hexdigest())
