"""Serve the console with cheroot (a production WSGI server) in a background thread.

Each live-video viewer holds a worker thread for as long as it watches, so the pool is sized for a
handful of viewers plus the API traffic of several phones.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

WORKER_THREADS = 32


class ConsoleServer:
    def __init__(self, app: wsgi.WSGIApplication, host: str, port: int,
                 certificate: tuple[Path, Path] | None = None, threads: int = WORKER_THREADS,
                 poll_s: float = 0.5) -> None:
        """`poll_s`: how often the accept loop wakes; `stop()` takes up to that long (tests use less)."""
        self._server = wsgi.Server((host, port), app, numthreads=threads, server_name="deepracer-console")
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
