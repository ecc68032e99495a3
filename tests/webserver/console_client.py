"""Console test tools: a browser-like HTTP client over real sockets, an MJPEG viewer, the running test
server's handles, and a clock tests move by hand."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webserver_pkg.robot.in_process import InProcessRobot


class ManualClock:
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

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None = None) -> None:
        """`ssl_context`: for an https console, e.g. one trusting the car's self-signed certificate."""
        self.base_url = base_url
        self.ssl_context = ssl_context
        self.cookies = http.cookiejar.CookieJar()
        self.csrf_token: str | None = None
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies),
                                                   urllib.request.HTTPSHandler(context=ssl_context), _NoRedirect())

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
    """What `console_server` yields: the running console and the in-process robot behind it."""

    url: str
    password: str
    bridge: InProcessRobot
    models_root: Path
    console_dir: Path
    clock: ManualClock
    app: Any

    def client(self) -> HttpClient:
        return HttpClient(self.url)

    def logged_in_client(self) -> HttpClient:
        client = self.client()
        reply = client.login(self.password)
        assert reply.status == 200, reply.body
        return client


VIDEO_ROUTE = "/route?topic=/camera_pkg/display_mjpeg&width=480&height=360"


def own_connection(url: str, client: HttpClient) -> http.client.HTTPConnection:
    """A kept-alive connection of its own to the console at `url` (https with the client's SSL context), as a
    browser holds one for a stream or a poll."""
    port = int(url.rsplit(":", 1)[1])
    if url.startswith("https:"):
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=client.ssl_context)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def session_headers(client: HttpClient) -> dict[str, str]:
    """The logged-in client's cookies, for requests made on an own_connection."""
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in client.cookies)}


class MjpegViewer:
    """One MJPEG viewer on its own connection, reading parts in a thread."""

    def __init__(self, url: str, client, raw: bool = False, keep_parts: bool = True) -> None:
        """`raw`: keep the body's bytes as they came (`self.raw`) instead of parsing parts. `keep_parts` false:
        only count them (`self.count`), as a viewer open for minutes must. An https `url` is opened with the
        client's SSL context."""
        self.connection = own_connection(url, client)
        self._keep_parts = keep_parts
        self.count = 0
        self.connection.request("GET", VIDEO_ROUTE, headers=session_headers(client))
        self.response = self.connection.getresponse()
        self.parts: list[tuple[dict[str, str], bytes]] = []
        self.raw = b""
        self._thread = threading.Thread(target=self._read_raw if raw else self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                line = self.response.readline()
                if not line:
                    return
                if line.strip() != b"--frame":
                    continue  # the CRLF that ends each part
                headers = {}
                while (header := self.response.readline().strip()):
                    key, _, value = header.decode().partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = self.response.read(int(headers["content-length"]))
                self.count += 1
                if self._keep_parts:
                    self.parts.append((headers, body))
        except (OSError, ValueError, http.client.HTTPException):
            return

    def _read_raw(self) -> None:
        try:
            while chunk := self.response.read1(65536):
                self.raw += chunk
        except (OSError, http.client.HTTPException):
            return

    def close(self) -> None:
        """Like a closed tab: the socket goes away; the reader sees the end and stops first."""
        self.connection.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self.connection.close()
