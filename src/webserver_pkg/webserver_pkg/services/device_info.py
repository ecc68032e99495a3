"""What the console says about the machine: versions, CPU, memory, load, and pipeline figures.

Plain functions over psutil, /proc and package metadata; the pipeline figures come from the
stages' StageStats the bridge collected.
"""

from __future__ import annotations

import functools
import os
import platform
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import psutil

from webserver_pkg.robot.bridge import CameraView, StageView

# Telemetry older than this is a stage that stopped: its figures are not shown as current.
STALE_TELEMETRY_S = 5.0

# psutil measures CPU use between two calls and answers 0.0 to the first: open the window at start-up so the
# console's first figure is real.
psutil.cpu_percent(interval=None)


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def software_version() -> str:
    return package_version("webserver_pkg")


def ros_distro() -> str:
    """ROS_DISTRO on a ROS install; from the rclpy wheel's name (ros-<distro>-rclpy) in a plain venv."""
    if os.environ.get("ROS_DISTRO"):
        return os.environ["ROS_DISTRO"]
    for dist in metadata.distributions():
        match = re.fullmatch(r"ros-([a-z]+)-rclpy", dist.metadata["Name"] or "")
        if match:
            return match.group(1)
    return "unknown"


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_version(product_path: Path = Path("/sys/class/dmi/id/product_name")) -> str:
    try:
        return product_path.read_text(errors="replace").strip() or platform.machine()
    except OSError:
        return platform.machine()


def cpu_temperature() -> float | None:
    """Hottest CPU-ish sensor in degrees C, or None where the machine exposes none."""
    try:
        sensors = psutil.sensors_temperatures()
    except (AttributeError, OSError):
        return None
    readings = [t.current for name, entries in sensors.items() for t in entries
                if name in ("coretemp", "k10temp", "cpu_thermal", "cpu-thermal", "soc_thermal", "acpitz")]
    return max(readings) if readings else None


@dataclass(frozen=True)
class PipelineFigures:
    """Latency from capture (median and 95th percentile, ms) and the frame rate the car acts on (Hz)."""

    latency_p50_ms: float | None
    latency_p95_ms: float | None
    rate_hz: float | None

    def api_fields(self) -> dict[str, float | None]:
        """The original console API's names: its `latency_mean` has always carried the MEDIAN (it is not a
        mean), and `fps_mean` the rate over the telemetry window; the names stay for the API's clients."""
        return {"latency_mean": self.latency_p50_ms, "latency_p95": self.latency_p95_ms, "fps_mean": self.rate_hz}


def pipeline_figures(stages: dict[str, StageView]) -> PipelineFigures:
    """latency from the servo stage (end to end from capture) or the last stage that reports;
    the rate from inference (what the car acts on), else the camera."""
    fresh = {name: s for name, s in stages.items() if s.age_s <= STALE_TELEMETRY_S and s.count > 0}
    latency = next((fresh[n] for n in ("servo", "navigation", "inference", "camera") if n in fresh), None)
    rate = next((fresh[n] for n in ("inference", "camera") if n in fresh and fresh[n].rate_hz > 0), None)
    return PipelineFigures(latency_p50_ms=round(latency.latency_p50_ms, 2) if latency else None,
                           latency_p95_ms=round(latency.latency_p95_ms, 2) if latency else None,
                           rate_hz=round(rate.rate_hz, 2) if rate else None)


def device_status(stages: dict[str, StageView], disk_path: Path) -> dict[str, object]:
    existing = next((p for p in (disk_path, *disk_path.parents) if p.exists()), Path("/"))
    return {
        "cpu_percent": psutil.cpu_percent(interval=None),
        "cpu_temp": cpu_temperature(),
        "memory_usage": psutil.virtual_memory().percent,
        "free_disk": psutil.disk_usage(str(existing)).free,
        **pipeline_figures(stages).api_fields(),
        "stages": {name: {"rate_hz": round(s.rate_hz, 2), "latency_p50_ms": round(s.latency_p50_ms, 2),
                          "latency_p95_ms": round(s.latency_p95_ms, 2), "count": s.count,
                          "dropped": s.dropped, "age_s": round(s.age_s, 2)}
                   for name, s in sorted(stages.items())},
    }


def about() -> dict[str, object]:
    return {
        "software_version": software_version(),
        "hardware_version": hardware_version(),
        "ros_distro": ros_distro(),
        "openvino_version": package_version("openvino"),
        "cpu": cpu_model(),
        "cpu_count": psutil.cpu_count() or 0,
        "memory_total": psutil.virtual_memory().total,
    }


def sensor_status(camera: CameraView | None, lidar_connected: bool) -> dict[str, str]:
    """The original console's sensor fields: connected / not_connected / error per sensor."""
    def status(connected: bool) -> str:
        if camera is not None and camera.error:
            return "error"
        return "connected" if connected else "not_connected"

    return {
        "camera_status": status(camera is not None and camera.connected),
        "stereo_status": status(camera is not None and camera.connected and camera.stereo),
        "lidar_status": "connected" if lidar_connected else "not_connected",
    }
