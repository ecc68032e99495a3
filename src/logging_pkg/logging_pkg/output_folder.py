"""Where a run is recorded, by mode: never / usb_only / always.

Source: the community car's logger writes to a USB stick that has a `logs/` folder at its top, else to
/opt/aws/deepracer/logs; "USBOnly" records only when such a stick is there. Finding the stick is the system node's
(system_pkg's stick watcher publishes its `logs/` folder on /system_pkg/usb_logs_dir): one home for that rule.
"""

from __future__ import annotations

from pathlib import Path


def recording_folder(mode: str, output_path: Path, usb_logs: Path | None) -> Path | None:
    """The folder the next run goes to, or None when this mode records nothing now."""
    if mode == "never":
        return None
    if usb_logs is not None:
        return usb_logs
    return output_path if mode == "always" else None
