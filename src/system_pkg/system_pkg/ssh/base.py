"""SSH access as the console shows and changes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MIN_PASSWORD_LENGTH = 8


class SshError(RuntimeError):
    """SSH could not be read or changed; str(error) says why in words an owner can act on."""


@dataclass(frozen=True)
class SshState:
    enabled: bool  # the SSH service runs and the firewall lets port 22 in
    default_password_changed: bool


class SshBackend(Protocol):
    def state(self) -> SshState: ...

    def set_enabled(self, enabled: bool) -> None: ...

    def change_password(self, old: str, new: str) -> None: ...


def check_new_password(old: str, new: str) -> None:
    """The one rule for a new login password, for every backend."""
    if len(new) < MIN_PASSWORD_LENGTH:
        raise SshError(f"the new password must have at least {MIN_PASSWORD_LENGTH} characters")
    if new == old:
        raise SshError("the new password must differ from the old one")
    if any(ch in new for ch in "\n\r:") or not new.isprintable():
        raise SshError("the new password may not contain ':', line breaks or control characters")
