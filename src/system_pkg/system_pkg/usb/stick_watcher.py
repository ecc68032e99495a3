"""USB sticks, found by polling a mount folder: each folder in it is a mounted stick (udisks and usbmount mount
sticks as /media/<user>/<label> or /media/usb<N>); polling needs no udev rule and works the same in a container
and in tests, where a temporary folder is the mount root.

On insertion, once per insertion: `wifi-creds.txt` joins the car to that network and `device-status.txt` is
written back; each entry of `models/` (a .tar.gz or a folder) is installed through the model-package code
(inference_pkg.model_package.install), which stages it and swaps it in whole, so a stick pulled mid-copy
leaves every installed model as it was; a `logs/` folder becomes where run logs go while logging to USB is on
(`logs_folder`, published by the system node for the logging node).

Installed models are NOT wiped first, unlike the original: a racer's stick would otherwise delete an event's
models, and a stick pulled mid-import would leave a car with none. A same-named model is replaced, except the one
driving the car (`refuse`, the car's rule: drive_rules.model_change_refusal), which stays and is reported.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference_pkg.metadata import ModelPackageError
from system_pkg.network.base import ConnectResult
from system_pkg.usb import device_status
from system_pkg.usb.wifi_creds import FILE_NAME as WIFI_CREDS
from system_pkg.usb.wifi_creds import WifiCredsError, parse_wifi_creds

log = logging.getLogger(__name__)

MODELS_DIR = "models"
LOGS_DIR = "logs"


@dataclass
class StickReport:
    """What one insertion did, for the log and the status LEDs."""

    stick: Path
    wifi: ConnectResult | None = None
    wifi_problem: str = ""
    installed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Seen:
    device: int
    inode: int


class StickWatcher:
    def __init__(self, mount_root: Path, *, models_root: Path, join_wifi: Callable[[str, str], ConnectResult],
                 network_name: Callable[[], str], require_mount_point: bool = True,
                 on_joining: Callable[[], None] = lambda: None,
                 install_model: Callable[..., Any] | None = None,
                 is_mount: Callable[[Path], bool] = os.path.ismount,
                 refuse: Callable[[Path], str] = lambda folder: "") -> None:
        self.mount_root = mount_root
        self.models_root = models_root
        self._join_wifi = join_wifi
        self._network_name = network_name
        self._require_mount_point = require_mount_point
        self._on_joining = on_joining
        self._install = install_model
        self._is_mount = is_mount
        self._refuse = refuse
        self._seen: dict[Path, _Seen] = {}

    def _candidates(self) -> list[Path]:
        """The mount root's folders, and one level further for folders that are not mounts themselves
        (udisks mounts a stick at /media/<user>/<label>)."""
        try:
            entries = sorted(self.mount_root.iterdir())
        except OSError:
            return []
        found = []
        for entry in entries:
            try:
                if entry.name.startswith(".") or not entry.is_dir():
                    continue
                if not self._require_mount_point or self._is_mount(entry):
                    found.append(entry)
                else:
                    found += [child for child in sorted(entry.iterdir()) if not child.name.startswith(".")
                              and child.is_dir() and self._is_mount(child)]
            except OSError:  # pulled while we looked
                continue
        return found

    def sticks(self) -> dict[Path, _Seen]:
        found = {}
        for entry in self._candidates():
            try:
                info = entry.stat()
            except OSError:
                continue
            found[entry] = _Seen(info.st_dev, info.st_ino)
        return found

    def poll(self) -> list[StickReport]:
        """Handle the sticks inserted since the last poll; forget the removed ones (so a re-insertion counts)."""
        current = self.sticks()
        new = [path for path, seen in current.items() if self._seen.get(path) != seen]
        self._seen = current
        return [self.handle(path) for path in new]

    def logs_folder(self) -> Path | None:
        """The `logs/` folder of a stick in now, if any: where run logs go while logging to USB is on."""
        for stick in self._seen:
            folder = stick / LOGS_DIR
            if folder.is_dir():
                return folder
        return None

    def handle(self, stick: Path) -> StickReport:
        report = StickReport(stick)
        log.info("USB stick at %s", stick)
        creds_file = stick / WIFI_CREDS
        if creds_file.is_file():
            self._wifi(creds_file, report)
        models = stick / MODELS_DIR
        if models.is_dir():
            self._models(models, report)
        return report

    def _wifi(self, creds_file: Path, report: StickReport) -> None:
        try:
            creds = parse_wifi_creds(creds_file.read_text(encoding="utf-8", errors="replace"))
        except (OSError, WifiCredsError) as error:
            report.wifi_problem = str(error)
            log.warning("%s: %s", creds_file, error)
            return
        self._on_joining()
        report.wifi = self._join_wifi(creds.ssid, creds.password)
        joined = report.wifi.success
        log.info("USB %s: %s", WIFI_CREDS, f"joined {creds.ssid!r}" if joined else report.wifi.reason)
        text = device_status.device_status_text(ssid=self._network_name() if joined else creds.ssid, joined=joined,
                                                reason=report.wifi.reason,
                                                addresses=device_status.interface_addresses())
        try:
            device_status.write_on_stick(report.stick / device_status.FILE_NAME, text)
        except OSError as error:
            log.warning("could not write %s on the stick: %s", device_status.FILE_NAME, error)

    def _installer(self) -> Callable[..., Any]:
        """The model-package install, imported at the first stick with models; it reads the graph in a child
        process (inference_pkg.package_check), so this process never loads OpenVINO."""
        if self._install is None:
            from inference_pkg.model_package import install

            self._install = install
        return self._install

    def _models(self, models: Path, report: StickReport) -> None:
        try:
            entries = sorted(p for p in models.iterdir() if not p.name.startswith("."))
        except OSError as error:
            report.failed[MODELS_DIR] = f"cannot read {models}: {error}"
            return
        def choose(name: str) -> str:  # asked once the package is valid, just before it is swapped in
            refusal = self._refuse(self.models_root / name)
            if refusal:
                raise ModelPackageError(f"{refusal}; the installed one was kept")
            return name

        for entry in entries:
            try:
                installed = self._installer()(entry, self.models_root, label=f"USB {MODELS_DIR}/{entry.name}",
                                              choose_name=choose)
            except (ModelPackageError, OSError) as error:
                report.failed[entry.name] = str(error)
                log.warning("USB model %s not installed: %s", entry.name, error)
                continue
            report.installed.append(installed.name)
            log.info("USB model %s installed as %s", entry.name, installed.name)
