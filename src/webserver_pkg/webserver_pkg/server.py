"""Serve the console with cheroot (a production WSGI server) in a background thread.

Each live-video viewer holds a worker thread for as long as it watches, so the pool is sized for a
handful of viewers plus the API traffic of several phones.

Repeated slashes in a request's path are merged into one before cheroot reads the request line, as the original
car's nginx did (`merge_slashes`, its default): `awsdeepracer-control` builds `//login`, `//api/uploadModels` and
`//route` from a base URL ending in "/", and cheroot answers a path starting with "//" with 400 (it reads it as
an absolute URI). Merging reaches no route that the single-slash path would not; the query string is left as sent.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from cheroot import server as http_server
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

WORKER_THREADS = 32
# "METHOD <target> HTTP/x.y": the target's path is everything up to the first "?" (or "#").
_REQUEST_LINE = re.compile(rb"^(\S+ )(/[^ ?#]*)(.*)$", re.DOTALL)
_SLASHES = re.compile(rb"//+")


def merge_slashes(request_line: bytes) -> bytes:
    """The request line with each run of slashes in the path made one (the query string untouched)."""
    found = _REQUEST_LINE.match(request_line)
    if found is None or b"//" not in found.group(2):
        return request_line
    return found.group(1) + _SLASHES.sub(b"/", found.group(2)) + found.group(3)


class _FirstLineMerged:
    """The connection's reader, with repeated slashes merged in the lines cheroot reads as the request line."""

    def __init__(self, rfile: Any) -> None:
        self._rfile = rfile

    def readline(self, size: int | None = None) -> bytes:
        return merge_slashes(self._rfile.readline(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rfile, name)


class _Request(http_server.HTTPRequest):
    def read_request_line(self) -> bool:
        rfile = self.rfile
        self.rfile = _FirstLineMerged(rfile)
        try:
            return super().read_request_line()
        finally:
            self.rfile = rfile


class _Connection(http_server.HTTPConnection):
    RequestHandlerClass = _Request


class ConsoleServer:
    def __init__(self, app: wsgi.WSGIApplication, host: str, port: int,
                 certificate: tuple[Path, Path] | None = None, threads: int = WORKER_THREADS,
                 poll_s: float = 0.5) -> None:
        """`poll_s`: how often the accept loop wakes; `stop()` takes up to that long (tests use less)."""
        self._server = wsgi.Server((host, port), app, numthreads=threads, server_name="deepracer-console")
        self._server.ConnectionClass = _Connection
        self._server.expiration_interval = poll_s
        if certificate is not None:
            self._server.ssl_adapter = BuiltinSSLAdapter(str(certificate[0]), str(certificate[1]))
        self._thread: threading.Thread | None = None
        self.scheme = "https" if certificate is not None else "http"

    def start(self) -> None:
        """Bind (so a busy port fails here, in the caller) and serve in a daemon thread."""
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name="console-http", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
