"""A laptop's stand-in SSH: remembers the switch and a password (default "deepracer", as the car's image)."""

from __future__ import annotations

from system_pkg.ssh.base import SshError, SshState, check_new_password

DEFAULT_PASSWORD = "deepracer"


class SimulatedSsh:
    def __init__(self) -> None:
        self.enabled = False
        self.password = DEFAULT_PASSWORD

    def state(self) -> SshState:
        return SshState(self.enabled, self.password != DEFAULT_PASSWORD)

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled

    def change_password(self, old: str, new: str) -> None:
        check_new_password(old, new)
        if old != self.password:
            raise SshError("the old password is not right")
        self.password = new
