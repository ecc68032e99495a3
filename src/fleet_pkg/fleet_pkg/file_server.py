"""The organiser's HTTP side: serve one model package to the cars, or receive their log uploads.

Paths carry a random token, so only cars that were sent the URL can fetch or upload. Bytes served per client
are counted for the progress bar. Uploads are written to a temporary name and renamed when complete, so a
cut-off upload never looks like a finished log.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

CHUNK = 256 * 1024
MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,128}")


class FileServer:
    def __init__(self, host: str, *, serve: Path | None = None, receive_into: Path | None = None) -> None:
        self.token = secrets.token_urlsafe(12)
        self._serve = serve
        self._receive_into = receive_into
        self._lock = threading.Lock()
        self.sent: dict[str, int] = {}  # client address -> bytes sent
        self.received: list[Path] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:  # the CLI prints progress, not access logs
                pass

            def do_GET(self) -> None:
                server._get(self)

            def do_PUT(self) -> None:
                server._put(self)

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self._httpd.daemon_threads = True
        self.host, self.port = host, self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, *parts: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{self.token}/" + "/".join(quote(p) for p in parts)

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        if self._serve is None or handler.path != f"/{self.token}/{quote(self._serve.name)}":
            handler.send_error(404)
            return
        size = self._serve.stat().st_size
        handler.send_response(200)
        handler.send_header("Content-Type", "application/gzip")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        client = handler.client_address[0] + f":{handler.client_address[1]}"
        with self._serve.open("rb") as source:
            while chunk := source.read(CHUNK):
                try:
                    handler.wfile.write(chunk)
                except OSError:
                    return
                with self._lock:
                    self.sent[client] = self.sent.get(client, 0) + len(chunk)

    def _put(self, handler: BaseHTTPRequestHandler) -> None:
        parts = handler.path.strip("/").split("/")
        length = handler.headers.get("Content-Length", "")
        if (self._receive_into is None or len(parts) != 3 or parts[0] != self.token
                or not all(_SAFE.fullmatch(p) and not p.startswith(".") for p in parts[1:])):
            handler.send_error(404)
            return
        if not length.isdigit() or int(length) > MAX_UPLOAD_BYTES:
            handler.send_error(411 if not length.isdigit() else 413)
            return
        folder = self._receive_into / parts[1]
        folder.mkdir(parents=True, exist_ok=True)
        remaining = int(length)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as out:
            try:
                while remaining > 0:
                    chunk = handler.rfile.read(min(CHUNK, remaining))
                    if not chunk:
                        break
                    out.write(chunk)
                    remaining -= len(chunk)
            except OSError:
                remaining = -1
        if remaining != 0:
            os.unlink(out.name)
            handler.send_error(400, "upload cut off")
            return
        target = folder / parts[2]
        shutil.move(out.name, target)
        with self._lock:
            self.received.append(target)
        handler.send_response(201)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def bytes_sent(self) -> int:
        with self._lock:
            return sum(self.sent.values())

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
