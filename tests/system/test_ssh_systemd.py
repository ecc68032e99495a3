"""SSH on systemd and ufw, with the commands recorded by an injected runner (this machine has no ssh service
or firewall to change) answering as systemctl, ufw and chage do; the old password is checked for real with
`openssl passwd` against a temporary shadow file, as is "the default password was changed"."""

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


def test_enabled_only_when_the_service_runs_and_port_22_is_open(shadow):
    on = Commands(**{"systemctl is-active": "active\n", "ufw status": UFW_ALLOWING})
    assert SystemdSsh(run=on, shadow=shadow).state().enabled
    closed = Commands(**{"systemctl is-active": "active\n", "ufw status": UFW_CLOSED})
    assert not SystemdSsh(run=closed, shadow=shadow).state().enabled
    stopped = Commands(**{"systemctl is-active": "inactive\n", "ufw status": UFW_ALLOWING})
    assert not SystemdSsh(run=stopped, shadow=shadow).state().enabled


def test_the_default_password_counts_as_changed_once_it_no_longer_opens_the_user(shadow):
    commands = Commands(**{"systemctl is-active": "active\n", "ufw status": UFW_ALLOWING})
    assert not SystemdSsh(run=commands, shadow=shadow).state().default_password_changed
    hashed = run_command(["openssl", "passwd", "-6", "-salt", "zyxwvuts", "-stdin"], "mine-2026").stdout.strip()
    shadow.write_text(f"deepracer:{hashed}:0:0:99999:7:::\n")
    assert SystemdSsh(run=commands, shadow=shadow).state().default_password_changed
    shadow.write_text("deepracer:$y$j9T$abc$def:0:0:99999:7:::\n")  # yescrypt: set since the image
    assert SystemdSsh(run=commands, shadow=shadow).state().default_password_changed


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
