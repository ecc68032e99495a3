"""DeepRacer-shaped policy networks built in-process, and complete model packages around them.

Used for the default local run (a fresh install has a "demo" model to load) and by the tests and the
benchmark for every model kind, with no download. The network has the trained models' outside and
their size: the SHALLOW camera stack (conv 32 8x8/4, conv 64 4x4/2, conv 64 3x3/1, ReLU, flattened in
NHWC order), the pixel /255 inside the graph, a dense LiDAR branch, dense 512 ReLU, then softmax over the
actions (discrete) or tanh to two values in [-1, 1] (continuous). The weights are random (seeded): a demo
model steers, but not well.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from deepracer_common_pkg import vocabulary
from inference_pkg import lidar, model_package, tensor_names
from inference_pkg.graph_files import IR_XML
from inference_pkg.metadata import METADATA_FILE

DEMO_NAME = "demo"
# Five steering angles at two speeds: enough to see the policy choose.
DEMO_ACTIONS = tuple({"steering_angle": angle, "speed": speed}
                     for speed in (0.5, 1.0) for angle in (-30.0, -15.0, 0.0, 15.0, 30.0))
DEMO_RANGE = {"steering_angle": {"low": -30.0, "high": 30.0}, "speed": {"low": 0.5, "high": 1.5}}


def _dense(x: ov.Node, rng: np.random.Generator, inputs: int, outputs: int) -> ov.Node:
    weights = rng.normal(0.0, np.sqrt(2.0 / inputs), (inputs, outputs)).astype(np.float32)
    bias = rng.normal(0.0, 0.01, (1, outputs)).astype(np.float32)
    return ops.add(ops.matmul(x, ops.constant(weights), False, False), ops.constant(bias))


def _camera_branch(x: ov.Node, channels: int, rng: np.random.Generator) -> tuple[ov.Node, int]:
    x = ops.multiply(x, ops.constant(np.float32(1.0 / 255.0)))
    x = ops.transpose(x, ops.constant(np.array([0, 3, 1, 2], dtype=np.int64)))  # NHWC -> NCHW for conv
    height, width = tensor_names.IMAGE_HEIGHT, tensor_names.IMAGE_WIDTH
    for filters, kernel, stride in ((32, 8, 4), (64, 4, 2), (64, 3, 1)):
        weights = rng.normal(0.0, np.sqrt(2.0 / (channels * kernel * kernel)),
                             (filters, channels, kernel, kernel)).astype(np.float32)
        x = ops.relu(ops.convolution(x, ops.constant(weights), [stride, stride], [0, 0], [0, 0], [1, 1]))
        height, width, channels = (height - kernel) // stride + 1, (width - kernel) // stride + 1, filters
    x = ops.transpose(x, ops.constant(np.array([0, 2, 3, 1], dtype=np.int64)))  # flatten in NHWC order
    size = height * width * channels
    return ops.reshape(x, ops.constant(np.array([-1, size], dtype=np.int64)), False), size


def build_network(sensors: Sequence[str], training_algorithm: str, outputs: int | None,
                  lidar_length: int = 64, seed: int = 0) -> ov.Model:
    """A policy network with the trained graphs' tensor names; `outputs=None` means continuous."""
    rng = np.random.default_rng(seed)
    parameters, features, width = [], [], 0
    for sensor in sensors:
        if sensor in vocabulary.CAMERA_SENSORS:
            channels = tensor_names.camera_channels(sensor)
            shape = [-1, tensor_names.IMAGE_HEIGHT, tensor_names.IMAGE_WIDTH, channels]
            parameter = ops.parameter(shape, np.float32, name=sensor)
            feature, size = _camera_branch(parameter, channels, rng)
        else:
            parameter = ops.parameter([-1, lidar_length], np.float32, name=sensor)
            feature, size = ops.relu(_dense(parameter, rng, lidar_length, 256)), 256
        parameter.output(0).get_tensor().set_names({tensor_names.input_name(training_algorithm, sensor)})
        parameters.append(parameter)
        features.append(feature)
        width += size
    x = features[0] if len(features) == 1 else ops.concat(features, 1)
    x = ops.relu(_dense(x, rng, width, 512))
    logits = _dense(x, rng, 512, 2 if outputs is None else outputs)
    policy = ops.tanh(logits) if outputs is None else ops.softmax(logits, 1)
    policy.output(0).get_tensor().set_names({tensor_names.output_name(training_algorithm)})
    return ov.Model([ops.result(policy)], parameters, "deepracer_demo_policy")


def metadata_for(sensors: Sequence[str], training_algorithm: str, action_space: object,
                 lidar_config: dict | None = None) -> dict:
    data: dict = {
        "action_space": action_space,
        "sensor": list(sensors),
        "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
        "version": "5",
        "training_algorithm": training_algorithm,
        "action_space_type": "discrete" if isinstance(action_space, (list, tuple)) else "continuous",
    }
    if lidar_config is not None:
        data["lidar_config"] = lidar_config
    return data


def write_package(folder: Path, *, sensors: Sequence[str] = (vocabulary.FRONT_FACING_CAMERA,),
                  training_algorithm: str = "clipped_ppo", action_space: object = DEMO_ACTIONS,
                  lidar_config: dict | None = None, seed: int = 0) -> Path:
    """Write model.xml, model.bin and model_metadata.json into `folder` (created); return `folder`."""
    action_space = list(action_space) if isinstance(action_space, (list, tuple)) else action_space
    lidar_sensor = next((s for s in sensors if s in vocabulary.LIDAR_SENSORS), None)
    lidar_length = lidar.settings_for(lidar_sensor, lidar_config).vector_length if lidar_sensor else 0
    outputs = len(action_space) if isinstance(action_space, list) else None
    model = build_network(sensors, training_algorithm, outputs, lidar_length, seed)
    folder.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(folder / IR_XML), compress_to_fp16=False)
    metadata = metadata_for(sensors, training_algorithm, action_space, lidar_config)
    (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    return folder


def install_if_empty(models_root: Path) -> model_package.InstalledModel | None:
    """A models root with no model gets the demo model (a fresh local run has one to load); None otherwise.

    The inference node calls this at start, and `make run` before it installs the real sample model, so the
    sample model goes in beside the demo model rather than instead of it."""
    if model_package.list_installed(models_root):
        return None
    with tempfile.TemporaryDirectory(prefix="demo-model-") as scratch:
        package = write_package(Path(scratch) / DEMO_NAME)
        return model_package.install(package, models_root, DEMO_NAME)
