"""Software update from a package index (PyPI on a car, or an event's own index), beside the running release.

Which versions exist is read from the index's PEP 503 "simple" page for the package (`<index>/<name>/`: one
anchor per file, the file name carries the version; wheel names per the binary distribution format spec, sdists
`<name>-<version>.tar.gz`). The release is built by pip, the tool the index is made for: a new virtual
environment in the release's staging folder (`python -m venv --without-pip`, so no second pip is copied in), into
which the running pip installs exactly `<name>==<version>` with `--no-deps` (`pip --python`, pip >= 22.3). The
stack's dependencies are not fetched again: a `.pth` file puts the running process's site-packages folders (its
environment's and those its own `.pth` chained in) after the release's own, so the new version of the stack
shadows the old one and shares its libraries. The package must
declare a `deepracer-self-check` console script; pip writes it to the release's `bin/`, where
`Releases.install` looks for the self-check. Trust: the index's TLS, as pip itself checks it.
"""

from __future__ import annotations

import html.parser
import re
import site
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from system_pkg.update.releases import UpdateError
from system_pkg.update.signed_package import newest

INDEX_TIMEOUT_S = 30.0  # one answer from the index's simple page
PIP_TIMEOUT_S = 600.0  # the whole download and install of one release
SHARED_SITE_PACKAGES = "deepracer-shared-site-packages.pth"
# Final releases only (PEP 440 release segment), as pip installs by default: no rc, dev or local versions.
_FINAL_RELEASE = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def normalized(name: str) -> str:
    """PEP 503's name normalisation (runs of -, _ and . are one -, lower case)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def version_of(filename: str, package: str) -> str | None:
    """The version in a wheel or sdist file name of `package`, or None for another package's or another kind."""
    stem = filename.split("#", 1)[0]
    if stem.endswith(".whl"):
        parts = stem[: -len(".whl")].split("-")
        if len(parts) in (5, 6) and normalized(parts[0]) == normalized(package):
            return parts[1]
        return None
    for suffix in (".tar.gz", ".zip"):
        if stem.endswith(suffix):
            name, dash, version = stem[: -len(suffix)].rpartition("-")
            if dash and normalized(name) == normalized(package):
                return version
    return None


def _shared_site_packages() -> list[str]:
    return [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")] or site.getsitepackages()


# pip's own form for a script whose interpreter path is too long for `#!`: sh finds the python beside the script.
_RELOCATABLE = (b"#!/bin/sh\n"
                b"'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/python \"$0\" \"$@\"\n"
                b"' '''\n")


def _make_scripts_relocatable(folder: Path) -> None:
    """pip writes the staging folder's python into each script's `#!`; the release is renamed after the build, so
    each script is pointed at the python in its own folder instead."""
    staged = f"#!{folder / 'bin' / 'python'}".encode()
    for script in (folder / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        first, newline, rest = script.read_bytes().partition(b"\n")
        if newline and first.startswith(staged):
            script.write_bytes(_RELOCATABLE + rest)


class _Anchors(html.parser.HTMLParser):
    """The file names of a simple page, less those withdrawn (PEP 592's data-yanked: pip skips them too)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._in_anchor = False

    def handle_starttag(self, tag: str, attrs) -> None:
        self._in_anchor = tag == "a" and not any(name == "data-yanked" for name, _ in attrs)
        if self._in_anchor:
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_anchor = False

    def handle_data(self, data: str) -> None:
        if self._in_anchor:
            self.texts[-1] += data


class PackageIndex:
    def __init__(self, index_url: str, package: str, *, python: str = sys.executable,
                 timeout_s: float = INDEX_TIMEOUT_S) -> None:
        if not _NAME.match(package):
            raise ValueError(f"update_package {package!r} is not a package name")
        self.index_url = index_url.rstrip("/")
        self.package = package
        self.python = python
        self.timeout_s = timeout_s

    def versions(self) -> list[str]:
        """Every final release of the package the index holds."""
        url = f"{self.index_url}/{normalized(self.package)}/"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as answer:
                page = answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise UpdateError(f"the package index {self.index_url} has no package {self.package!r}") from error
            raise UpdateError(f"the package index {self.index_url} answered {error.code}: try again later") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise UpdateError(f"the package index {self.index_url} cannot be reached ({reason}): is the car "
                              "online?") from error
        anchors = _Anchors()
        anchors.feed(page)
        found = {v for text in anchors.texts if (v := version_of(text.strip(), self.package))}
        return sorted(v for v in found if _FINAL_RELEASE.match(v))

    def newer_than(self, running: str) -> str:
        """The newest version on the index if it is not the running one and sorts after it; "" when up to date."""
        versions = self.versions()
        if not versions:
            return ""
        best = newest(versions)
        if best == running or (running and newest([best, running]) == running):
            return ""
        return best

    def install_into(self, version: str) -> Callable[[Path], None]:
        """A build step for Releases.install: a virtual environment holding `package==version` from the index."""
        def build(folder: Path) -> None:
            self._run([sys.executable, "-m", "venv", "--without-pip", str(folder)], "create the release's environment")
            release_python = folder / "bin" / "python"
            own = subprocess.run([str(release_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            Path(own, SHARED_SITE_PACKAGES).write_text("".join(f"{p}\n" for p in _shared_site_packages()))
            self._run([self.python, "-m", "pip", "--python", str(release_python), "install", "--no-deps",
                       "--no-input", "--disable-pip-version-check", "--no-cache-dir", "--index-url", self.index_url,
                       f"{self.package}=={version}"], f"install {self.package} {version} from {self.index_url}")
            _make_scripts_relocatable(folder)
        return build

    def _run(self, command: list[str], what: str) -> None:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as error:
            raise UpdateError(f"could not {what} within {PIP_TIMEOUT_S:.0f} s") from error
        if done.returncode != 0:
            said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            errors = [line for line in said if line.startswith("ERROR")] or said
            raise UpdateError(f"could not {what}: {errors[-1] if errors else done.returncode}")
