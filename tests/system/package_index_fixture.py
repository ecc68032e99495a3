"""A real package index on loopback for update tests: a folder in PEP 503 "simple" layout served by http.server on
127.0.0.1, holding small wheels written here as zip files (the binary distribution format: dist-info METADATA,
WHEEL, entry_points.txt and a RECORD of sha256 digests). Each wheel declares the `deepracer-self-check` console
script the update looks for; it passes or fails as the test asks."""

from __future__ import annotations

import base64
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PACKAGE = "deepracer-stack-probe"
MODULE = "deepracer_stack_probe"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def write_wheel(folder: Path, version: str, *, self_check_passes: bool) -> Path:
    """A wheel of PACKAGE `version`; its self-check imports a library of the running environment (the shared
    dependencies must reach the new release) and exits 0, or says what failed and exits 3."""
    check = ("    import cryptography  # a dependency shared from the running environment\n"
             f"    print('version {version} up')\n    return 0\n" if self_check_passes else
             "    print('camera node did not start', file=sys.stderr)\n    return 3\n")
    info = f"{MODULE}-{version}.dist-info"
    files = {
        f"{MODULE}/__init__.py": f"import sys\n\nVERSION = {version!r}\n\n\ndef self_check() -> int:\n{check}",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\ndeepracer-self-check = {MODULE}:self_check\n",
    }
    wheel = folder / f"{MODULE}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        record = [_record_line(path, text.encode()) for path, text in files.items()] + [f"{info}/RECORD,,"]
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def publish(root: Path, wheels: list[Path], yanked: tuple[str, ...] = ()) -> None:
    """The simple pages: /simple/ lists the project, /simple/<project>/ links its files (`yanked` files marked so,
    as PEP 592 says)."""
    project = root / "simple" / PACKAGE
    project.mkdir(parents=True, exist_ok=True)
    (root / "simple" / "index.html").write_text(f'<html><body><a href="{PACKAGE}/">{PACKAGE}</a></body></html>\n')
    links = "".join(f'<a href="../../files/{w.name}"{" data-yanked" if w.name in yanked else ""}>{w.name}</a><br>\n'
                    for w in wheels)
    (project / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 (a free port); yields the index URL, .../simple."""
    handler = lambda *a, **k: _Quiet(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="package-index", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def index_with(tmp_path: Path, versions: dict[str, bool], yanked: tuple[str, ...] = ()) -> Iterator[str]:
    """An index holding PACKAGE at each version (version -> its self-check passes), `yanked` versions withdrawn."""
    files = tmp_path / "index" / "files"
    files.mkdir(parents=True)
    wheels = [write_wheel(files, v, self_check_passes=ok) for v, ok in versions.items()]
    publish(tmp_path / "index", wheels, tuple(w.name for w in wheels if w.name.split("-")[1] in yanked))
    with serve(tmp_path / "index") as url:
        yield url
