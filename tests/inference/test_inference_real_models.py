"""The real trained DeepRacer models (deepracer-utils 1.5.6 sample, fetched by the set-up) on OpenVINO."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from inference_pkg.graph_files import CACHE_DIR
from inference_pkg.model_package import ModelPackageError, install
from inference_pkg.policy_network import load_model
from inference_pkg.preprocess import RawImage, camera_input

pytestmark = pytest.mark.real_model
REAL_METADATA = Path(__file__).parent / "data" / "model-metadata"


def picture(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None and bgr.shape == (480, 640, 3)
    frame = RawImage("bgr8", 480, 640, 640 * 3, bgr.tobytes())
    return camera_input("FRONT_FACING_CAMERA", [frame])


@pytest.fixture(scope="module")
def console_upload(sample_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layout the training console downloads: model_metadata.json and agent/model.pb in a .tar.gz."""
    archive = tmp_path_factory.mktemp("upload") / "real-model-15.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(sample_models / "model_metadata.json", "model_metadata.json")
        tar.add(sample_models / "model_15.pb", "agent/model.pb")
    return archive


@pytest.fixture(scope="module")
def installed(console_upload: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(console_upload, tmp_path_factory.mktemp("models")).path


def test_console_upload_installs_with_the_md5_of_model_pb(installed: Path, sample_models: Path):
    expected = hashlib.md5((sample_models / "model_15.pb").read_bytes()).hexdigest()
    assert (installed / "checksum.txt").read_text().strip() == expected
    assert (installed / "model.pb").is_file() and not (installed / "agent").exists()


def test_the_install_caches_the_converted_graph_so_the_first_load_reads_ir_only(installed: Path):
    """Converting the frozen graph costs the process that does it ~55 MB of peak memory: the install's child does it,
    never the inference node."""
    md5 = (installed / "checksum.txt").read_text().strip()
    assert sorted(p.name for p in (installed / CACHE_DIR).iterdir()) == [f"{md5}.bin", f"{md5}.xml"]
    first = load_model(installed)
    assert first.from_cache and first.checksum == md5
    assert not first.cache_error


def test_pb_and_cached_ir_agree_on_the_real_pictures(installed: Path, sample_models: Path):
    first = load_model(installed, use_cache=False)
    assert not first.from_cache
    second = load_model(installed)
    assert second.from_cache, "a load after the install must read the cached IR, not the frozen graph"
    actions = []
    for number in (1, 2, 3):
        frame = picture(sample_models / f"dr-demo-{number}.png")
        from_pb = first.infer({"FRONT_FACING_CAMERA": frame})
        from_ir = second.infer({"FRONT_FACING_CAMERA": frame})
        assert from_pb.shape == (12,)
        assert from_pb.sum() == pytest.approx(1.0, abs=1e-5) and from_ir.sum() == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(from_pb, from_ir, atol=1e-5)
        assert first.metadata.action_space.action_index(from_pb) == second.metadata.action_space.action_index(from_ir)
        actions.append(first.metadata.action_space.action_index(from_pb))
    assert all(0 <= a < 12 for a in actions)


def test_replaced_model_pb_misses_the_cache(installed: Path, sample_models: Path, tmp_path: Path):
    copy = tmp_path / "copy"
    shutil.copytree(installed, copy)
    load_model(copy)
    shutil.copyfile(sample_models / "model_30.pb", copy / "model.pb")
    reloaded = load_model(copy)
    assert not reloaded.from_cache
    assert [p.stem for p in (copy / CACHE_DIR).glob("*.xml")] == [reloaded.checksum]


def test_damaged_cache_is_rebuilt(installed: Path, tmp_path: Path):
    copy = tmp_path / "copy"
    shutil.copytree(installed, copy)
    key = load_model(copy).checksum
    (copy / CACHE_DIR / f"{key}.xml").write_text("<not an IR")
    assert not load_model(copy).from_cache
    assert load_model(copy).from_cache


def test_truncated_real_pb_is_refused(sample_models: Path, tmp_path: Path):
    source = tmp_path / "cut"
    source.mkdir()
    shutil.copyfile(sample_models / "model_metadata.json", source / "model_metadata.json")
    (source / "model.pb").write_bytes((sample_models / "model_15.pb").read_bytes()[:5_000_000])
    with pytest.raises(ModelPackageError, match=r"model.pb: cannot be read as a TensorFlow frozen graph"):
        install(source, tmp_path / "models")


def test_sac_metadata_on_a_ppo_graph_is_refused(sample_models: Path, tmp_path: Path):
    source = tmp_path / "sac"
    source.mkdir()
    data = json.loads((sample_models / "model_metadata.json").read_text())
    (source / "model_metadata.json").write_text(json.dumps({**data, "training_algorithm": "sac"}))
    shutil.copyfile(sample_models / "model_15.pb", source / "model.pb")
    with pytest.raises(ModelPackageError, match="no input main_level/agent/policy/online/network_0/FRONT_FACING"):
        install(source, tmp_path / "models")


def test_discrete_type_with_continuous_range_is_judged_continuous_against_the_real_graph(
        sample_models: Path, tmp_path: Path):
    """The real btech-bbfb858a metadata ("discrete" over a range) is read as continuous, so it needs a
    2-value policy; next to the real 12-action graph the package is refused, naming the mismatch."""
    source = tmp_path / "contradiction"
    source.mkdir()
    data = json.loads((REAL_METADATA / "btech-bbfb858a" / "model_metadata.json").read_text())
    data["training_algorithm"] = "clipped_ppo"  # the sample graph is PPO; keep only the type contradiction
    (source / "model_metadata.json").write_text(json.dumps(data))
    shutil.copyfile(sample_models / "model_15.pb", source / "model.pb")
    with pytest.raises(ModelPackageError, match=r"outputs shape \[1,12\] but action_space .* needs 2 values"):
        install(source, tmp_path / "models")
