"""Where a run is recorded, by mode: never / usb_only / always.

Source: the community car's logger writes to a USB stick that has a `logs/` folder at its top, else to
/opt/aws/deepracer/logs; "USBOnly" records only when such a stick is there. A stick is found the way the car
mounts them: a folder under the mount root (`/media/<label>` or `/media/<user>/<label>`).
"""

from __future__ import annotations

from pathlib import Path

USB_LOGS_FOLDER = "logs"


def usb_logs_folder(mount_root: Path) -> Path | None:
    """The `logs/` folder of the first mounted stick that has one (sorted, so the choice is stable)."""
    if not mount_root.is_dir():
        return None
    try:
        mounts = sorted(p for p in mount_root.iterdir() if p.is_dir())
        for mount in mounts:
            for candidate in (mount / USB_LOGS_FOLDER, *sorted(mount.glob(f"*/{USB_LOGS_FOLDER}"))):
                if candidate.is_dir():
                    return candidate
    except OSError:
        return None
    return None


def recording_folder(mode: str, output_path: Path, mount_root: Path) -> Path | None:
    """The folder the next run goes to, or None when this mode records nothing now."""
    if mode == "never":
        return None
    usb = usb_logs_folder(mount_root)
    if usb is not None:
        return usb
    return output_path if mode == "always" else None
