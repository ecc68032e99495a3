"""Upload one run's logs (a bag folder `<model>-YYYYMMDD-HHMMSS` under the logs folder) to the organiser.

The folder is packed as .tar.gz into a temporary file beside it and sent with one HTTP PUT to a URL on the
event network (the same check as model downloads). The run folder itself is only read.
"""

from __future__ import annotations

import http.client
import re
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from fleet_pkg.agent import CommandRefused
from fleet_pkg.model_fetch import DOWNLOAD_TIMEOUT_S, EVENT_OPENER, check_event_network, plain_reason

RUN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def run_folder(logs_dir: Path, run: str) -> Path:
    if not RUN_NAME.fullmatch(run):
        raise CommandRefused(f"{run!r} is not a run name (a folder name like model-20261201-101500)")
    folder = logs_dir / run
    if not folder.is_dir():
        known = sorted(p.name for p in logs_dir.iterdir() if p.is_dir()) if logs_dir.is_dir() else []
        hint = f"; this car has {', '.join(known[-5:])}" if known else "; this car has no runs logged"
        raise CommandRefused(f"no run named {run!r} in the car's logs{hint}")
    return folder


def upload_run(logs_dir: Path, run: str, url: str) -> dict[str, Any]:
    folder = run_folder(logs_dir, run)
    check_event_network(url)
    with tempfile.TemporaryDirectory(prefix=".fleet-upload-", dir=logs_dir) as work:
        archive = Path(work) / f"{run}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname=run)
        size = archive.stat().st_size
        with archive.open("rb") as body:
            request = urllib.request.Request(url, data=body, method="PUT",
                                             headers={"Content-Type": "application/gzip",
                                                      "Content-Length": str(size)})
            try:
                with EVENT_OPENER.open(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                raise CommandRefused(f"{url} refused the upload: HTTP {error.code} {error.reason}") from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
                raise CommandRefused(f"uploading to {url} failed ({plain_reason(error)})") from None
    return {"run": run, "bytes": size}
