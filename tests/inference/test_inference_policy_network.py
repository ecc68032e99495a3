"""Loading generated DeepRacer-shaped networks of every kind on OpenVINO and running them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference_pkg.graph_files import CACHE_DIR
from inference_pkg.model_package import ModelPackageError
from inference_pkg.policy_network import compile_config, load_model


def random_feeds(model, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {}
    for sensor, port in model.inputs.items():
        shape = [d.get_length() for d in port.get_partial_shape()]
        scale = 255.0 if len(shape) == 4 else 1.0
        feeds[sensor] = (rng.random(shape) * scale).astype(np.float32)
    return feeds


def test_every_kind_loads_and_infers(generated, kind: str):
    folder = generated(kind)
    model = load_model(folder)
    metadata = model.metadata
    assert set(model.inputs) == set(metadata.sensors)
    first = model.infer(random_feeds(model, 1))
    second = model.infer(random_feeds(model, 2))
    assert first.shape == (metadata.action_space.policy_output_count,)
    assert not np.allclose(first, second), "the output must depend on the input"
    if metadata.action_space.type == "discrete":
        assert first.sum() == pytest.approx(1.0, abs=1e-5) and (first >= 0).all()
    else:
        assert (np.abs(first) <= 1.0).all()
    assert model.compiled.get_property("INFERENCE_PRECISION_HINT").to_string() == "f32"
    assert not model.from_cache and not (folder / CACHE_DIR).exists()  # IR needs no conversion cache


def test_warm_up_and_batch_one_inputs(generated):
    model = load_model(generated("stereo-lidar-ppo-discrete"))
    model.warm_up()
    shapes = {sensor: [d.get_length() for d in port.get_partial_shape()] for sensor, port in model.inputs.items()}
    assert shapes == {"STEREO_CAMERAS": [1, 120, 160, 2], "LIDAR": [1, 64]}
    assert model.lidar_settings is not None and model.lidar_settings.vector_length == 64


def test_precision_is_a_choice(generated):
    model = load_model(generated("mono-ppo-discrete"), precision="bf16", threads=0)
    assert model.compiled.get_property("INFERENCE_PRECISION_HINT").to_string() in ("bf16", "f32")
    with pytest.raises(ValueError, match="precision must be one of f32, bf16, f16"):
        compile_config("f64", 1)
    assert compile_config("f32", 1) == {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32",
                                        "INFERENCE_NUM_THREADS": 1}


def test_load_refuses_a_folder_without_a_model(tmp_path: Path):
    with pytest.raises(ModelPackageError, match=r"model_metadata.json: file is missing"):
        load_model(tmp_path)
