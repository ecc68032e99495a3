"""Login, sessions, CSRF, rate limit and the password, over real HTTP against the console."""

from __future__ import annotations

import json
import logging
import stat

import pytest
from webserver.console_client import HttpClient

from webserver_pkg.services.credentials import (
    DEFAULT_PASSWORD_FILE,
    PASSWORD_FILE,
    SECRET_KEY_FILE,
    FirstPassword,
    load_or_create_secret_key,
    password_hint,
)


def test_login_sets_the_session_cookie_and_answers_the_redirect(console_server):
    client = console_server.client()
    reply = client.login(console_server.password)
    assert reply.status == 200
    assert reply.json()["redirect"] == "/home"
    assert sorted(c.name for c in client.cookies) == ["deepracer_session", "deepracer_token"]
    session_cookie = next(h for h in reply.headers.get_all("Set-Cookie") if h.startswith("deepracer_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    marker = next(h for h in reply.headers.get_all("Set-Cookie") if h.startswith("deepracer_token="))
    assert marker.startswith("deepracer_token=1;") and "SameSite=Strict" in marker  # no secret, for scripts
    answer = client.get("/api/get_time")
    assert answer.status == 200
    assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["Cache-Control"] == "no-store"
    page = client.get("/home")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP: HSTS only over HTTPS


def test_wrong_password_is_refused_with_a_reason(console_server):
    client = console_server.client()
    reply = client.login("not-the-password")
    assert reply.status == 401
    assert reply.json()["success"] is False and "wrong password" in reply.json()["reason"]
    assert list(client.cookies) == []
    assert client.get("/api/get_time").status == 401


def test_unauthenticated_pages_redirect_to_login_and_api_answers_401(console_server):
    client = console_server.client()
    for page in ("/", "/home", "/models", "/calibration", "/settings", "/logs"):
        reply = client.get(page)
        assert reply.status == 302 and reply.headers["Location"].endswith("/login"), page
    reply = client.get("/api/models")
    assert reply.status == 401 and "log in" in reply.json()["reason"]
    assert client.post("/api/emergency_stop").status == 401
    assert console_server.bridge.calls == []


def test_openapi_document_is_public_and_lists_every_api_route(console_server):
    import yaml

    client = console_server.client()
    reply = client.get("/api/openapi.yaml")
    assert reply.status == 200
    documented = set(yaml.safe_load(reply.body)["paths"])
    served = set(console_server.logged_in_client().get("/api/supported_apis").json()["apis_supported"])
    flask_to_openapi = {route.replace("<", "{").replace(">", "}") for route in served}
    # Flask names the path variables as the views do; compare the fixed parts.
    def shape(route: str) -> str:
        return "/".join("{}" if part.startswith("{") else part for part in route.split("/"))
    assert {shape(r) for r in flask_to_openapi} <= {shape(r) for r in documented}


def test_several_sessions_live_at_once_and_logout_ends_only_its_own(console_server):
    first, second = console_server.logged_in_client(), console_server.logged_in_client()
    assert first.get("/api/get_time").status == 200
    assert second.get("/api/get_time").status == 200
    reply = first.post("/logout")
    assert reply.status == 200 and reply.json()["redirect"] == "/login"
    assert first.get("/api/get_time").status == 401
    assert second.get("/api/get_time").status == 200


def test_a_stolen_cookie_stops_working_after_logout(console_server):
    client = console_server.logged_in_client()
    stolen = HttpClient(console_server.url)
    for cookie in client.cookies:
        stolen.cookies.set_cookie(cookie)
    assert stolen.get("/api/get_time").status == 200
    assert client.get("/logout").status == 302
    assert stolen.get("/api/get_time").status == 401


def test_sessions_expire_after_session_hours(console_server):
    client = console_server.logged_in_client()
    console_server.clock.advance(11.9 * 3600)
    assert client.get("/api/get_time").status == 200
    console_server.clock.advance(0.2 * 3600)
    reply = client.get("/api/get_time")
    assert reply.status == 401 and "expired" in reply.json()["reason"]
    assert client.get("/home").status == 302


def test_writes_need_the_sessions_csrf_token(console_server):
    client = console_server.logged_in_client()
    missing = client.post("/api/emergency_stop", csrf=False)
    assert missing.status == 403 and "X-CSRF-Token" in missing.json()["reason"]
    wrong = client.post("/api/emergency_stop", headers={"X-CSRF-Token": "forged"})
    assert wrong.status == 403
    other = console_server.logged_in_client()  # another session's token is not this one's
    crossed = client.post("/api/emergency_stop", headers={"X-CSRF-Token": other.csrf_token})
    assert crossed.status == 403
    put = client.request("PUT", "/api/models/x/model.pb", csrf=False)
    assert put.status == 403
    assert console_server.bridge.calls == []
    assert client.post("/api/emergency_stop").status == 200
    assert console_server.bridge.call_names() == ["emergency_stop"]


def test_logout_by_post_needs_csrf(console_server):
    client = console_server.logged_in_client()
    assert client.post("/logout", csrf=False).status == 403
    assert client.get("/api/get_time").status == 200


def test_failed_logins_are_rate_limited_per_minute(console_server):
    client = console_server.client()
    for _ in range(4):
        assert client.login("guess").status == 401
    assert client.login("guess").status == 429  # the failure that locks the address says so
    limited = client.login(console_server.password)  # even the right password waits
    assert limited.status == 429
    body = limited.json()
    assert body["success"] is False and "try again in" in body["reason"] and 0 < body["retry_after_s"] <= 60
    console_server.clock.advance(61)
    assert client.login(console_server.password).status == 200


def test_password_change_checks_the_old_one_and_logs_out_other_sessions(console_server):
    client, other = console_server.logged_in_client(), console_server.logged_in_client()
    wrong = client.post("/api/password", {"old_password": "nope", "new_password": "a-new-password"})
    assert wrong.status == 400 and "current password is wrong" in wrong.json()["reason"]
    short = client.post("/api/password", {"old_password": console_server.password, "new_password": "short"})
    assert short.status == 400 and "at least 8" in short.json()["reason"]
    missing = client.post("/api/password", {"old_password": console_server.password})
    assert missing.status == 400
    changed = client.post("/api/password", {"old_password": console_server.password,
                                            "new_password": "a-new-password"})
    assert changed.status == 200 and changed.json() == {"success": True}
    assert client.get("/api/get_time").status == 200
    assert other.get("/api/get_time").status == 401
    assert console_server.client().login(console_server.password).status == 401
    assert console_server.client().login("a-new-password").status == 200


def test_password_change_is_refused_while_the_car_drives_and_ended_sessions_learn_why(console_server):
    """Issue 14 finding 1: the change logged every racer out mid-run; refused while started, and a
    logged-out device's login page says why."""
    client, other = console_server.logged_in_client(), console_server.logged_in_client()
    console_server.bridge.set_navigation_started(True)
    body = {"old_password": console_server.password, "new_password": "a-new-password"}
    refused = client.post("/api/password", body)
    assert refused.status == 409 and "the car is driving" in refused.json()["reason"]
    assert other.get("/api/get_time").status == 200
    assert console_server.client().login(console_server.password).status == 200
    console_server.bridge.set_navigation_started(False)
    assert client.post("/api/password", body).status == 200
    assert b"changed on another device" in other.get("/login").body
    assert b"changed on another device" not in console_server.client().get("/login").body


def test_secrets_are_stored_hashed_and_private(console_server):
    password_file = console_server.console_dir / PASSWORD_FILE
    secret_file = console_server.console_dir / SECRET_KEY_FILE
    for path in (password_file, secret_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    record = json.loads(password_file.read_text())
    assert console_server.password not in password_file.read_text()
    assert record["hash"].startswith("scrypt:1024:8:1$")  # the fixture's cheap cost; salted
    assert len(bytes.fromhex(secret_file.read_text())) == 32


def test_login_page_is_public_and_a_logged_in_visit_goes_home(console_server):
    client = console_server.client()
    assert client.get("/login").status == 200
    client.login(console_server.password)
    reply = client.get("/login")
    assert reply.status == 302 and reply.headers["Location"].endswith("/home")


# --- damaged console files (issue 19, finding 5) -----------------------------------------------------

@pytest.mark.parametrize("content", ["not hex at all\n", "abcd\n", "\xff\xfe"])
def test_a_damaged_secret_key_is_replaced_and_logged_not_a_crash(tmp_path, caplog, content):
    """A non-hex secret_key made the webserver crash-loop: the console never came up."""
    path = tmp_path / SECRET_KEY_FILE
    path.write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="webserver_pkg"):
        key = load_or_create_secret_key(tmp_path)
    assert len(key) == 32 and bytes.fromhex(path.read_text()) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any("secret key" in r.message and "session has ended" in r.message for r in caplog.records)


def test_a_console_with_a_damaged_secret_key_starts_and_ends_old_sessions(start_console):
    first = start_console()
    old_browser = first.logged_in_client()
    (first.console_dir / SECRET_KEY_FILE).write_text("zz" * 32)
    restarted = start_console()
    assert restarted.client().login(restarted.password).status == 200
    old_cookie = "; ".join(f"{c.name}={c.value}" for c in old_browser.cookies)
    assert restarted.client().get("/api/get_time", headers={"Cookie": old_cookie}).status == 401


@pytest.mark.parametrize("damage", ["truncate", "empty", "not json", "no hash"])
def test_a_damaged_password_file_falls_back_to_the_default_with_a_banner(start_console, tmp_path, damage):
    """A truncated password.json made every password fail, and the start log said "changed by a user"."""
    first = start_console()
    password_file = first.console_dir / PASSWORD_FILE
    original = password_file.read_bytes()
    password_file.write_bytes({"truncate": original[: len(original) // 2], "empty": b"",
                               "not json": b"\x00\x01garbage", "no hash": b'{"scheme": "werkzeug-scrypt"}'}[damage])
    console = start_console()  # a restart of the webserver over the damaged file
    state = console.app.extensions["deepracer_console"]
    assert state.first_password is not None and state.first_password.password == console.password
    client = console.client()
    assert client.login(console.password).status == 200
    page = client.get("/home").body.decode()
    assert "data-console-notice" in page and "was damaged" in page and "Settings page" in page
    assert (first.console_dir / f"{PASSWORD_FILE}.damaged").read_bytes() != original  # kept, not lost
    assert client.post("/api/password", {"old_password": console.password,
                                         "new_password": "a brand new one"}).status == 200
    assert "data-console-notice" not in client.get("/home").body.decode()


def test_the_lock_out_says_how_long_it_lasts_and_refuses_the_right_password_until_then(console_server):
    """Issue 14, finding 10: the lock-out refused even the right password with no countdown."""
    client = console_server.client()
    for _ in range(4):
        assert client.login("guess").status == 401
    locking = client.login("guess")  # the failure that locks says so at once
    assert locking.status == 429 and locking.json()["retry_after_s"] == 60
    assert "wrong password" in locking.json()["reason"] and "try again in 60 s" in locking.json()["reason"]
    page = client.get("/login").body.decode()
    assert 'data-retry-after="60"' in page and "try again in 60 s" in page
    console_server.clock.advance(25)
    refused = client.login(console_server.password)
    assert refused.status == 429 and refused.json()["retry_after_s"] == 35
    assert "even the right password" in refused.json()["reason"]
    console_server.clock.advance(35)
    assert 'data-retry-after="0"' in client.get("/login").body.decode()
    assert client.login(console_server.password).status == 200


def test_anyone_on_the_network_can_stop_a_moving_car_but_never_start_or_release_it(console_server):
    """Issue 14: STOP on the login page. The public routes only read "moving" and latch the stop."""
    public, racer = console_server.client(), console_server.logged_in_client()
    assert public.get("/api/public/car_moving").json() == {"success": True, "moving": False}
    assert racer.post("/api/start_stop", {"start_stop": "start"}).status == 200
    assert public.get("/api/public/car_moving").json() == {"success": True, "moving": True}
    stopped = public.post("/api/public/stop")  # no session, no CSRF token
    assert stopped.status == 200, stopped.body
    navigation = console_server.bridge.navigation
    assert navigation.emergency_stop and not navigation.started
    assert public.get("/api/public/car_moving").json()["moving"] is False
    for route in ("/api/reset_emergency_stop", "/api/start_stop", "/api/public/release", "/api/public/start"):
        assert public.post(route, {"start_stop": "start"}).status in (401, 404), route
    assert navigation.emergency_stop and not navigation.started
    for _ in range(9):
        assert public.post("/api/public/stop").status == 200
    limited = public.post("/api/public/stop")
    assert limited.status == 429 and limited.json()["retry_after_s"] > 0


# Issue 25, item 10: the public STOP took a cross-site POST, so any page a person opened on the event's network
# could stop every car. The headers below are what Chromium sends (Origin, Sec-Fetch-*, Referer), case by case.
def _browser_headers(site: str, origin: str, mode: str = "cors", referer: str | None = None) -> dict[str, str]:
    headers = {"Origin": origin, "Sec-Fetch-Site": site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": "empty"}
    if referer is not None:
        headers["Referer"] = referer
    return headers


def test_the_public_stop_refuses_other_sites_and_keeps_the_login_pages_one_tap_stop(console_server):
    own = console_server.url
    other_port = own.rsplit(":", 1)[0] + ":1"
    refused = {
        "another site's fetch": _browser_headers("cross-site", "http://quiz.example", "no-cors",
                                                 "http://quiz.example/"),
        "another site's form": _browser_headers("cross-site", "http://quiz.example", "navigate"),
        "another app on the car's address": _browser_headers("same-site", other_port),
        "an older browser: Origin only": {"Origin": "http://quiz.example"},
        "a sandboxed frame": {"Origin": "null"},
        "an older browser: Referer only": {"Referer": "http://quiz.example/page"},
    }
    allowed = {
        "the login page's STOP": _browser_headers("same-origin", own, referer=f"{own}/login"),
        "an older browser on the login page": {"Origin": own, "Referer": f"{own}/login"},
        "a tool at the car (no browser headers)": {},
    }
    public, racer = console_server.client(), console_server.logged_in_client()
    bridge = console_server.bridge
    assert racer.post("/api/start_stop", {"start_stop": "start"}).status == 200
    for what, headers in refused.items():
        reply = public.post("/api/public/stop", headers=headers)
        assert reply.status == 403 and "another" in reply.json()["reason"], (what, reply.body)
        assert bridge.navigation.started and not bridge.navigation.emergency_stop, what
    for what, headers in allowed.items():
        reply = public.post("/api/public/stop", headers=headers)
        assert reply.status == 200, (what, reply.body)
        assert bridge.navigation.emergency_stop, what
        assert racer.post("/api/reset_emergency_stop").status == 200


def test_the_start_line_points_to_where_the_password_is_and_never_holds_it(tmp_path):
    """Issue 14, finding 10: the launcher relays the terminal's start line into the logs, so it never holds
    the password, only where to find it: the file the generated one is kept in (0600), or the asset tag."""
    generated = password_hint(FirstPassword("s3cretGenPass", "generated"), tmp_path)
    assert "s3cretGenPass" not in generated and str(tmp_path / DEFAULT_PASSWORD_FILE) in generated
    tag = password_hint(FirstPassword("racer-asset-tag-42", "asset_tag"), tmp_path)
    assert "racer-asset-tag-42" not in tag and "asset tag printed under the car" in tag
    assert "Settings page" in password_hint(None, tmp_path)


def test_the_login_page_says_where_the_password_is(start_console, tmp_path):
    """Issue 25 item 11: the login page said the password is "printed on the bottom of the car" where `make run`
    keeps the generated one in a file."""
    assert "printed on the label under the car" in start_console().client().get("/login").body.decode()
    (tmp_path / "chassis_asset_tag").unlink()  # a laptop: no asset tag, so the console generates a password
    (tmp_path / "console" / "password.json").unlink()
    server = start_console()
    default_file = server.console_dir / DEFAULT_PASSWORD_FILE
    page = server.client().get("/login").body.decode()
    assert "printed" not in page and str(default_file) in page
    password = default_file.read_text().strip()
    assert password not in page
    racer = server.client()
    assert racer.login(password).status == 200
    assert racer.post("/api/password", {"old_password": password, "new_password": "track-day-2026"}).status == 200
    page = server.client().get("/login").body.decode()
    assert "the password set on the Settings page" in page and str(default_file) not in page
