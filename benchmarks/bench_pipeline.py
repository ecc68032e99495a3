"""The whole car stack measured the way a racer experiences it, each figure beside its limit from the same run.

Method: our launcher starts every node as its own process (synthetic camera at 15/30/60 fps, and the closed-loop
simulator's camera at 15/30 fps with the simulator reading the servo's PWM files; the demo model or a real one,
simulated PWM output). For each source and rate the stack drives autonomously for a fixed window and we read
  - end-to-end latency = PwmWritten.written - header.stamp (the frame's capture stamp), p50/p99/max;
  - frames captured in the window (camera ticks spanned by the written frames' capture stamps) and written, each
    stage's own count of frames it dropped, and any lost between stages;
  - CPU % per node (psutil over the window) and peak resident memory (VmHWM);
and the limit: a bare DDS hop between two processes for each hop of the graph (camera->inference,
inference->navigation, navigation->servo, measured as half a round trip through an echo process, same message
types and QoS) plus a bare OpenVINO inference of the same model with the same compile settings.
Then model load time (first load of a real .pb with conversion, cached load) against a bare read+compile, and the
console: API latency with 8 concurrent clients and MJPEG delivery to 4 viewers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.ros_env import isolate_ros_environment  # noqa: E402

isolate_ros_environment(os.environ, log_dir=tempfile.mkdtemp(prefix="deepracer-bench-ros-log-"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from deepracer_common_pkg import names, qos  # noqa: E402
from deepracer_common_pkg.car_clock import boot_ns  # noqa: E402
from deepracer_common_pkg.stamps import from_ns, to_ns  # noqa: E402
from deepracer_interfaces_pkg.msg import (  # noqa: E402
    CameraFrames,
    DriveCommand,
    InferenceResult,
    ModelState,
    PwmWritten,
    StageStats,
)
from deepracer_interfaces_pkg.srv import LoadModel  # noqa: E402
from support.rosgraph import Collector, RosProbe  # noqa: E402
from support.stack import (  # noqa: E402
    LaunchedStack,
    console_login,
    drive_autonomously,
    installed_model_dir,
    temp_data_dir,
)

STAGES = ("camera", "inference", "navigation", "servo")
PROCESSES = (*STAGES, "webserver", "sim", "logging")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def sample_messages() -> dict[str, object]:
    frame = CameraFrames(sequence=1)
    frame.images = [Image(height=120, width=160, encoding="mono8", step=160, data=bytes(160 * 120))]
    result = InferenceResult(model_name="bench", action_space_type="discrete", outputs=[0.1] * 12, action_index=3)
    return {"CameraFrames": frame, "InferenceResult": result, "DriveCommand": DriveCommand(angle=0.1, throttle=0.2)}


def measure_dds_hops(probe: RosProbe, count: int = 200) -> dict[str, float]:
    """Half the round trip through an echo process, per message type of the graph: p50 in ms.

    The arrival time is taken in the subscription callback itself, so no polling interval enters the figure.
    """
    profiles = {"CameraFrames": qos.LATEST, "InferenceResult": qos.LATEST, "DriveCommand": qos.COMMAND}
    echo = subprocess.Popen([sys.executable, str(REPO / "benchmarks" / "dds_echo.py")], env=dict(os.environ))
    try:
        hops = {}
        for name, message in sample_messages().items():
            msg_type = type(message)
            arrivals: dict[int, int] = {}
            arrived = threading.Event()

            def on_echo(echoed, arrivals=arrivals, arrived=arrived) -> None:
                arrivals[to_ns(echoed.header.stamp)] = time.perf_counter_ns()
                arrived.set()

            probe.node.create_subscription(msg_type, f"/bench/{name}_echo", on_echo, profiles[name])
            publisher = probe.publisher(msg_type, f"/bench/{name}", profiles[name], timeout=30)
            rtts = []
            for _ in range(count):
                arrived.clear()
                sent = time.perf_counter_ns()
                message.header.stamp = from_ns(sent)
                publisher.publish(message)
                if arrived.wait(1.0) and sent in arrivals:  # a lost best-effort sample is not a latency
                    rtts.append((arrivals[sent] - sent) / 1e6)
                time.sleep(1 / 60)  # pace like a 60 fps camera rather than flooding the echo
            hops[name] = pct(rtts, 50) / 2
        return hops
    finally:
        echo.terminate()
        echo.wait(10)


def bare_inference_ms(model_dir: Path, runs: int = 200, period_s: float = 0.0) -> dict[str, float]:
    """The same model compiled with the node's defaults, one infer request called directly on ready tensors.

    With `period_s` the calls are paced like frames: an inference every 33 ms costs about twice one in a hot
    loop on this CPU (caches and clocks cool down between frames), so each rate's limit uses its own cadence.
    """
    from inference_pkg.policy_network import load_model

    model = load_model(model_dir)
    request = model.compiled.create_infer_request()
    feeds = {port: np.zeros([d.get_length() for d in port.get_partial_shape()], np.float32)
             for port in model.inputs.values()}
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        request.infer(feeds)
        samples.append((time.perf_counter_ns() - started) / 1e6)
        if period_s:
            time.sleep(period_s)  # the pacing under test, not a synchronisation
    return {"p50": pct(samples, 50), "p99": pct(samples, 99)}


def bare_load_seconds(pb_path: Path) -> float:
    """OpenVINO alone: read the frozen graph and compile it with the node's settings (no checks, no cache)."""
    import openvino as ov

    from inference_pkg.policy_network import compile_config

    started = time.perf_counter()
    core = ov.Core()
    core.compile_model(core.read_model(str(pb_path)), "CPU", compile_config("f32", 1))
    return time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def node_processes(stack: LaunchedStack) -> dict[str, psutil.Process]:
    found = {}
    for child in psutil.Process(stack.process.pid).children():
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:  # a node that just exited (the launcher restarts it): not one to measure
            continue
        for stage in PROCESSES:
            if f"{stage}_pkg.{stage}_node" in command:
                found[stage] = child
    return found


def ticks_spanned(stamps_ns: list[int], fps: float) -> int:
    """Camera frames between the first and the last of these capture stamps, both included.

    The synthetic camera ticks on a fixed clock, so a gap of n periods between two written frames is n - 1 frames
    that never reached the servo. Counting this way needs no subscriber on the frame's path: a third reader on each
    hop (tried) added 1-1.5 ms to the p99 it was measuring.
    """
    period_ns = 1e9 / fps
    ordered = sorted(stamps_ns)
    return 1 + sum(round((b - a) / period_ns) for a, b in itertools.pairwise(ordered)) if ordered else 0


def fresh(collector: Collector, what: str, timeout: float = 5.0) -> object:
    """The first message received from now on (telemetry comes once a second)."""
    collector.clear()
    return collector.wait_for(timeout=timeout, what=what)


def run_rate(probe: RosProbe, fps: float, seconds: float, model_dir: Path | None,
             source: str = "synthetic", configs: tuple[Path, ...] = ()) -> dict[str, object]:
    """`synthetic`: the rendered endless track (the simulator runs but nothing looks at its car); `sim`: the
    closed loop, the camera rendering the simulated car's view. Both cameras tick on a fixed clock."""
    stack = LaunchedStack(temp_data_dir(), sets=[f"camera_node.fps={fps}", f"camera_node.source={source}"],
                          configs=list(configs))
    try:
        written = probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN,
                                  QoSProfile(depth=200, reliability=ReliabilityPolicy.RELIABLE))
        stats = {stage: probe.subscribe(StageStats, names.telemetry_topic(stage), qos.TELEMETRY) for stage in STAGES}
        drive_autonomously(probe, model_dir or installed_model_dir(stack), max_speed=1.0)
        written.wait_for(lambda w: w.reason == "command", 30, "the first duty cycle")
        processes = node_processes(stack)
        dropped_before = {stage: fresh(stats[stage], f"{stage} telemetry").dropped for stage in STAGES}
        for process in processes.values():
            process.cpu_percent(None)
        window_start = boot_ns()
        time.sleep(seconds)  # the measurement window itself, not a synchronisation
        window_end = boot_ns()
        cpu = {stage: process.cpu_percent(None) for stage, process in processes.items()}
        # Frames leave each stage in order: once a frame captured after the window is written, every frame of
        # the window has been written or dropped.
        written.wait_for(lambda w: w.reason == "command" and to_ns(w.header.stamp) > window_end, 10,
                         "a duty cycle for a frame captured after the window")
        after = {stage: fresh(stats[stage], f"{stage} telemetry") for stage in STAGES}
        dropped = {stage: after[stage].dropped - dropped_before[stage] for stage in STAGES}
        duty = {stamp: w for w in written.messages
                if w.reason == "command" and window_start <= (stamp := to_ns(w.header.stamp)) <= window_end}
        latencies = [(to_ns(w.written) - stamp) / 1e6 for stamp, w in duty.items()]
        captured = ticks_spanned(list(duty), fps)
        memory = {stage: peak_rss_mb(process.pid) for stage, process in processes.items()}
        stage_latency = {stage: {"p50": after[stage].latency_p50_ms, "p95": after[stage].latency_p95_ms}
                         for stage in STAGES}
        return {
            "source": source, "fps": fps, "seconds": seconds,
            "latency_ms": {"p50": pct(latencies, 50), "p99": pct(latencies, 99),
                           "max": max(latencies, default=float("nan")), "samples": len(latencies)},
            "frames": {"captured": captured, "written": len(duty), "dropped_by_stage": dropped,
                       "lost_between_stages": captured - len(duty) - sum(dropped.values())},
            "cpu_percent": cpu, "peak_rss_mb": memory,
            "stage_latency_from_capture_ms": stage_latency,
        }
    finally:
        stack.stop()


def model_load_times(probe: RosProbe, sample_dir: Path) -> dict[str, float]:
    """A real .pb model: first load (conversion), second load (cache), and a bare read_model + compile."""
    from inference_pkg.model_package import install

    data = temp_data_dir()
    package = Path(tempfile.mkdtemp()) / "real-model"
    package.mkdir()
    for name in ("model_metadata.json",):
        (package / name).write_bytes((sample_dir / name).read_bytes())
    (package / "model.pb").write_bytes((sample_dir / "model_15.pb").read_bytes())
    installed = install(package, data / "models")
    bare = bare_load_seconds(installed.path / "model.pb")
    stack = LaunchedStack(data, only="inference_node")
    try:
        states = probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
        times = []
        for _ in range(2):
            states.clear()
            probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=str(installed.path)), 60)
            state = states.wait_for(lambda s: s.state in ("loaded", "error") and s.model_dir == str(installed.path),
                                    60, "the real model loaded")
            assert state.state == "loaded", state.reason
            times.append(state.load_seconds)
        return {"first_load_s": times[0], "cached_load_s": times[1], "bare_read_compile_s": bare}
    finally:
        stack.stop()


def run_together(target, count: int) -> None:
    """`count` threads running `target` at once; returns when all are done."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def console_figures(stack: LaunchedStack, clients: int = 8, requests_each: int = 50, viewers: int = 4,
                    mjpeg_seconds: float = 5.0) -> dict[str, object]:
    _, password = console_login(stack, 60)

    def session() -> urllib.request.OpenerDirector:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        data = urllib.parse.urlencode({"password": password}).encode()
        opener.open(f"{stack.url}/login", data=data, timeout=10).read()
        return opener

    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        opener = session()
        mine = []
        for _ in range(requests_each):
            started = time.perf_counter()
            opener.open(f"{stack.url}/api/get_device_status", timeout=10).read()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    run_together(client, clients)

    frames_per_viewer: list[int] = []

    def viewer() -> None:
        opener = session()
        url = f"{stack.url}/route?topic={names.CAMERA_DISPLAY}&width=480&height=360"
        count = 0
        with opener.open(url, timeout=10) as response:
            deadline = time.monotonic() + mjpeg_seconds
            while time.monotonic() < deadline:
                line = response.readline()
                if line.lower().startswith(b"content-type: image/jpeg"):
                    count += 1
        with lock:
            frames_per_viewer.append(count)

    run_together(viewer, viewers)
    return {"api_clients": clients, "api_p50_ms": pct(latencies, 50), "api_p99_ms": pct(latencies, 99),
            "mjpeg_viewers": viewers,
            "mjpeg_fps_per_viewer": [round(c / mjpeg_seconds, 1) for c in frames_per_viewer]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="15,30,60", help="synthetic camera rates")
    parser.add_argument("--sim-rates", default="15,30", help="closed-loop simulator camera rates")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "pipeline.json")
    args = parser.parse_args()
    sample_dir = REPO / ".cache" / "deepracer-sample-model"
    probe = RosProbe()
    try:
        results: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                                  "date": time.strftime("%Y-%m-%d")}}
        results["dds_hop_ms"] = measure_dds_hops(probe)
        demo_stack = LaunchedStack(temp_data_dir())
        try:
            demo_model = installed_model_dir(demo_stack)
            results["console"] = console_figures(demo_stack)
        finally:
            demo_stack.stop()
        hops = sum(results["dds_hop_ms"].values())
        results["bare_inference_hot_loop_ms"] = bare_inference_ms(demo_model)
        results["rates"] = []
        cases = [("synthetic", float(f)) for f in args.rates.split(",") if f] + \
                [("sim", float(f)) for f in args.sim_rates.split(",") if f]
        for source, fps in cases:
            row = run_rate(probe, fps, args.seconds, demo_model, source)
            # As many calls at the frame pace as the window had frames, so the limit samples as long a stretch of the
            # machine's time as the stack's figure does.
            row["bare_inference_ms"] = bare_inference_ms(demo_model, runs=round(args.seconds * fps), period_s=1 / fps)
            row["limit_ms"] = hops + row["bare_inference_ms"]["p50"]
            results["rates"].append(row)
        if (sample_dir / "model_15.pb").exists():
            results["model_load"] = model_load_times(probe, sample_dir)
    finally:
        probe.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    hops = results["dds_hop_ms"]
    print(f"bare DDS hops (p50 ms): {', '.join(f'{k} {v:.2f}' for k, v in hops.items())}; bare inference hot loop "
          f"p50 {results['bare_inference_hot_loop_ms']['p50']:.2f} ms")
    print("| source | fps | limit ms (hops + bare inference at this rate) | e2e p50 ms | p99 ms | max ms | p99/limit | "
          "captured | written | dropped cam/inf/nav/servo | lost between | "
          "from capture p50 ms: camera / inference / navigation / servo | CPU % cam/inf/nav/servo/web/sim/log | "
          "peak MB cam/inf/nav/servo/web/sim/log |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["rates"]:
        lat, fr, limit = r["latency_ms"], r["frames"], r["limit_ms"]
        stages = " / ".join(f"{r['stage_latency_from_capture_ms'][s]['p50']:.2f}" for s in STAGES)
        cpu = "/".join(f"{r['cpu_percent'].get(s, float('nan')):.0f}" for s in PROCESSES)
        mem = "/".join(f"{r['peak_rss_mb'].get(s, float('nan')):.0f}" for s in PROCESSES)
        dropped = "/".join(str(fr["dropped_by_stage"][s]) for s in STAGES)
        print(f"| {r['source']} | {r['fps']:.0f} | {limit:.2f} | {lat['p50']:.2f} | {lat['p99']:.2f} | "
              f"{lat['max']:.2f} | {lat['p99'] / limit:.1f}x | {fr['captured']} | {fr['written']} | {dropped} | "
              f"{fr['lost_between_stages']} | {stages} | {cpu} | {mem} |")
    if "model_load" in results:
        m = results["model_load"]
        print(f"model load (real 12-action .pb): first {m['first_load_s']:.3f} s, cached {m['cached_load_s']:.3f} s, "
              f"bare read_model+compile {m['bare_read_compile_s']:.3f} s")
    c = results["console"]
    print(f"console: {c['api_clients']} clients p50 {c['api_p50_ms']:.1f} ms p99 {c['api_p99_ms']:.1f} ms; "
          f"MJPEG {c['mjpeg_viewers']} viewers fps {c['mjpeg_fps_per_viewer']}")


if __name__ == "__main__":
    sys.exit(main())
