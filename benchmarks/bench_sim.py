"""The closed-loop simulator's own cost, and how close its camera picture is to the DeepRacer simulator's.

Run: .venv/bin/python benchmarks/bench_sim.py [--repeats N]; prints a table and writes bench-results/sim.json.

- step: one simulator step as the node runs it (read the two PWM channels' files that the servo's sysfs backend
  wrote into a temporary folder, inverse duty maths, bicycle model, locate on the track, race rules);
- render: the camera's view from a pose at the capture size (640x480) and its JPEG encoding (quality 90), both in
  the camera's grab() before the stamp, then the node's share after the stamp: decoding to the grey 160x120 policy
  image; poses every 0.25 m round the re:Invent track, so straights and bends both count;
- picture: grey 160x120 policy images of the three simulator frames dr-demo-{1,2,3}.png (deepracer-utils 1.5.6)
  against ours from poses every 0.5 m round the track: grey-level histograms (16 bins of 16 levels, and all 256
  levels; intersection, 1 = identical) and the mean grey of each tenth of the image height, top to bottom.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from camera_pkg.frames import encode_jpeg, policy_image
from camera_pkg.sources import SYNTHETIC_JPEG_QUALITY
from servo_pkg.backends.sysfs import DEEPRACER_CHANNELS, SysfsBackend
from servo_pkg.pwm_math import Calibration, duty_ns
from sim_pkg.actuation import Actuators
from sim_pkg.camera_view import CameraView
from sim_pkg.pwm_files import CHIP, PwmReader
from sim_pkg.simulation import Simulation
from sim_pkg.tracks import REINVENT, load_track

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / ".cache" / "deepracer-sample-model"
RESULT_PATH = REPO / "bench-results" / "sim.json"
BINS = 16


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def pwm_tree(root: Path) -> SysfsBackend:
    """The layout the servo node's simulated output writes (channels already exported), driven by its backend."""
    for number in DEEPRACER_CHANNELS.values():
        folder = root / CHIP / f"pwm{number}"
        folder.mkdir(parents=True)
        for name in ("period", "duty_cycle", "enable"):
            (folder / name).write_text("0")
    (root / "gpio" / "gpio436").mkdir(parents=True)
    for name in ("direction", "value"):
        (root / "gpio" / "gpio436" / name).write_text("")
    backend = SysfsBackend(Calibration().neutral(), pwm_root=root / CHIP, gpio_root=root / "gpio", enable_gpio=436)
    backend.activate()
    return backend


def step_cost(repeats: int) -> dict[str, float]:
    calibration = Calibration()
    track = load_track(REINVENT)
    with tempfile.TemporaryDirectory() as folder:
        backend = pwm_tree(Path(folder))
        backend.write({"steering": duty_ns(0.3, calibration.steering), "throttle": duty_ns(0.4, calibration.throttle)})
        reader = PwmReader(Path(folder))
        simulation = Simulation(track, Actuators(calibration, 2.0), 0.0)
        samples = []
        for i in range(repeats):
            started = time.perf_counter_ns()
            simulation.step((i + 1) * 0.02, reader.read())
            samples.append((time.perf_counter_ns() - started) / 1e3)
    return {"p50_us": pct(samples, 50), "p99_us": pct(samples, 99)}


def render_cost(repeats: int) -> dict[str, dict[str, float]]:
    track = load_track(REINVENT)
    view = CameraView(track, 640, 480)
    poses = [track.point_at(s) for s in np.arange(0.0, track.length, 0.25)]
    timings: dict[str, list[float]] = {"render": [], "jpeg": [], "decode_to_policy": []}
    for i in range(repeats):
        x, y, yaw = poses[i % len(poses)]
        t0 = time.perf_counter_ns()
        image = view.render(x, y, yaw)
        t1 = time.perf_counter_ns()
        frame = encode_jpeg(image, SYNTHETIC_JPEG_QUALITY)
        t2 = time.perf_counter_ns()
        policy_image(frame, 160, 120)
        t3 = time.perf_counter_ns()
        for name, ns in (("render", t1 - t0), ("jpeg", t2 - t1), ("decode_to_policy", t3 - t2)):
            timings[name].append(ns / 1e6)
    return {name: {"p50_ms": pct(values, 50), "p99_ms": pct(values, 99)} for name, values in timings.items()}


def _grey(image: np.ndarray) -> np.ndarray:
    """The policy image exactly as the stack makes it from a camera's JPEG."""
    return policy_image(encode_jpeg(image, SYNTHETIC_JPEG_QUALITY), 160, 120)


def _histogram(images: list[np.ndarray], bins: int = BINS) -> np.ndarray:
    counts = sum(np.bincount(image.ravel() // (256 // bins), minlength=bins) for image in images)
    return counts / counts.sum()


def _rows(images: list[np.ndarray]) -> list[float]:
    return [round(float(v), 1) for v in np.mean([i.reshape(10, -1).mean(axis=1) for i in images], axis=0)]


def picture_likeness() -> dict[str, object] | None:
    pictures = [SAMPLES / f"dr-demo-{n}.png" for n in (1, 2, 3)]
    if not all(p.is_file() for p in pictures):
        return None
    demo = [_grey(cv2.imread(str(p), cv2.IMREAD_COLOR)) for p in pictures]
    track = load_track(REINVENT)
    view = CameraView(track, 640, 480)
    ours = [_grey(view.render(*track.point_at(s))) for s in np.arange(0.0, track.length, 0.5)]
    demo_hist, our_hist = _histogram(demo), _histogram(ours)
    return {
        "histogram_bins": BINS,
        "demo_histogram_percent": [round(100 * float(v), 1) for v in demo_hist],
        "sim_histogram_percent": [round(100 * float(v), 1) for v in our_hist],
        "histogram_intersection": round(float(np.minimum(demo_hist, our_hist).sum()), 3),
        "histogram_intersection_256_levels": round(float(np.minimum(_histogram(demo, 256),
                                                                    _histogram(ours, 256)).sum()), 3),
        "demo_mean_std": [round(float(np.mean([d.mean() for d in demo])), 1),
                          round(float(np.mean([d.std() for d in demo])), 1)],
        "sim_mean_std": [round(float(np.mean([s.mean() for s in ours])), 1),
                         round(float(np.mean([s.std() for s in ours])), 1)],
        "demo_row_means": _rows(demo),
        "sim_row_means": _rows(ours),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    results = {"step": step_cost(args.repeats * 5), "frame": render_cost(args.repeats),
               "picture": picture_likeness(), "date": time.strftime("%Y-%m-%d")}
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(results, indent=2))
    step, frame = results["step"], results["frame"]
    print(f"simulator step (read PWM files, model, track rules): p50 {step['p50_us']:.0f} us, "
          f"p99 {step['p99_us']:.0f} us")
    print("| per frame | p50 ms | p99 ms |")
    print("|---|---|---|")
    for name, values in frame.items():
        print(f"| {name} | {values['p50_ms']:.2f} | {values['p99_ms']:.2f} |")
    picture = results["picture"]
    if picture is None:
        print("picture: the sample pictures are missing (.venv/bin/python tools/fetch_sample_models.py)")
    else:
        print(f"picture vs dr-demo-1..3: histogram intersection {picture['histogram_intersection']} (16 bins), "
              f"{picture['histogram_intersection_256_levels']} (256 levels); mean/std grey demo "
              f"{picture['demo_mean_std']} ours {picture['sim_mean_std']}")
        print(f"  histogram % demo {picture['demo_histogram_percent']}")
        print(f"  histogram % ours {picture['sim_histogram_percent']}")
        print(f"  row means demo {picture['demo_row_means']}")
        print(f"  row means ours {picture['sim_row_means']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
