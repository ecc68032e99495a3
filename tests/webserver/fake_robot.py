"""An in-memory robot for console tests (no ROS), and a small HTTP client with cookies.

`FakeBridge` behaves like the graph the console talks to: loading a model goes "loading" then
"loaded" (or "error"), start needs a loaded model in autonomous mode, the emergency stop latches,
calibration is kept and validated like the servo node does. Every call is recorded in `calls`;
state can be set directly; `unavailable` makes named methods fail as if their node were down.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from deepracer_common_pkg.drive_rules import policy_runs
from deepracer_common_pkg.vocabulary import DRIVE_MODES
from webserver_pkg.bridge import (
    CHANNELS,
    BridgeError,
    CalibrationNs,
    CameraView,
    LogLine,
    ModelStateView,
    NavigationView,
    RobotBridge,
    SimStateView,
    StageView,
)

DEFAULT_CALIBRATION = {
    "steering": CalibrationNs(min_ns=1_200_000, mid_ns=1_450_000, max_ns=1_700_000, polarity=1),
    "throttle": CalibrationNs(min_ns=1_311_000, mid_ns=1_446_000, max_ns=1_603_500, polarity=-1),
}


class FakeBridge(RobotBridge):
    def __init__(self, load_seconds: float = 0.2) -> None:
        self.load_seconds = load_seconds
        self.fail_next_load: str | None = None  # reason the next load ends in "error"
        self.unavailable: set[str] = set()  # method names that fail as if the node were down
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.model = ModelStateView(state="idle")
        self.navigation = NavigationView(mode="manual")
        self.camera: CameraView | None = CameraView(connected=True, video_on=True, fps=15.0, width=480,
                                                    height=360, source="fake")
        self.stages: dict[str, StageView] = {}
        self.lidar = False
        self.log: list[LogLine] = []
        self.calibration = dict(DEFAULT_CALIBRATION)
        self.led = (0, 0, 255)
        self.manual_commands: list[tuple[float, float]] = []
        self.raw_pwm_commands: list[tuple[str, int]] = []
        self.sim: SimStateView | None = None  # None: no simulator runs, as on a real car
        self._frame_listeners: dict[int, Callable[[bytes], None]] = {}
        self._next_listener = 0
        self._lock = threading.RLock()

    # --- test helpers --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return [args for name, args in self.calls if name == method]

    def call_names(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.calls]

    def publish_frame(self, jpeg: bytes) -> None:
        with self._lock:
            listeners = list(self._frame_listeners.values())
        for listener in listeners:
            listener(jpeg)

    @property
    def display_subscribers(self) -> int:
        with self._lock:
            return len(self._frame_listeners)

    def _record(self, method: str, *args: Any) -> None:
        with self._lock:
            self.calls.append((method, args))
            if method in self.unavailable:
                raise BridgeError(f"fake: {method} is not available", unavailable=True)

    # --- state ---------------------------------------------------------------------------------

    def model_state(self) -> ModelStateView | None:
        return self.model

    def navigation_state(self) -> NavigationView | None:
        return self.navigation

    def camera_status(self) -> CameraView | None:
        return self.camera

    def stage_stats(self) -> dict[str, StageView]:
        return dict(self.stages)

    def lidar_connected(self) -> bool:
        return self.lidar

    def robot_log(self) -> list[LogLine]:
        return list(self.log)

    def sim_state(self) -> SimStateView | None:
        return self.sim

    def sim_reset(self) -> None:
        self._record("sim_reset")
        with self._lock:
            if self.sim is None:
                raise BridgeError("fake: no simulator", unavailable=True)
            self.sim = replace(self.sim, laps=0, lap_times_s=(), off_track=0, progress=0.0, on_track=True)

    # --- commands ------------------------------------------------------------------------------

    def load_model(self, model_dir: str) -> None:
        self._record("load_model", model_dir)
        path = Path(model_dir)
        if not path.is_dir():
            raise BridgeError(f"no model folder {model_dir}")
        with self._lock:
            self.model = ModelStateView(state="loading", model_name=path.name, model_dir=model_dir)
            failure, self.fail_next_load = self.fail_next_load, None
        timer = threading.Timer(self.load_seconds, self._finish_load, (path, failure))
        timer.daemon = True
        timer.start()

    def _finish_load(self, path: Path, failure: str | None) -> None:
        with self._lock:
            if failure:
                self.model = ModelStateView(state="error", model_name=path.name, model_dir=str(path),
                                            reason=failure)
            else:
                self.model = ModelStateView(state="loaded", model_name=path.name, model_dir=str(path),
                                            training_algorithm="clipped_ppo", sensors=("FRONT_FACING_CAMERA",),
                                            load_seconds=self.load_seconds)
            self.navigation = replace(self.navigation, model_name=path.name, model_ready=not failure)

    def set_navigation_started(self, started: bool) -> None:
        self._record("set_navigation_started", started)
        with self._lock:
            if started and self.navigation.emergency_stop:
                raise BridgeError("the emergency stop is latched: reset it before starting")
            if started and self.navigation.mode == "autonomous" and not self.navigation.model_ready:
                raise BridgeError("autonomous driving needs a loaded model: no model loaded")
            self.navigation = replace(self.navigation, started=started)
            # The inference node follows navigation's state.
            self.model = replace(self.model, running=policy_runs(self.navigation.mode, started))

    def set_drive_mode(self, mode: str) -> None:
        self._record("set_drive_mode", mode)
        if mode not in DRIVE_MODES:
            raise BridgeError(f"unknown mode {mode}")
        with self._lock:
            self.navigation = replace(self.navigation, mode=mode, started=False)
            self.model = replace(self.model, running=False)

    def set_max_speed(self, max_speed: float) -> None:
        self._record("set_max_speed", max_speed)
        with self._lock:
            self.navigation = replace(self.navigation, max_speed=max_speed)

    def emergency_stop(self) -> None:
        self._record("emergency_stop")
        with self._lock:
            self.navigation = replace(self.navigation, started=False, emergency_stop=True)
            self.model = replace(self.model, running=False)

    def reset_emergency_stop(self) -> None:
        self._record("reset_emergency_stop")
        with self._lock:
            self.navigation = replace(self.navigation, emergency_stop=False)

    def manual_drive(self, angle: float, throttle: float) -> None:
        self._record("manual_drive", angle, throttle)
        with self._lock:
            self.manual_commands.append((angle, throttle))

    def raw_pwm(self, channel: str, duty_ns: int) -> None:
        self._record("raw_pwm", channel, duty_ns)
        with self._lock:
            self.raw_pwm_commands.append((channel, duty_ns))

    def get_calibration(self, channel: str) -> CalibrationNs:
        self._record("get_calibration", channel)
        return self.calibration[channel]

    def set_calibration(self, channel: str, calibration: CalibrationNs) -> None:
        self._record("set_calibration", channel, calibration)
        if channel not in CHANNELS:
            raise BridgeError(f"unknown channel {channel}")
        if not calibration.min_ns < calibration.mid_ns < calibration.max_ns:
            raise BridgeError("calibration needs min < mid < max")
        with self._lock:
            self.calibration[channel] = calibration

    def get_led_color(self) -> tuple[int, int, int]:
        self._record("get_led_color")
        return self.led

    def set_led_color(self, red: int, green: int, blue: int) -> None:
        self._record("set_led_color", red, green, blue)
        self.led = (red, green, blue)

    def set_video(self, on: bool) -> None:
        self._record("set_video", on)
        with self._lock:
            if self.camera is not None:
                self.camera = replace(self.camera, video_on=on)

    def watch_display(self, on_frame: Callable[[bytes], None]) -> Callable[[], None]:
        self._record("watch_display")
        with self._lock:
            key = self._next_listener
            self._next_listener += 1
            self._frame_listeners[key] = on_frame

        def unsubscribe() -> None:
            with self._lock:
                self._frame_listeners.pop(key, None)
        return unsubscribe


class FakeClock:
    """Monotonic seconds that only move when a test says so (session expiry, login rate limit)."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpClient:
    """A browser-like HTTP client over real sockets: keeps cookies, sends the CSRF header when known."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.csrf_token: str | None = None
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies),
                                                   _NoRedirect())

    def request(self, method: str, path: str, *, json_body: Any = None, data: bytes | None = None,
                headers: dict[str, str] | None = None, csrf: bool = True, timeout: float = 30.0) -> Reply:
        all_headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        if csrf and self.csrf_token and method != "GET":
            all_headers.setdefault("X-CSRF-Token", self.csrf_token)
        request = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, error.headers, error.read())

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body=body if body is not None else {}, **kwargs)

    def login(self, password: str) -> Reply:
        data = urllib.parse.urlencode({"password": password}).encode()
        reply = self.request("POST", "/login", data=data, csrf=False,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        if reply.status == 200:
            self.csrf_token = reply.json()["csrf_token"]
        return reply

    def upload(self, path: str, filename: str, content: bytes, method: str = "POST") -> Reply:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                f"Content-Type: application/gzip\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request(method, path, data=body,
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class ConsoleTestServer:
    """What `console_server` yields: the running console and the fake robot behind it."""

    url: str
    password: str
    bridge: FakeBridge
    models_root: Path
    console_dir: Path
    clock: FakeClock
    app: Any

    def client(self) -> HttpClient:
        return HttpClient(self.url)

    def logged_in_client(self) -> HttpClient:
        client = self.client()
        reply = client.login(self.password)
        assert reply.status == 200, reply.body
        return client


VIDEO_ROUTE = "/route?topic=/camera_pkg/display_mjpeg&width=480&height=360"


class MjpegViewer:
    """One MJPEG viewer on its own connection, reading parts in a thread."""

    def __init__(self, url: str, client) -> None:
        port = int(url.rsplit(":", 1)[1])
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
        self.connection.request("GET", VIDEO_ROUTE, headers={"Cookie": cookie})
        self.response = self.connection.getresponse()
        self.parts: list[tuple[dict[str, str], bytes]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                line = self.response.readline()
                if not line:
                    return
                if line.strip() != b"--frame":
                    continue  # preamble keep-alives and part separators
                headers = {}
                while (header := self.response.readline().strip()):
                    key, _, value = header.decode().partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = self.response.read(int(headers["content-length"]))
                self.parts.append((headers, body))
        except (OSError, ValueError, http.client.HTTPException):
            return

    def close(self) -> None:
        """Like a closed tab: the socket goes away; the reader sees the end and stops first."""
        self.connection.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self.connection.close()
