"""The least work a camera frame can cost the car: the camera's JPEG decoded to the grey 160x120 policy image and
one OpenVINO inference of the model on it, nothing else (no ROS, no copies between processes), paced like frames.

Run by bench_car.py as a process of its own, inside the car's CPU budget (the limit the stack is held to there) or
outside it (the work a frame must cost, against which the stack's CPU per frame is put). Prints one JSON object.
Run: bare_frame_work.py --model DIR --frames FOLDER --fps 30 --count 600
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from camera_pkg.config import CameraConfig
from camera_pkg.frames import jpeg_frame, policy_image
from camera_pkg.timing import Pacer
from inference_pkg.config import InferenceConfig
from inference_pkg.policy_network import load_model

WARM_UP_FRAMES = 30  # the first inferences initialise OpenVINO's kernels: not a frame's cost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="an installed model folder")
    parser.add_argument("--frames", type=Path, required=True, help="a folder of the camera's JPEG frames")
    parser.add_argument("--fps", type=float, required=True)
    parser.add_argument("--count", type=int, required=True, help="frames to time")
    args = parser.parse_args()
    camera, inference = CameraConfig(), InferenceConfig()  # the nodes' defaults: policy image size, compile settings
    # The stack's cache folder is left alone: the graph is converted here.
    model = load_model(args.model, precision=inference.precision, threads=inference.inference_threads,
                       use_cache=False)
    (port,) = model.inputs.values()
    shape = [d.get_length() for d in port.get_partial_shape()]
    request = model.compiled.create_infer_request()
    jpegs = [jpeg_frame(path.read_bytes()) for path in sorted(args.frames.glob("*.jpg"))]
    pacer = Pacer(args.fps, sleep=lambda seconds: time.sleep(seconds) or False)  # the pace under test
    decode_ms, infer_ms, frame_ms = [], [], []
    cpu_start = None
    for index in range(WARM_UP_FRAMES + args.count):
        if index == WARM_UP_FRAMES:
            cpu_start = time.process_time()
        pacer.wait()
        started = time.perf_counter()
        grey = policy_image(jpegs[index % len(jpegs)], camera.policy_width, camera.policy_height)
        decoded = time.perf_counter()
        request.infer({port: grey.astype(np.float32).reshape(shape)})
        done = time.perf_counter()
        if index >= WARM_UP_FRAMES:
            decode_ms.append((decoded - started) * 1000)
            infer_ms.append((done - decoded) * 1000)
            frame_ms.append((done - started) * 1000)
    cpu_s = time.process_time() - cpu_start

    def stats(values: list[float]) -> dict[str, float]:
        return {f"p{q}": float(np.percentile(values, q)) for q in (50, 95, 99)}

    print(json.dumps({"fps": args.fps, "frames": args.count, "decode_ms": stats(decode_ms),
                      "infer_ms": stats(infer_ms), "frame_ms": stats(frame_ms),
                      "cpu_ms_per_frame": cpu_s * 1000 / args.count}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
