"""SSH on systemd and ufw, with the commands recorded by an injected runner (this machine has no ssh service
or firewall to change) answering as systemctl, ufw and chage do; the old password is checked for real with
`openssl passwd` against a temporary shadow file."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

import pytest

from system_pkg.ssh.base import SshError
from system_pkg.ssh.systemd import SystemdSsh, run_command

UFW_ALLOWING = """Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       Anywhere
443                        ALLOW       Anywhere
22/tcp (v6)                ALLOW       Anywhere (v6)
"""
UFW_CLOSED = "\n".join(line for line in UFW_ALLOWING.splitlines() if not line.startswith("22/tcp")) + "\n"
CHAGE_MUST = ("Last password change\t\t\t\t\t: password must be changed\n"
              "Password expires\t\t\t\t\t: password must be changed\n")
CHAGE_DONE = "Last password change\t\t\t\t\t: Dec 01, 2026\nPassword expires\t\t\t\t\t: never\n"


class Commands:
    def __init__(self, **answers: str) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, args: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess:
        self.calls.append((list(args), stdin))
        if args[0] == "openssl":
            return run_command(args, stdin)  # the real hash check
        out = self.answers.get(" ".join(args[:2]), "")
        rc = 3 if args[:2] == ["systemctl", "is-active"] and out != "active\n" else 0
        return subprocess.CompletedProcess(list(args), rc, out, "")


def test_enabled_only_when_the_service_runs_and_port_22_is_open():
    on = Commands(**{"systemctl is-active": "active\n", "ufw status": UFW_ALLOWING, "chage -l": CHAGE_MUST})
    assert SystemdSsh(run=on).state().enabled
    closed = Commands(**{"systemctl is-active": "active\n", "ufw status": UFW_CLOSED, "chage -l": CHAGE_DONE})
    state = SystemdSsh(run=closed).state()
    assert not state.enabled and state.default_password_changed
    stopped = Commands(**{"systemctl is-active": "inactive\n", "ufw status": UFW_ALLOWING, "chage -l": CHAGE_MUST})
    state = SystemdSsh(run=stopped).state()
    assert not state.enabled and not state.default_password_changed


def test_enable_and_disable_change_both_the_service_and_the_firewall():
    commands = Commands()
    ssh = SystemdSsh(run=commands)
    ssh.set_enabled(True)
    ssh.set_enabled(False)
    assert [c for c, _ in commands.calls] == [["systemctl", "enable", "--now", "ssh"], ["ufw", "allow", "22/tcp"],
                                              ["ufw", "delete", "allow", "22/tcp"],
                                              ["systemctl", "disable", "--now", "ssh"]]


@pytest.fixture
def shadow(tmp_path):
    hashed = run_command(["openssl", "passwd", "-6", "-salt", "abcdefgh", "-stdin"], "deepracer").stdout.strip()
    path = tmp_path / "shadow"
    path.write_text(f"root:*:19000:0:99999:7:::\ndeepracer:{hashed}:0:0:99999:7:::\n")
    return path


def test_password_changes_after_the_old_one_checks_out_and_goes_on_stdin(shadow):
    commands = Commands()
    SystemdSsh(run=commands, shadow=shadow).change_password("deepracer", "new-secret-2026")
    assert commands.calls[-1] == (["chpasswd"], "deepracer:new-secret-2026\n")
    assert all("new-secret-2026" not in " ".join(args) for args, _ in commands.calls)


def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(shadow):
    commands = Commands()
    ssh = SystemdSsh(run=commands, shadow=shadow)
    with pytest.raises(SshError, match="old password is not right"):
        ssh.change_password("guess", "new-secret-2026")
    with pytest.raises(SshError, match="at least 8"):
        ssh.change_password("deepracer", "short")
    assert not any(args == ["chpasswd"] for args, _ in commands.calls)
