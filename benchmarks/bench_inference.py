"""Inference cost: model load time (first load, converting the frozen graph, and cached load) and
inference latency p50/p99 per model kind, against a bare OpenVINO call on the same compiled model in the
same run (the limit). Prints a table and writes bench-results/inference.json.

Run: .venv/bin/python benchmarks/bench_inference.py [--iterations N]

Kinds: the real trained 12-action model (deepracer-utils 1.5.6 sample, fetched by the set-up; skipped with
a note when missing) and generated DeepRacer-shaped networks for the other sensor/action kinds. Three
latencies per kind, all batch 1 on the CPU with the node's defaults (f32, 1 thread, LATENCY hint):
  bare     request.infer on prepared input tensors, nothing else (the limit);
  ours     LoadedModel.infer + choose: what the node's frame callback calls once inputs exist;
  frame    the whole per-frame work: 640x480 BGR frame(s) (and a 360-beam scan) -> inputs -> infer -> choose.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov

from inference_pkg import demo_model, lidar, preprocess
from inference_pkg.graph_files import CACHE_DIR
from inference_pkg.model_package import install
from inference_pkg.policy_network import load_model

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / ".cache" / "deepracer-sample-model"
RESULT_PATH = REPO / "bench-results" / "inference.json"
LOAD_REPEATS = 5
GENERATED = {
    "mono ppo discrete (generated)": (("FRONT_FACING_CAMERA",), "clipped_ppo", demo_model.DEMO_ACTIONS),
    "stereo ppo continuous (generated)": (("STEREO_CAMERAS",), "clipped_ppo", demo_model.DEMO_RANGE),
    "stereo+lidar ppo discrete (generated)": (("STEREO_CAMERAS", "LIDAR"), "clipped_ppo", demo_model.DEMO_ACTIONS),
    "stereo+sector sac continuous (generated)": (("STEREO_CAMERAS", "SECTOR_LIDAR"), "sac", demo_model.DEMO_RANGE),
}


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    ordered = np.sort(np.array(samples_ns, dtype=np.float64)) / 1e6
    return {"p50_ms": float(np.percentile(ordered, 50)), "p99_ms": float(np.percentile(ordered, 99)),
            "mean_ms": float(ordered.mean())}


def timed(action, iterations: int) -> dict[str, float]:
    for _ in range(max(20, iterations // 10)):  # warm-up
        action()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - start)
    return percentiles(samples)


def load_times(folder: Path, scratch: Path) -> dict[str, float]:
    """First load of a freshly installed copy (converts a frozen graph, writes the cache), then a cached load."""
    first, cached = [], []
    for repeat in range(LOAD_REPEATS):
        copy = scratch / f"load-{repeat}"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(CACHE_DIR))  # keeps checksum.txt's mtime
        first.append(load_model(copy))
        cached.append(load_model(copy))
        shutil.rmtree(copy)
    assert not any(m.from_cache for m in first)
    assert all(m.from_cache for m in cached) or not (folder / "model.pb").is_file()

    def summary(loads: list) -> dict[str, float]:
        phases = {k: statistics.median([m.phases[k] for m in loads]) * 1000 for k in loads[0].phases}
        return {"total_ms": statistics.median([m.load_seconds for m in loads]) * 1000,
                **{k.replace("_s", "_ms"): v for k, v in phases.items()}}

    first_summary, cached_summary = summary(first), summary(cached)
    return {"first_load_ms": first_summary["total_ms"], "cached_load_ms": cached_summary["total_ms"],
            "first_load_phases": first_summary, "cached_load_phases": cached_summary}


def camera_frames(count: int) -> list[preprocess.RawImage]:
    rng = np.random.default_rng(7)
    return [preprocess.RawImage("bgr8", 480, 640, 640 * 3, rng.integers(0, 256, (480, 640, 3), np.uint8).tobytes())
            for _ in range(count)]


def measure(name: str, folder: Path, iterations: int, scratch: Path) -> dict:
    model = load_model(folder)
    metadata = model.metadata
    camera = metadata.camera_sensor
    frames = camera_frames(2 if camera == "STEREO_CAMERAS" else 1)
    scan = (np.where(np.arange(360) % 40 < 5, 0.4, np.inf), -np.pi, 2 * np.pi / 360)

    def feeds() -> dict[str, np.ndarray]:
        inputs = {camera: preprocess.camera_input(camera, frames)}
        if model.lidar_settings is not None:
            inputs[metadata.lidar_sensor] = lidar.scan_vector(*scan, model.lidar_settings)[np.newaxis]
        return inputs

    prepared = feeds()
    bare_request = model.compiled.create_infer_request()
    bare_inputs = {model.inputs[sensor]: array for sensor, array in prepared.items()}
    row = {"model": name, "sensors": list(metadata.sensors), "algorithm": metadata.training_algorithm,
           "action_space": metadata.action_space.type, "outputs": metadata.action_space.policy_output_count,
           "graph": "frozen graph (.pb)" if (folder / "model.pb").is_file() else "OpenVINO IR"}
    row.update(load_times(folder, scratch))
    row["bare"] = timed(lambda: bare_request.infer(bare_inputs), iterations)
    row["ours"] = timed(lambda: metadata.action_space.action_index(model.infer(prepared)), iterations)
    row["frame"] = timed(lambda: metadata.action_space.action_index(model.infer(feeds())), iterations)
    return row


def precision_row(folder: Path, iterations: int) -> dict:
    """The same real model with this CPU's default bf16, to show what the f32 default costs."""
    model = load_model(folder, precision="bf16")
    request = model.compiled.create_infer_request()
    inputs = {model.inputs["FRONT_FACING_CAMERA"]: preprocess.camera_input("FRONT_FACING_CAMERA", camera_frames(1))}
    return {"model": "real ppo discrete (model_15.pb), bf16", "bare": timed(lambda: request.infer(inputs), iterations)}


def table(rows: list[dict]) -> str:
    header = (f"{'model':42} {'graph':18} {'first load':>10} {'cached':>8} | {'bare p50/p99':>14} "
              f"{'ours p50/p99':>14} {'frame p50/p99':>14}  (ms)")
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = [f"{row[k]['p50_ms']:6.2f}/{row[k]['p99_ms']:<6.2f}" if k in row else f"{'':14}"
                 for k in ("bare", "ours", "frame")]
        loads = (f"{row['first_load_ms']:10.0f} {row['cached_load_ms']:8.0f}" if "first_load_ms" in row
                 else f"{'':10} {'':8}")
        lines.append(f"{row['model']:42} {row.get('graph', ''):18} {loads} | " + " ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000)
    args = parser.parse_args()
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as scratch_name:
        scratch = Path(scratch_name)
        if (SAMPLE / "model_15.pb").is_file():
            real = scratch / "real-model-15"
            real.mkdir()
            shutil.copyfile(SAMPLE / "model_metadata.json", real / "model_metadata.json")
            shutil.copyfile(SAMPLE / "model_15.pb", real / "model.pb")
            real = install(real, scratch / "models").path
            rows.append(measure("real ppo discrete (model_15.pb)", real, args.iterations, scratch))
            rows.append(precision_row(real, args.iterations))
        else:
            notes.append(f"real sample model missing from {SAMPLE}: run tools/fetch_sample_models.py")
        for name, (sensors, algorithm, space) in GENERATED.items():
            folder = demo_model.write_package(scratch / name.split(" (")[0].replace(" ", "-"), sensors=sensors,
                                              training_algorithm=algorithm, action_space=space)
            rows.append(measure(name, install(folder, scratch / "models").path, args.iterations, scratch))
    result = {
        "benchmark": "inference",
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "python": sys.version.split()[0], "cpus": os.cpu_count(), "openvino": ov.__version__},
        "settings": {"precision": "f32", "threads": 1, "hint": "LATENCY", "iterations": args.iterations,
                     "load_repeats": LOAD_REPEATS},
        "rows": rows, "notes": notes,
    }
    RESULT_PATH.parent.mkdir(exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2))
    print(table(rows))
    for note in notes:
        print(f"note: {note}")
    print(f"\nwritten: {RESULT_PATH.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
