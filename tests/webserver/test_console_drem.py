"""What DeepRacer Event Manager (DREM) does to the console, over real HTTP: its activation script writes the
car's password as an unsalted sha224 hex digest into /opt/aws/deepracer/password.txt (the data folder, the
console folder's parent: here tmp_path/password.txt beside tmp_path/console), and it links racers to the
console as `https://<car>/?epwd=<password>`."""

from __future__ import annotations

import hashlib
import json

from webserver_pkg.services.credentials import ORIGINAL_PASSWORD_FILE, PASSWORD_FILE, REPLACED_SUFFIX

EVENT_PASSWORD = "drem event 2026"


def _write_drem_password(console_dir, password: str = EVENT_PASSWORD):
    path = console_dir.parent / ORIGINAL_PASSWORD_FILE
    path.write_text(hashlib.sha224(password.encode()).hexdigest() + "\n")  # as `sha224sum | cut` leaves it
    return path


def test_drems_password_file_is_accepted_then_replaced_by_our_salted_hash(start_console, tmp_path):
    drem_file = _write_drem_password(tmp_path / "console")
    console = start_console()
    assert console.client().login(console.password).status == 401  # DREM's password is the car's password now
    assert drem_file.exists()  # a failed login changes nothing
    assert console.client().login(EVENT_PASSWORD).status == 200
    assert not drem_file.exists()
    assert (tmp_path / f"{ORIGINAL_PASSWORD_FILE}{REPLACED_SUFFIX}").read_text().strip() == \
        hashlib.sha224(EVENT_PASSWORD.encode()).hexdigest()  # kept for a switch back to the original software
    record = json.loads((console.console_dir / PASSWORD_FILE).read_text())
    assert record["hash"].startswith("scrypt:") and hashlib.sha224(EVENT_PASSWORD.encode()).hexdigest() \
        not in record["hash"]
    restarted = start_console()  # the salted hash alone now holds the password
    assert restarted.client().login(EVENT_PASSWORD).status == 200
    assert restarted.client().login(console.password).status == 401


def test_a_password_file_that_is_no_sha224_digest_is_ignored(start_console, tmp_path):
    (tmp_path / ORIGINAL_PASSWORD_FILE).write_text("deepracer\n")
    console = start_console()
    assert console.client().login("deepracer").status == 401
    assert console.client().login(console.password).status == 200
    assert (tmp_path / ORIGINAL_PASSWORD_FILE).exists()  # not ours to remove
