"""The original car's console clients as they send their requests, written from each client's source (issue 24):
no code of theirs is used, only the bytes they put on the wire.

- `OriginalUi`: the original device console's React app (its built files, kept by the community in
  aws-deepracer-community/deepracer-custom-console). Its axios sends `X-CSRF-TOKEN`, read from the page's
  `csrf-token` meta tag, on every request, GETs included; writes are PUT; it logs in with the login page's form.
- `CommunityConsole`: the community's Cloudscape console (same repository). Its login page reads the
  `csrf-token` meta tag and sets `X-CSRFToken` on axios for every later request; it logs in with a JSON body; its
  route guard reads `document.cookie` for `deepracer_token` (presence only); its Logout calls `GET /redirect_login`.
- `DeepracerControl`: the PyPI client `awsdeepracer-control` 0.2.0 (requests). Its base URL ends in "/", so it
  asks for `//login`, `//api/uploadModels` and `//route`; it reads the token from the page `GET /` ends on (the
  login page) before it logs in, and sends it as `X-CSRFToken` with the same headers on every later request.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import socket
import urllib.parse
import uuid
from typing import Any

from webserver.console_client import HttpClient, Reply

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_meta(page: Reply) -> str:
    """The token a page carries in its `csrf-token` meta tag, as the clients read it ("" when empty)."""
    found = CSRF_META.search(page.body.decode())
    assert found is not None, f"no csrf-token meta tag in the page: {page.body[:300]!r}"
    return found.group(1)


def cookie_named(client: HttpClient, name: str) -> http.cookiejar.Cookie | None:
    return next((cookie for cookie in client.cookies if cookie.name == name), None)


def visible_to_scripts(client: HttpClient, name: str) -> bool:
    """Whether a page's `document.cookie` shows the cookie: it is there and not HttpOnly."""
    cookie = cookie_named(client, name)
    return cookie is not None and not cookie.has_nonstandard_attr("HttpOnly")


class OriginalUi:
    """The original console's React app in a browser: cookies kept, axios headers on every request."""

    def __init__(self, url: str) -> None:
        self.http = HttpClient(url)
        self.token = ""

    def log_in(self, password: str) -> Reply:
        """The login page's form, then the app's page (the React app's index.html), whose meta tag axios reads."""
        reply = self.http.request("POST", "/login", data=urllib.parse.urlencode({"password": password}).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}, csrf=False)
        if reply.status == 200:
            self.token = csrf_meta(self.http.get("/home"))
        return reply

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Accept": "application/json, text/plain, */*", "X-CSRF-TOKEN": self.token, **(extra or {})}

    def get(self, path: str) -> Reply:
        return self.http.request("GET", path, headers=self._headers(), csrf=False)

    def put(self, path: str, body: Any = None) -> Reply:
        if body is None:  # axios.put(url) sends no body
            return self.http.request("PUT", path, headers=self._headers(), csrf=False)
        return self.http.request("PUT", path, data=json.dumps(body).encode(), csrf=False,
                                 headers=self._headers({"Content-Type": "application/json;charset=utf-8"}))

    def post(self, path: str, body: Any) -> Reply:
        return self.http.request("POST", path, data=json.dumps(body).encode(), csrf=False,
                                 headers=self._headers({"Content-Type": "application/json;charset=utf-8"}))


class CommunityConsole:
    """The community console in a browser: the token its login page read, as X-CSRFToken, on every request."""

    def __init__(self, url: str) -> None:
        self.http = HttpClient(url)
        self.token = ""

    def open_login_page(self) -> None:
        self.token = csrf_meta(self.http.get("/login"))

    def log_in(self, password: str) -> Reply:
        return self.http.request("POST", "/login", data=json.dumps({"password": password}).encode(), csrf=False,
                                 headers={"Content-Type": "application/json", "X-CSRFToken": self.token})

    def route_guard_lets_in(self) -> bool:
        """The app's ProtectedRoute: `document.cookie` has a `deepracer_token=` entry."""
        return visible_to_scripts(self.http, "deepracer_token")

    def get(self, path: str) -> Reply:
        return self.http.request("GET", path, headers={"X-CSRFToken": self.token}, csrf=False)

    def put(self, path: str, body: Any) -> Reply:
        return self.http.request("PUT", path, data=json.dumps(body).encode(), csrf=False,
                                 headers={"Content-Type": "application/json", "X-CSRFToken": self.token})


class DeepracerControl:
    """awsdeepracer_control.Client over plain HTTP (the car's own URL is https://<ip>/; the bytes are the same)."""

    USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 "
                  "Safari/537.36")

    def __init__(self, url: str) -> None:
        self.root = url + "/"  # its self.URL
        self.http = HttpClient(url)
        self.token = ""
        self.headers: dict[str, str] = {}

    def connect(self, password: str) -> Reply:
        """_get_csrf_token: GET the base URL (requests follows the redirects), read the meta tag, POST //login."""
        page = self._follow("/")
        self.token = csrf_meta(page)
        reply = self.http.request("POST", "//login", data=urllib.parse.urlencode({"password": password}).encode(),
                                  csrf=False, headers={"X-CSRFToken": self.token, "user-agent": self.USER_AGENT,
                                                       "Content-Type": "application/x-www-form-urlencoded"})
        self.headers = {
            "X-CSRFToken": self.token, "user-agent": self.USER_AGENT, "referer": f"{self.root}home",
            "origin": self.root, "accept-encoding": "gzip, deflate, br",
            "content-type": "application/json;charset=UTF-8", "accept": "*/*", "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin", "accept-language": "en-US,en;q=0.9", "x-requested-with": "XMLHttpRequest",
        }
        return reply

    def _follow(self, path: str) -> Reply:
        for _ in range(5):
            reply = self.http.request("GET", path, csrf=False)
            if reply.status not in (301, 302, 303, 307, 308):
                return reply
            path = urllib.parse.urlsplit(reply.headers["Location"]).path or "/"
        raise AssertionError("too many redirects")

    def get(self, route: str) -> Reply:  # _get("api/...")
        return self.http.request("GET", "/" + route, headers=self.headers, csrf=False)

    def put(self, route: str, data: Any) -> Reply:  # _put("api/...", data): requests' json=None sends no body
        body = None if data is None else json.dumps(data).encode()
        return self.http.request("PUT", "/" + route, data=body, headers=self.headers, csrf=False)

    def upload_model(self, content: bytes, model_name: str) -> Reply:
        """upload_model: PUT //api/uploadModels, multipart field `file` named model_name, no part content type."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{model_name}\"\r\n\r\n"
                ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        headers = dict(self.headers, **{"content-type": f"multipart/form-data; boundary={boundary}"})
        return self.http.request("PUT", "//api/uploadModels", data=body, headers=headers, csrf=False)

    def video_stream_head(self) -> tuple[int, str]:
        """get_raw_video_stream: GET //route?... with its headers; the status and content type, then it hangs up."""
        host, port = urllib.parse.urlsplit(self.http.base_url).netloc.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        connection.request("GET", "//route?topic=/camera_pkg/display_mjpeg&width=1920&height=1080",
                           headers={**self.headers, "Cookie": cookie})
        response = connection.getresponse()
        status, kind = response.status, response.headers.get("Content-Type", "")
        if status == 200:
            response.read1(64)
        connection.sock.shutdown(socket.SHUT_RDWR)
        connection.close()
        return status, kind
