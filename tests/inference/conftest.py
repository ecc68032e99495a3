"""Fixtures of the inference tests: generated model packages of every kind, and the real sample models."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from inference_pkg import demo_model

REPO = Path(__file__).resolve().parents[2]
SAMPLE_MODELS = REPO / ".cache" / "deepracer-sample-model"
REAL_METADATA = Path(__file__).parent / "data" / "model-metadata"

# name: (sensors, algorithm, action space, lidar_config)
KINDS: dict[str, tuple[tuple[str, ...], str, object, dict | None]] = {
    "mono-ppo-discrete": (("FRONT_FACING_CAMERA",), "clipped_ppo", demo_model.DEMO_ACTIONS, None),
    "mono-sac-continuous": (("FRONT_FACING_CAMERA",), "sac", demo_model.DEMO_RANGE, None),
    "stereo-ppo-continuous": (("STEREO_CAMERAS",), "clipped_ppo", demo_model.DEMO_RANGE, None),
    "stereo-lidar-ppo-discrete": (("STEREO_CAMERAS", "LIDAR"), "clipped_ppo", demo_model.DEMO_ACTIONS, None),
    "stereo-sector-sac-continuous": (("STEREO_CAMERAS", "SECTOR_LIDAR"), "sac", demo_model.DEMO_RANGE, None),
    "observation-ppo-discrete": (("observation",), "clipped_ppo", demo_model.DEMO_ACTIONS[:3], None),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `kind` runs once per generated model kind."""
    if "kind" in metafunc.fixturenames:
        metafunc.parametrize("kind", list(KINDS))


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """generated(kind) -> a pristine copy of a generated package folder (built once per session)."""
    originals = tmp_path_factory.mktemp("generated-originals")
    copies = tmp_path_factory.mktemp("generated")
    counter = iter(range(1_000_000))

    def make(kind: str) -> Path:
        original = originals / kind
        if not original.exists():
            sensors, algorithm, space, lidar_config = KINDS[kind]
            demo_model.write_package(original, sensors=sensors, training_algorithm=algorithm, action_space=space,
                                     lidar_config=lidar_config)
        copy = copies / f"{kind}-{next(counter)}"
        shutil.copytree(original, copy)
        return copy

    return make


@pytest.fixture(scope="session")
def sample_models() -> Path:
    """The real trained models; missing means the set-up did not run: that is a failure, not a skip."""
    wanted = ("model_15.pb", "model_metadata.json", "dr-demo-1.png", "dr-demo-2.png", "dr-demo-3.png")
    missing = [name for name in wanted if not (SAMPLE_MODELS / name).is_file()]
    if missing:
        pytest.fail(f"the real DeepRacer sample models are missing from {SAMPLE_MODELS} ({', '.join(missing)}): "
                    "run the set-up (it calls `.venv/bin/python tools/fetch_sample_models.py`)", pytrace=False)
    return SAMPLE_MODELS
