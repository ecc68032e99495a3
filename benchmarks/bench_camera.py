"""Camera node cost: CPU of the node process at 15 and 30 fps, mono and stereo, with and without a display
viewer, and capture-to-publish latency. Prints a table and writes bench-results/camera.json.

Run: .venv/bin/python benchmarks/bench_camera.py [--seconds N]

The source is a folder of 640x480 JPEG pictures of the synthetic track, which the node treats as it treats the
car's MJPEG USB camera: the JPEG is decoded straight to the policy size (and in full only for a viewer), with no
rendering cost that a real camera would not have. Stereo reads the folder twice.
Each case starts the real node as its own process over real DDS (loopback only), with a subscriber on the
policy frames as the inference node would be, and for "display" a viewer of the JPEG stream too.
CPU % is of one core (100 = one core busy), from the process's CPU time over the measuring window.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.ros_env import isolate_ros_environment  # noqa: E402

isolate_ros_environment(os.environ, log_dir=tempfile.mkdtemp(prefix="deepracer-bench-ros-log-"))

import cv2  # noqa: E402
import psutil  # noqa: E402
from sensor_msgs.msg import CompressedImage  # noqa: E402

from camera_pkg.synthetic_track import SyntheticTrack  # noqa: E402
from deepracer_common_pkg import names, qos  # noqa: E402
from deepracer_common_pkg.car_clock import boot_ns  # noqa: E402
from deepracer_common_pkg.stamps import to_ns  # noqa: E402
from deepracer_common_pkg.telemetry import percentile  # noqa: E402
from deepracer_interfaces_pkg.msg import CameraFrames, StageStats  # noqa: E402
from support.rosgraph import NodeProcess, RosProbe  # noqa: E402

PICTURES = 90
WARM_UP_S = 2.0
RESULT_PATH = REPO / "bench-results" / "camera.json"


def write_pictures(folder: Path) -> None:
    track = SyntheticTrack(640, 480)
    for index in range(PICTURES):
        cv2.imwrite(str(folder / f"{index:04d}.jpg"), track.render(index / 15), [cv2.IMWRITE_JPEG_QUALITY, 90])


def cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        times = each.cpu_times()
        total += times.user + times.system
    return total


def run_case(folder: Path, fps: float, stereo: bool, display: bool, seconds: float) -> dict:
    source = f"folder:{folder}" + (f",folder:{folder}" if stereo else "")
    probe = RosProbe()
    node = NodeProcess("camera_pkg", "camera_node", {"source": source, "fps": fps})
    try:
        frames = probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
        telemetry = probe.subscribe(StageStats, names.telemetry_topic("camera"), qos.TELEMETRY)
        viewer = probe.subscribe(CompressedImage, names.CAMERA_DISPLAY, qos.LATEST) if display else None
        frames.wait_for(timeout=30, what="policy frames")
        if viewer is not None:
            viewer.wait_for(timeout=30, what="display frames")
        time.sleep(WARM_UP_S)  # a benchmark, not a test: let start-up work settle before measuring
        process = psutil.Process(node.process.pid)
        frames.clear()
        telemetry.clear()
        if viewer is not None:
            viewer.clear()
        wall_offset_ns = boot_ns() - time.monotonic_ns()
        cpu_before, start = cpu_seconds(process), time.monotonic()
        time.sleep(seconds)
        cpu_after, elapsed = cpu_seconds(process), time.monotonic() - start
        received = frames.timed()
        stats = telemetry.latest()
        viewed = len(viewer.messages) if viewer is not None else 0
    finally:
        exit_code = node.stop()
        probe.close()
    if exit_code != 0:
        raise RuntimeError(f"camera node exited with {exit_code}:\n{node.log_path.read_text()}")
    messages = [message for _, message in received]
    delivered = sorted((receive_s * 1e9 + wall_offset_ns - to_ns(m.header.stamp)) / 1e6 for receive_s, m in received)
    span_s = (to_ns(messages[-1].header.stamp) - to_ns(messages[0].header.stamp)) / 1e9
    return {
        "fps": fps, "cameras": 2 if stereo else 1, "display_viewer": display,
        "cpu_percent": round(100 * (cpu_after - cpu_before) / elapsed, 1),
        "published_fps": round((messages[-1].sequence - messages[0].sequence) / span_s, 2),
        "display_fps": round(viewed / elapsed, 2),
        "capture_to_publish_p50_ms": round(stats.latency_p50_ms, 2),
        "capture_to_publish_p95_ms": round(stats.latency_p95_ms, 2),
        "capture_to_receive_p50_ms": round(percentile(delivered, 0.5), 2),
        "capture_to_receive_p95_ms": round(percentile(delivered, 0.95), 2),
        "dropped": stats.dropped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring window per case")
    args = parser.parse_args()
    results = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-camera-") as folder:
        write_pictures(Path(folder))
        for fps in (15.0, 30.0):
            for stereo in (False, True):
                for display in (False, True):
                    results.append(run_case(Path(folder), fps, stereo, display, args.seconds))
                    print_row(results[-1], header=len(results) == 1)
    RESULT_PATH.parent.mkdir(exist_ok=True)
    report = {
        "benchmark": "camera", "source": "folder of 640x480 JPEG track pictures (MJPEG camera stand-in)",
        "cpu_percent_of": "one core", "measure_seconds": args.seconds, "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(), "python": platform.python_version(),
        # Other work on the machine skews every figure: the 1-minute load average before and after.
        "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "results": results,
    }
    RESULT_PATH.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nload average (1 min) before/after: {report['load_average_1min']}; written to {RESULT_PATH}")


COLUMNS = (("fps", "fps", "{:.0f}"), ("cameras", "cams", "{}"), ("display_viewer", "viewer", "{}"),
           ("cpu_percent", "CPU %", "{:.1f}"), ("published_fps", "out fps", "{:.2f}"),
           ("display_fps", "disp fps", "{:.2f}"), ("capture_to_publish_p50_ms", "pub p50 ms", "{:.2f}"),
           ("capture_to_publish_p95_ms", "pub p95 ms", "{:.2f}"),
           ("capture_to_receive_p50_ms", "recv p50 ms", "{:.2f}"),
           ("capture_to_receive_p95_ms", "recv p95 ms", "{:.2f}"), ("dropped", "dropped", "{}"))


def print_row(result: dict, header: bool) -> None:
    if header:
        print("  ".join(f"{title:>11}" for _, title, _ in COLUMNS))
    print("  ".join(f"{fmt.format(result[key]):>11}" for key, _, fmt in COLUMNS), flush=True)


if __name__ == "__main__":
    main()
