"""What recording costs the car: the whole stack's end-to-end latency with and without the logging node.

Method: bench_pipeline.run_rate (our launcher, every node its own process, synthetic camera, demo model, simulated
PWM, a fixed window of autonomous driving) at 15 and 30 fps, alternately with the logging node recording the run
and with it left out of the graph (an overlay `bag_log_node: false`), `--repeats` times each, so the run-to-run
noise of the same configuration is measured in the same session as the difference the logger makes. With the
logger we also read its CPU and peak memory, the bag's growth over the window (bytes per minute of driving), and
the console's replay load: list the runs, first page of the timeline, first picture (over HTTP, logged in, as the
Runs page asks for them; the first open reads the whole bag once).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_pipeline as pipeline  # noqa: E402  (sets up the isolated ROS environment first)
import numpy as np  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

from deepracer_common_pkg import names, qos  # noqa: E402
from deepracer_common_pkg.stamps import from_ns, to_ns  # noqa: E402
from deepracer_interfaces_pkg.msg import CameraFrames, NavigationState  # noqa: E402
from logging_pkg.disk_guard import folder_bytes  # noqa: E402
from support.rosgraph import RosProbe, wait_for  # noqa: E402
from support.stack import (  # noqa: E402
    LaunchedStack,
    console_login,
    drive_autonomously,
    installed_model_dir,
    temp_data_dir,
)

REPO = HERE.parent


def without_logger_overlay() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-logging-")) / "no-logger.yaml"
    path.write_text("bag_log_node: false\n")
    return path


def paired_hop(probe: RosProbe, pairs: int, seconds: float, fps: float = 30.0) -> dict[str, object]:
    """The frame hop alone, logger on and off in alternating short windows (so a machine whose load drifts
    weighs on both alike): policy frames at `fps` through an echo process (half the round trip, as the limit in
    bench_pipeline), with a real logging node recording them into a bag, or with no logging node at all."""
    echo = subprocess.Popen([sys.executable, str(HERE / "dds_echo.py")])
    logs = Path(tempfile.mkdtemp(prefix="bench-logging-bags-"))
    arrivals: dict[int, int] = {}
    echoed = probe.node.create_subscription(
        CameraFrames, "/bench/CameraFrames_echo",
        lambda m: arrivals.__setitem__(to_ns(m.header.stamp), time.perf_counter_ns()), qos.LATEST)
    publisher = probe.publisher(CameraFrames, "/bench/CameraFrames", qos.LATEST, timeout=30)
    state = probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED, wait_for_subscribers=0)
    state.publish(NavigationState(mode="autonomous", started=True, model_ready=True))
    message = pipeline.sample_messages()["CameraFrames"]
    message.images[0].data = np.random.default_rng(1).integers(0, 255, 160 * 120, dtype=np.uint8).tobytes()
    samples: dict[bool, list[float]] = {True: [], False: []}
    windows: dict[bool, list[float]] = {True: [], False: []}  # each window's p99: the run-to-run noise
    publish_us: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(pairs):
            for logger_on in (True, False):
                logger = None
                if logger_on:
                    logger = subprocess.Popen([sys.executable, "-m", "logging_pkg.logging_node", "--ros-args",
                                               "-r", f"{names.CAMERA_FRAMES}:=/bench/CameraFrames",
                                               "-p", f"output_path:={logs}"], stdout=subprocess.DEVNULL)
                    wait_for(lambda: publisher.get_subscription_count() >= 2, 30, "the logger subscribed")
                    wait_for(lambda: any(logs.glob("*/*.mcap")), 30, "the logger recording")
                else:
                    wait_for(lambda: publisher.get_subscription_count() == 1, 30, "only the echo subscribed")
                deadline = time.monotonic() + seconds
                first = len(samples[logger_on])
                while time.monotonic() < deadline:
                    sent = time.perf_counter_ns()
                    message.header.stamp = from_ns(sent)
                    publisher.publish(message)
                    publish_us[logger_on].append((time.perf_counter_ns() - sent) / 1e3)
                    time.sleep(1 / fps)  # the camera's pace, not a synchronisation
                    if sent in arrivals:
                        samples[logger_on].append((arrivals.pop(sent) - sent) / 2e6)
                windows[logger_on].append(pipeline.pct(samples[logger_on][first:], 99))
                if logger is not None:
                    logger.terminate()
                    logger.wait(20)
    finally:
        echo.terminate()
        echo.wait(10)
        # The latched "started" state must leave with this part: a stack started next in this domain would hear
        # it, and its inference node would refuse to load a model while "the car is running".
        for entity in (state, publisher):
            probe.node.destroy_publisher(entity)
        probe.node.destroy_subscription(echoed)
    bag_bytes = folder_bytes(logs)
    return {"pairs": pairs, "seconds_each": seconds, "fps": fps, "bag_bytes": bag_bytes, **{
        ("on" if on else "off"): {"hop_p50_ms": pipeline.pct(values, 50), "hop_p99_ms": pipeline.pct(values, 99),
                                  "window_p99_ms": windows[on],
                                  "samples": len(values), "publish_p50_us": pipeline.pct(publish_us[on], 50),
                                  "publish_p99_us": pipeline.pct(publish_us[on], 99)}
        for on, values in samples.items()}}


def measure(probe: RosProbe, fps: float, seconds: float, model: Path, configs: tuple[Path, ...]) -> dict:
    """One bench_pipeline window; tried once more when the run broke off (on a loaded machine navigation may stop
    a run whose peers went quiet), and the failure is kept in the results."""
    try:
        return pipeline.run_rate(probe, fps, seconds, model, "synthetic", configs=configs)
    except AssertionError as error:
        print(f"  window failed ({error}); once more", flush=True)
        row = pipeline.run_rate(probe, fps, seconds, model, "synthetic", configs=configs)
        row["retried_after"] = str(error)
        return row


def recording_figures(probe: RosProbe, fps: float, seconds: float, model_dir: Path) -> dict[str, float]:
    """Bag bytes per minute of driving, and the console's replay load times on the bag just recorded."""
    stack = LaunchedStack(temp_data_dir(), sets=[f"camera_node.fps={fps}", "camera_node.source=synthetic"])
    try:
        drive_autonomously(probe, model_dir or installed_model_dir(stack), max_speed=1.0)
        logs = stack.data_dir / "logs"
        wait_for(lambda: any(logs.glob("*/*.mcap")), 30, "a bag")
        before, start = folder_bytes(logs), time.monotonic()
        time.sleep(seconds)  # the measurement window itself, not a synchronisation
        grown, elapsed = folder_bytes(logs) - before, time.monotonic() - start
        _, password = console_login(stack, 60)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        opener.open(f"{stack.url}/login", data=urllib.parse.urlencode({"password": password}).encode(),
                    timeout=10).read()

        def get(path: str) -> bytes:
            with opener.open(f"{stack.url}{path}", timeout=60) as response:
                return response.read()

        probe.call(Trigger, names.LOGGING_STOP_LOGGING, Trigger.Request(), 15)
        timings = {}
        t0 = time.perf_counter()
        run = json.loads(get("/api/runs"))["runs"][0]
        timings["list_ms"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        page = json.loads(get(f"/api/runs/{run['name']}/timeline?start=0&count=1000"))
        timings["first_open_timeline_ms"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        get(f"/api/runs/{run['name']}/frame/0")
        timings["first_picture_ms"] = (time.perf_counter() - t0) * 1000
        pictures = []
        for index in range(0, page["total"], max(1, page["total"] // 50)):
            t0 = time.perf_counter()
            get(f"/api/runs/{run['name']}/frame/{index}")
            pictures.append((time.perf_counter() - t0) * 1000)
        timings["picture_p50_ms"] = float(np.percentile(pictures, 50))
        timings["picture_p99_ms"] = float(np.percentile(pictures, 99))
        return {"fps": fps, "bytes_per_minute": grown / elapsed * 60, "frames_in_bag": page["total"],
                "bag_mb": run["size_bytes"] / 2**20, **timings}
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="15,30")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=6, help="alternating on/off windows of the frame hop")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "logging.json")
    args = parser.parse_args()
    overlay = without_logger_overlay()
    probe = RosProbe()
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M"), "rows": [], "recording": []}
    try:
        if args.pairs:
            results["paired_hop"] = paired_hop(probe, args.pairs, 5.0)
            print(f"paired frame hop: {json.dumps(results['paired_hop'])}", flush=True)
        demo_stack = LaunchedStack(temp_data_dir(), configs=[overlay])
        try:
            model = installed_model_dir(demo_stack)
        finally:
            demo_stack.stop()
        for fps in (float(f) for f in args.rates.split(",") if f):
            for repeat in range(args.repeats):
                for logger in (True, False):
                    row = measure(probe, fps, args.seconds, model, () if logger else (overlay,))
                    row.update(logger=logger, repeat=repeat)
                    results["rows"].append(row)
                    print(f"{fps:.0f} fps, logger {'on ' if logger else 'off'}: e2e p50 "
                          f"{row['latency_ms']['p50']:.2f} ms, p99 {row['latency_ms']['p99']:.2f} ms, "
                          f"logger CPU {row['cpu_percent'].get('logging', float('nan')):.1f} %, "
                          f"peak {row['peak_rss_mb'].get('logging', float('nan')):.0f} MB", flush=True)
            results["recording"].append(recording_figures(probe, fps, args.seconds, model))
    finally:
        probe.close()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))  # what was measured, even when a later step failed
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    print("| fps | logger | runs | e2e p50 ms | e2e p99 ms (each run) | max ms | frames written / captured | "
          "logger CPU % | logger peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = results["rows"]
    for fps in sorted({r["fps"] for r in rows}):
        for logger in (False, True):
            same = [r for r in rows if r["fps"] == fps and r["logger"] == logger]
            p50 = "/".join(f"{r['latency_ms']['p50']:.2f}" for r in same)
            p99 = "/".join(f"{r['latency_ms']['p99']:.2f}" for r in same)
            worst = max(r["latency_ms"]["max"] for r in same)
            frames = "/".join(f"{r['frames']['written']}/{r['frames']['captured']}" for r in same)
            cpu = "/".join(f"{r['cpu_percent'].get('logging', float('nan')):.1f}" for r in same) if logger else "-"
            mem = "/".join(f"{r['peak_rss_mb'].get('logging', float('nan')):.0f}" for r in same) if logger else "-"
            print(f"| {fps:.0f} | {'on' if logger else 'off'} | {len(same)} | {p50} | {p99} | {worst:.2f} | "
                  f"{frames} | {cpu} | {mem} |")
    hop = results.get("paired_hop")
    if hop:
        print(f"paired frame hop ({hop['pairs']} x {hop['seconds_each']:.0f} s each, {hop['fps']:.0f} fps): "
              f"logger off p50 {hop['off']['hop_p50_ms']:.2f} / p99 {hop['off']['hop_p99_ms']:.2f} ms, "
              f"on p50 {hop['on']['hop_p50_ms']:.2f} / p99 {hop['on']['hop_p99_ms']:.2f} ms; p99 per window off "
              f"{'/'.join(f'{v:.1f}' for v in hop['off']['window_p99_ms'])}, on "
              f"{'/'.join(f'{v:.1f}' for v in hop['on']['window_p99_ms'])}; publish() p50 "
              f"{hop['off']['publish_p50_us']:.0f} / {hop['on']['publish_p50_us']:.0f} us")
    print("| fps | bag MB per minute | list ms | first open (timeline page) ms | first picture ms | "
          "picture p50 / p99 ms |")
    print("|---|---|---|---|---|---|")
    for r in results["recording"]:
        print(f"| {r['fps']:.0f} | {r['bytes_per_minute'] / 2**20:.1f} | {r['list_ms']:.0f} | "
              f"{r['first_open_timeline_ms']:.0f} | {r['first_picture_ms']:.1f} | "
              f"{r['picture_p50_ms']:.1f} / {r['picture_p99_ms']:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
