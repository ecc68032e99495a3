"""Unit tests of the console's pure-Python parts: config, secrets, sessions, rate limit, logs,
the frame hub, pipeline figures and the HTTPS certificate."""

from __future__ import annotations

import json
import ssl
import stat
import threading
import urllib.request

import pytest
from cryptography import x509
from webserver.console_client import ManualClock
from werkzeug.security import generate_password_hash

from webserver_pkg.app import create_app
from webserver_pkg.config import ConsoleConfig
from webserver_pkg.robot.bridge import StageView
from webserver_pkg.robot.in_process import InProcessRobot
from webserver_pkg.server import ConsoleServer
from webserver_pkg.services.credentials import PasswordStore, load_or_create_secret_key, read_asset_tag
from webserver_pkg.services.device_info import PipelineFigures, pipeline_figures
from webserver_pkg.services.frame_hub import NO_PICTURE, FrameHub, part
from webserver_pkg.services.log_sources import newest_first, read_tail
from webserver_pkg.services.sessions import LoginLimiter, SessionStore, csrf_matches
from webserver_pkg.services.tls import ensure_certificate


@pytest.mark.parametrize("field, value", [
    ("host", "car.local"), ("port", 70000), ("session_hours", 0), ("max_upload_mb", 0),
    ("login_attempts_per_minute", 0), ("console_dir", " "), ("service_timeout_s", 0),
])
def test_config_refuses_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        ConsoleConfig(**{field: value})


def test_config_defaults_are_safe_on_a_laptop():
    config = ConsoleConfig()
    assert config.host == "127.0.0.1" and config.https is False and config.session_hours == 12


def test_first_password_comes_from_the_asset_tag(tmp_path):
    tag = tmp_path / "tag"
    tag.write_text("  A1B2C3D4\n")
    store = PasswordStore(tmp_path / "console")
    first = store.ensure(tag)
    assert first is not None and (first.password, first.source) == ("A1B2C3D4", "asset_tag")
    assert store.ensure(tag) == first  # still the default: shown again at every start
    assert store.verify("A1B2C3D4") and not store.verify("a1b2c3d4")
    record_file = tmp_path / "console" / "password.json"
    record = json.loads(record_file.read_text())
    assert record["hash"].startswith("scrypt:16384:8:2$")  # 16 MiB a check, not werkzeug's default 32 (issue 23)
    # A password hashed with werkzeug's default parameters (an earlier version of ours) still checks.
    record["hash"] = generate_password_hash("A1B2C3D4", method="scrypt:32768:8:1")
    record_file.write_text(json.dumps(record))
    assert PasswordStore(tmp_path / "console").verify("A1B2C3D4")


@pytest.mark.parametrize("content", [None, "", "Default string\n", "To Be Filled By O.E.M."])
def test_without_a_usable_asset_tag_a_password_is_generated(tmp_path, content):
    tag = tmp_path / "tag"
    if content is not None:
        tag.write_text(content)
    assert read_asset_tag(tag) is None
    first = PasswordStore(tmp_path / "console").ensure(tag)
    assert first is not None and first.source == "generated" and len(first.password) == 12
    assert PasswordStore(tmp_path / "console").verify(first.password)


def test_default_password_is_shown_at_every_start_until_changed(tmp_path):
    store = PasswordStore(tmp_path / "console")
    first = store.ensure(tmp_path / "no-tag")
    assert PasswordStore(tmp_path / "console").ensure(tmp_path / "no-tag") == first
    assert stat.S_IMODE((tmp_path / "console" / "default_password").stat().st_mode) == 0o600
    store.change(first.password, "a new secret")
    assert not (tmp_path / "console" / "default_password").exists()
    assert PasswordStore(tmp_path / "console").ensure(tmp_path / "no-tag") is None


def test_secret_key_is_generated_once_and_private(tmp_path):
    key = load_or_create_secret_key(tmp_path)
    assert len(key) == 32 and load_or_create_secret_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert load_or_create_secret_key(tmp_path / "other") != key


def test_sessions_expire_and_can_be_ended_together():
    clock = ManualClock()
    store = SessionStore(100.0, clock)
    a, b, c = store.create(), store.create(), store.create()
    assert len({a.csrf_token, b.csrf_token, c.csrf_token}) == 3
    assert csrf_matches(a, a.csrf_token) and not csrf_matches(a, b.csrf_token) and not csrf_matches(a, None)
    store.end_all_except(b.session_id, "password changed")
    assert store.get(a.session_id) is None and store.get(b.session_id) == b
    assert store.ended_reason(a.session_id) == store.ended_reason(c.session_id) == "password changed"
    assert store.ended_reason(b.session_id) == "" and store.ended_reason(None) == ""
    clock.advance(100.0)
    assert store.get(b.session_id) is None and store.count() == 0


def test_login_limiter_counts_failures_per_client_in_a_sliding_window():
    clock = ManualClock()
    limiter = LoginLimiter(3, 60.0, clock)
    for _ in range(3):
        assert limiter.retry_after("a") == 0
        limiter.failed("a")
        clock.advance(10)
    assert limiter.retry_after("a") == pytest.approx(30.0)
    assert limiter.retry_after("b") == 0
    clock.advance(30.5)
    assert limiter.retry_after("a") == 0
    limiter.failed("a")
    limiter.succeeded("a")
    assert limiter.retry_after("a") == 0


def test_newest_first_filters_case_insensitively():
    lines = ["boot ok", "Servo ERROR", "camera up", "servo ok"]
    assert newest_first(lines, 10) == lines[::-1]
    assert newest_first(lines, 1, "servo") == ["servo ok"]
    assert newest_first(lines, 5, "SERVO") == ["servo ok", "Servo ERROR"]


def test_read_tail_drops_the_cut_first_line(tmp_path):
    log = tmp_path / "log"
    log.write_text("".join(f"line {i:04d}\n" for i in range(1000)))
    assert read_tail(log, max_bytes=105) == [f"line {i:04d}" for i in range(990, 1000)]  # 0989 is cut
    assert read_tail(log, max_bytes=100) == [f"line {i:04d}" for i in range(990, 1000)]  # starts whole
    assert read_tail(log, max_bytes=99) == [f"line {i:04d}" for i in range(991, 1000)]
    assert read_tail(tmp_path / "missing") is None


class _Subscriptions:
    def __init__(self) -> None:
        self.active = 0
        self.opened = 0

    def __call__(self, on_frame):
        self.active += 1
        self.opened += 1
        return self._close

    def _close(self) -> None:
        self.active -= 1


def test_frame_hub_shares_one_subscription_and_gives_each_viewer_the_newest_frame():
    subscriptions = _Subscriptions()
    hub = FrameHub(subscriptions, keepalive_s=0.05)
    first, second = hub.stream(), hub.stream()
    assert next(first) == part(NO_PICTURE)  # nothing yet: a whole picture part as keep-alive, never a preamble
    assert next(second) == part(NO_PICTURE)
    assert (subscriptions.active, subscriptions.opened, hub.viewers) == (1, 1, 2)
    hub.publish(b"old")
    hub.publish(b"new")  # a viewer that was busy skips "old"
    assert next(first) == part(b"new") and next(second) == part(b"new")
    assert next(first) == part(b"new")  # keep-alive repeats the last frame
    first.close()
    assert subscriptions.active == 1 and hub.viewers == 1
    second.close()
    assert subscriptions.active == 0 and hub.viewers == 0


def test_frame_hub_close_ends_waiting_streams():
    hub = FrameHub(_Subscriptions(), keepalive_s=30)
    stream = hub.stream()
    threading.Timer(0.05, hub.publish, (b"x",)).start()
    assert next(stream) == part(b"x")  # woken by the frame, long before the keep-alive
    threading.Timer(0.05, hub.close).start()
    assert list(stream) == []
    assert hub.viewers == 0 and not hub.subscribed


def _stage(name: str, p50: float, rate: float, age: float = 0.5) -> StageView:
    return StageView(name, rate, p50, p50 * 2, 100, 0, age)


def test_pipeline_figures_prefer_end_to_end_latency_and_the_inference_rate():
    stages = {"camera": _stage("camera", 1.0, 30.0), "navigation": _stage("navigation", 6.0, 15.0)}
    assert pipeline_figures(stages) == PipelineFigures(latency_p50_ms=6.0, latency_p95_ms=12.0, rate_hz=30.0)
    stages["servo"] = _stage("servo", 8.0, 15.0, age=10.0)  # stale: a stopped stage is not current
    stages["inference"] = _stage("inference", 2.0, 14.5)
    figures = pipeline_figures(stages)
    assert figures == PipelineFigures(latency_p50_ms=6.0, latency_p95_ms=12.0, rate_hz=14.5)
    assert figures.api_fields() == {"latency_mean": 6.0, "latency_p95": 12.0, "fps_mean": 14.5}, "the API's names"


def test_https_serves_with_a_self_signed_certificate_kept_across_starts(tmp_path):
    console_dir = tmp_path / "console"
    cert_path, key_path = ensure_certificate(console_dir, "car-test")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "car-test" in names.get_values_for_type(x509.DNSName)
    assert ensure_certificate(console_dir, "car-test") == (cert_path, key_path)
    assert cert_path.read_bytes() == (console_dir / cert_path.name).read_bytes()

    tag = tmp_path / "tag"
    tag.write_text("pw-123456")
    config = ConsoleConfig(port=0, https=True, console_dir=str(console_dir), models_root=str(tmp_path / "m"),
                           asset_tag_path=str(tag))
    app = create_app(config, InProcessRobot())
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.debug is False
    server = ConsoleServer(app, "127.0.0.1", 0, (cert_path, key_path), poll_s=0.02)
    server.start()
    try:
        context = ssl.create_default_context(cafile=str(cert_path))
        context.check_hostname = False  # the certificate names the car, the test dials 127.0.0.1 (in the SAN)
        with urllib.request.urlopen(f"https://127.0.0.1:{server.port}/api/openapi.yaml", context=context) as r:
            assert r.status == 200 and b"openapi:" in r.read(100)
            assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        server.stop()
