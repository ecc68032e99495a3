"""What DeepRacer Event Manager (DREM) does to the console, over real HTTP: its activation script writes the
car's password as an unsalted sha224 hex digest into /opt/aws/deepracer/password.txt (the data folder, the
console folder's parent: here tmp_path/password.txt beside tmp_path/console), and it links racers to the
console as `https://<car>/?epwd=<password>`."""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.parse

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


def _link(password: str, path: str = "/", query: str = "") -> str:
    return f"{path}?{query}{'&' if query else ''}{urllib.parse.urlencode({'epwd': password})}"


def test_a_drem_login_link_logs_in_and_lands_on_the_same_address_without_the_password(console_server, caplog):
    caplog.set_level(logging.DEBUG)
    client = console_server.client()
    reply = client.get(_link(console_server.password))
    assert reply.status == 303 and reply.headers["Location"] == "/"  # the password leaves the address bar
    assert console_server.password not in reply.body.decode(errors="replace")
    assert client.get("/api/get_time").status == 200  # logged in: the cookie came with the redirect
    other = console_server.client()
    reply = other.get(_link(console_server.password, "/models", "view=list"))
    assert reply.status == 303 and reply.headers["Location"] == "/models?view=list"
    reply = other.get(_link(console_server.password, "/%2Fexample.org/"))  # cheroot refuses a "//host" request
    assert reply.status == 303 and reply.headers["Location"] == "/%2Fexample.org/"  # a path here, not another site
    assert not [r for r in caplog.records if console_server.password in r.getMessage()]


def test_a_wrong_login_link_shows_the_login_page_error_and_counts_against_the_limit(console_server, caplog):
    caplog.set_level(logging.DEBUG)
    guess = "Zq-wrong-guess-7781"
    client = console_server.client()
    reply = client.get(_link(guess))
    page = reply.body.decode()
    assert reply.status == 401 and 'id="login-form"' in page and "wrong password" in page
    assert guess not in page and not [r for r in caplog.records if guess in r.getMessage()]
    assert client.get("/api/get_time").status == 401
    for _ in range(3):
        assert client.get(_link(guess)).status == 401
    assert client.get(_link(guess)).status == 429  # the failure that locks the address says so
    limited = client.get(_link(console_server.password))  # the limit holds for links too
    assert limited.status == 429 and "too many failed logins" in limited.body.decode().lower()
    assert client.get("/api/get_time").status == 401
