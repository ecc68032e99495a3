"""SSH on the car: the `ssh` systemd service, port 22 in ufw, and the login user's password.

As the original: enabled = the service is active AND ufw allows 22 (either alone does not let anyone in).
As the original, the default password counts as changed once the image's default ("deepracer") no longer opens
the login user; that and the old password of a change are checked against /etc/shadow's hash through `openssl
passwd` (SHA-512/256 and MD5 crypt, what Ubuntu 20.04 images use; a hash of another kind was set by someone since
the image, so the default is taken as changed). The new password goes to `chpasswd` on its standard input, never
on a command line.
Commands run through an injected runner, so tests record them (this machine has no ssh service to change).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from system_pkg.ssh.base import SshError, SshState, check_new_password

Run = Callable[[Sequence[str], str | None], subprocess.CompletedProcess]
SSH_SERVICE = "ssh"
DEFAULT_PASSWORD = "deepracer"  # the car image's (the original console checked for it the same way)
_OPENSSL_METHODS = {"6": "-6", "5": "-5", "1": "-1"}


class _UncheckableHash(SshError):
    pass


def run_command(args: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError as error:
        raise SshError(f"{args[0]} is not installed on this machine: set ssh_backend to simulated") from error
    except subprocess.TimeoutExpired as error:
        raise SshError(f"{args[0]} did not finish within 30 s") from error


class SystemdSsh:
    def __init__(self, user: str = "deepracer", *, run: Run = run_command,
                 shadow: Path = Path("/etc/shadow")) -> None:
        self.user = user
        self._run = run
        self._shadow = shadow

    def _ok(self, args: Sequence[str], stdin: str | None = None) -> str:
        done = self._run(args, stdin)
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise SshError(f"'{' '.join(args[:3])}' failed: {message[-1] if message else done.returncode}")
        return done.stdout

    def state(self) -> SshState:
        active = self._run(["systemctl", "is-active", SSH_SERVICE], None).stdout.strip() == "active"
        firewall = self._ok(["ufw", "status"])
        allowed = any(line.split()[:1] in (["22"], ["22/tcp"], ["OpenSSH"]) and "ALLOW" in line
                      for line in firewall.splitlines())
        try:
            default = self._password_matches(DEFAULT_PASSWORD)
        except _UncheckableHash:
            default = False
        return SshState(enabled=active and allowed, default_password_changed=not default)

    def set_enabled(self, enabled: bool) -> None:
        if enabled:
            self._ok(["systemctl", "enable", "--now", SSH_SERVICE])
            self._ok(["ufw", "allow", "22/tcp"])
        else:
            self._ok(["ufw", "delete", "allow", "22/tcp"])
            self._ok(["systemctl", "disable", "--now", SSH_SERVICE])

    def _hash(self) -> str:
        try:
            for line in self._shadow.read_text().splitlines():
                name, _, rest = line.partition(":")
                if name == self.user:
                    return rest.split(":")[0]
        except OSError as error:
            raise SshError(f"cannot read {self._shadow} to check the old password ({error.strerror})") from error
        raise SshError(f"no user {self.user!r} on this car (parameter ssh_user)")

    def _password_matches(self, password: str) -> bool:
        stored = self._hash()
        parts = stored.split("$")  # $id$salt$hash
        if len(parts) != 4 or parts[1] not in _OPENSSL_METHODS:
            raise _UncheckableHash("the login password is stored in a way this car cannot check (not SHA-512, "
                                   "SHA-256 or MD5 crypt): change it with `passwd` on the car")
        computed = self._ok(["openssl", "passwd", _OPENSSL_METHODS[parts[1]], "-salt", parts[2], "-stdin"], password)
        return computed.strip() == stored

    def change_password(self, old: str, new: str) -> None:
        check_new_password(old, new)
        if not self._password_matches(old):
            raise SshError("the old password is not right")
        self._ok(["chpasswd"], f"{self.user}:{new}\n")
