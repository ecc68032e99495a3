"""Install a model package from a URL on the event network: download, verify its md5, install atomically.

The download goes to a temporary folder beside the models root (same disk, and not a RAM-backed /tmp), its
md5 is computed while it streams in and compared with the one the organiser sent (the md5 of the .tar.gz
file itself, what `md5sum` prints for it), and only a match is handed to the model-package code, which
unpacks, validates and swaps it in atomically. Any failure leaves installed models as they were and the
temporary folder removed.

"The event network" is checked, not assumed: the URL's host must resolve only to private, loopback or
link-local addresses (RFC 1918, RFC 4193...), redirects are not followed and proxies from the environment
are not used, so a fleet command can never make a car fetch from the internet.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fleet_pkg.agent import CommandRefused
from inference_pkg import model_package

DOWNLOAD_TIMEOUT_S = 30.0  # per socket operation: a server that stops sending fails the install
CHUNK = 256 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise CommandRefused(f"{req.full_url} redirects to {newurl}: give the package's own address")


EVENT_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def plain_reason(error: BaseException) -> str:
    """A network failure in words: 'Connection refused', 'timed out', 'the transfer was cut off'."""
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        return plain_reason(error.reason)
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    if isinstance(error, http.client.IncompleteRead):
        return "the transfer was cut off"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or "the connection failed"


def check_event_network(url: str) -> str:
    """The URL if its host is on the event network; CommandRefused saying why not otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandRefused(f"{url!r} is not an http:// or https:// address")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
    except (OSError, ValueError):
        raise CommandRefused(f"{parts.hostname} in {url} cannot be resolved on this car's network") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not (ip.is_private or ip.is_loopback or ip.is_link_local):
            raise CommandRefused(f"{parts.hostname} ({address}) is not on the event network: cars download only "
                                 "from private, loopback or link-local addresses")
    return url


def download(url: str, into: Path, max_bytes: int) -> tuple[Path, str]:
    """Stream `url` into a file under `into`; return (path, md5 hex)."""
    check_event_network(url)
    target = into / "package.tar.gz"
    digest = hashlib.md5(usedforsecurity=False)
    total = 0
    try:
        with EVENT_OPENER.open(url, timeout=DOWNLOAD_TIMEOUT_S) as response, target.open("wb") as out:
            declared = response.headers.get("Content-Length", "")
            while chunk := response.read(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise CommandRefused(f"{url} is larger than {max_bytes // (1024 * 1024)} MB: is it a model "
                                         "package?")
                digest.update(chunk)
                out.write(chunk)
            if declared.isdigit() and total != int(declared):  # a sized read ends quietly at a closed connection
                raise http.client.IncompleteRead(b"", int(declared) - total)
    except urllib.error.HTTPError as error:
        raise CommandRefused(f"{url} answered HTTP {error.code} {error.reason}: is the file still served?") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise CommandRefused(f"downloading {url} failed ({plain_reason(error)}): is the organiser's machine "
                             "reachable and still serving it?") from None
    return target, digest.hexdigest()


def fetch_and_install(url: str, md5: str, name: str, models_root: Path,
                      max_bytes: int = model_package.DEFAULT_MAX_BYTES,
                      refuse: Callable[[Path], str] = lambda folder: "") -> dict[str, Any]:
    """`refuse(folder)`: why the model in that folder may not be replaced now ("" when it may; the car's rule,
    drive_rules.model_change_refusal), asked just before the new one is swapped in."""
    started = time.monotonic()

    def choose(final_name: str) -> str:
        refusal = refuse(models_root / final_name)
        if refusal:
            raise model_package.ModelPackageError(f"{refusal}; nothing was installed")
        return final_name

    models_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fleet-download-", dir=models_root.parent) as folder:
        path, digest = download(url, Path(folder), max_bytes)
        size = path.stat().st_size
        if digest != md5.lower():
            raise CommandRefused(f"the downloaded package's md5 is {digest}, not {md5.lower()}: nothing was "
                                 "installed; check the file and send it again")
        try:
            installed = model_package.install(path, models_root, name, max_bytes=max_bytes,
                                              label=Path(urlsplit(url).path).name or url, choose_name=choose)
        except model_package.ModelPackageError as error:
            raise CommandRefused(str(error)) from None
    return {"model": installed.name, "md5": digest, "checksum": installed.checksum,
            "bytes": size,
            "seconds": round(time.monotonic() - started, 2)}
