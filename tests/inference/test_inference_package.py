"""Installing, listing and deleting model packages, and every malformed package we could think of."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest

from inference_pkg import model_package
from inference_pkg.model_package import ModelPackageError, install, list_installed, sanitise_name, scan


def md5(*paths: Path) -> str:
    digest = hashlib.md5()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


# Enough to be found as a package; refused before any graph is read.
PLACEHOLDER = {"model_metadata.json": b"{}", "model.pb": os.urandom(200_000)}


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz", extra: list[tarfile.TarInfo] = ()) -> Path:
    options = {"compresslevel": 1} if mode == "w:gz" else {}
    with tarfile.open(path, mode, **options) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


def package_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def hidden_entries(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if p.name.startswith(".")]


def test_install_folder_keeps_graph_metadata_and_checksum(generated, tmp_path: Path):
    source = generated("mono-ppo-discrete")
    (source / "training-log.txt").write_text("not part of the installed model")
    installed = install(source, tmp_path / "models", "racer-1")
    folder = tmp_path / "models" / "racer-1"
    assert installed.path == folder and installed.name == "racer-1"
    assert sorted(p.name for p in folder.iterdir()) == ["checksum.txt", "model.bin", "model.xml",
                                                         "model_metadata.json"]
    expected = md5(source / "model.xml", source / "model.bin")
    assert installed.checksum == expected == (folder / "checksum.txt").read_text().strip()
    assert installed.metadata.sensors == ("FRONT_FACING_CAMERA",)
    assert installed.size_bytes == sum(p.stat().st_size for p in folder.iterdir())
    assert [m.name for m in list_installed(tmp_path / "models")] == ["racer-1"]
    assert hidden_entries(tmp_path / "models") == []


def test_install_tar_gz_with_wrapper_folder_names_model_after_archive(generated, tmp_path: Path):
    archive = make_tar(tmp_path / "My Model (v2).tar.gz", package_files(generated("stereo-ppo-continuous"), "export/"))
    installed = install(archive, tmp_path / "models")
    assert installed.name == "My_Model_v2"
    assert installed.metadata.action_space.type == "continuous"


def test_install_plain_tar(generated, tmp_path: Path):
    archive = make_tar(tmp_path / "plain.tar", package_files(generated("mono-sac-continuous")), mode="w")
    assert install(archive, tmp_path / "models").name == "plain"


def test_same_name_upload_replaces_the_old_model(generated, tmp_path: Path):
    root = tmp_path / "models"
    install(generated("mono-ppo-discrete"), root, "m")
    replaced = install(generated("stereo-lidar-ppo-discrete"), root, "m")
    assert replaced.metadata.sensors == ("STEREO_CAMERAS", "LIDAR")
    assert [m.name for m in list_installed(root)] == ["m"]
    assert hidden_entries(root) == []


def test_a_broken_upload_leaves_the_installed_model_untouched(generated, tmp_path: Path):
    root = tmp_path / "models"
    good = install(generated("mono-ppo-discrete"), root, "m")
    broken = generated("mono-ppo-discrete")
    (broken / "model.bin").write_bytes(b"\0" * 100)
    with pytest.raises(ModelPackageError):
        install(broken, root, "m")
    again = list_installed(root)
    assert [(m.name, m.checksum) for m in again] == [("m", good.checksum)]
    assert md5(root / "m" / "model.xml", root / "m" / "model.bin") == good.checksum
    assert hidden_entries(root) == []


@pytest.mark.parametrize(("raw", "expected"), [
    ("model.tar.gz", "model"), ("My Model (v2).tgz", "My_Model_v2"), ("../../etc/passwd", "etc_passwd"),
    (".hidden", "hidden"), ("a" * 100, "a" * 64), ("ünïcødé-name", "n_c_d_-name"),
])
def test_sanitise_name(raw: str, expected: str):
    assert sanitise_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "...", "///", ".tar.gz"])
def test_sanitise_name_refuses_names_without_usable_characters(raw: str):
    with pytest.raises(ModelPackageError, match="no usable characters"):
        sanitise_name(raw)


def _member(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


ARCHIVE_ATTACKS = {
    "absolute path": ({"/etc/evil": b"x"}, [], "points outside the package"),
    "parent folder": ({"../evil": b"x"}, [], "points outside the package"),
    "nested parent": ({"pkg/../../evil": b"x"}, [], "points outside the package"),
    "symlink": ({}, [_member("model.pb", tarfile.SYMTYPE, "/etc/passwd")], "is a link, device or pipe"),
    "hard link": ({}, [_member("model.pb", tarfile.LNKTYPE, "/etc/passwd")], "is a link, device or pipe"),
    "device": ({}, [_member("dev", tarfile.CHRTYPE)], "is a link, device or pipe"),
    "fifo": ({}, [_member("pipe", tarfile.FIFOTYPE)], "is a link, device or pipe"),
}


@pytest.mark.parametrize("case", ARCHIVE_ATTACKS, ids=list(ARCHIVE_ATTACKS))
def test_dangerous_archive_members_are_refused_before_extraction(tmp_path: Path, case: str):
    files, extra, expected = ARCHIVE_ATTACKS[case]
    archive = make_tar(tmp_path / "attack.tar.gz", {**PLACEHOLDER, **files}, extra=extra)
    root = tmp_path / "models"
    with pytest.raises(ModelPackageError, match=expected):
        install(archive, root)
    assert list(root.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_too_big_archive_is_refused(tmp_path: Path):
    archive = make_tar(tmp_path / "big.tar.gz", {**PLACEHOLDER, "model.pb": bytes(2 * 1024 * 1024)})
    with pytest.raises(ModelPackageError, match="unpacks to more than 1 MB"):
        install(archive, tmp_path / "models", max_bytes=1024 * 1024)


def test_archive_with_too_many_entries_is_refused(tmp_path: Path):
    archive = make_tar(tmp_path / "many.tar.gz", {f"f{i}.txt": b"" for i in range(30)})
    with pytest.raises(ModelPackageError, match="more than 20 entries"):
        install(archive, tmp_path / "models", max_files=20)


def test_too_big_folder_is_refused(generated, tmp_path: Path):
    with pytest.raises(ModelPackageError, match="more than 20 files or 1 MB"):
        install(generated("mono-ppo-discrete"), tmp_path / "models", max_bytes=1024 * 1024, max_files=20)


def test_folder_with_a_symlink_is_refused(generated, tmp_path: Path):
    source = generated("mono-ppo-discrete")
    (source / "model_metadata.json").unlink()
    os.symlink("/etc/hostname", source / "model_metadata.json")
    with pytest.raises(ModelPackageError, match=r"model_metadata.json is a link"):
        install(source, tmp_path / "models")


def test_not_an_archive(tmp_path: Path):
    upload = tmp_path / "model.tar.gz"
    upload.write_bytes(os.urandom(4096))
    with pytest.raises(ModelPackageError, match=r"model.tar.gz: is not a readable .tar.gz or .tar archive"):
        install(upload, tmp_path / "models")


def test_truncated_archive(tmp_path: Path):
    archive = make_tar(tmp_path / "cut.tar.gz", PLACEHOLDER)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ModelPackageError, match=r"cut.tar.gz: .*damaged"):
        install(archive, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def _broken(generated, change) -> Path:
    folder = generated("mono-ppo-discrete")
    change(folder)
    return folder


def _set_metadata(**changes):
    def change(folder: Path) -> None:
        path = folder / "model_metadata.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return change


MALFORMED = {
    "no metadata": (lambda f: (f / "model_metadata.json").unlink(), "model_metadata.json is missing"),
    "no graph": (lambda f: [(f / n).unlink() for n in ("model.xml", "model.bin")], "no graph found"),
    "model.bin missing": (lambda f: (f / "model.bin").unlink(), "model.bin is missing"),
    "model.xml missing": (lambda f: (f / "model.xml").unlink(), "model.xml is missing"),
    "bad JSON": (lambda f: (f / "model_metadata.json").write_text("{not json"), "is not valid JSON"),
    "unknown sensor": (_set_metadata(sensor=["THERMAL_CAMERA"]), "sensor 'THERMAL_CAMERA' is unknown"),
    "empty action space": (_set_metadata(action_space=[]), "action_space is an empty list"),
    "reverse speeds": (_set_metadata(action_space=[{"steering_angle": 0, "speed": -1}] * 10),
                       r"speeds below 0 \(reverse\) are refused"),
    "graph is mono, metadata stereo": (_set_metadata(sensor=["STEREO_CAMERAS"]),
                                       "no input main_level/agent/main/online/network_0/STEREO_CAMERAS"),
    "graph is PPO, metadata SAC": (_set_metadata(training_algorithm="sac"),
                                   "no input main_level/agent/policy/online/network_0/FRONT_FACING_CAMERA"),
    "graph lacks the LiDAR input": (_set_metadata(sensor=["FRONT_FACING_CAMERA", "LIDAR"]),
                                    "no input .*LIDAR/LIDAR for sensor LIDAR"),
    "fewer actions than outputs": (_set_metadata(action_space=[{"steering_angle": 0, "speed": 1}] * 3),
                                   r"outputs shape \[1,10\] but action_space .* needs 3 actions"),
    "continuous metadata, discrete graph": (
        _set_metadata(action_space={"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 1, "high": 2}}),
        "needs 2 values"),
    "truncated IR weights": (lambda f: (f / "model.bin").write_bytes((f / "model.bin").read_bytes()[:1000]),
                             "model.xml: cannot be read as OpenVINO IR"),
    "garbage model.pb": (lambda f: (f / "model.pb").write_bytes(os.urandom(2000)),
                         "model.pb: cannot be read as a TensorFlow frozen graph"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_package_is_refused_with_a_precise_reason(generated, tmp_path: Path, case: str):
    change, expected = MALFORMED[case]
    root = tmp_path / "models"
    with pytest.raises(ModelPackageError, match=expected):
        install(_broken(generated, change), root, "m")
    assert list(root.iterdir()) == []


def test_graph_with_an_extra_input_is_refused(generated, tmp_path: Path):
    """A stereo+LiDAR graph whose metadata forgot the LiDAR: the graph needs an input nobody provides."""
    folder = generated("stereo-lidar-ppo-discrete")
    _set_metadata(sensor=["STEREO_CAMERAS"])(folder)
    with pytest.raises(ModelPackageError, match=r"also needs input .*LIDAR/LIDAR, which no sensor"):
        install(folder, tmp_path / "models")


def test_lidar_length_must_match_lidar_config(generated, tmp_path: Path):
    folder = generated("stereo-lidar-ppo-discrete")
    _set_metadata(lidar_config={"num_values": 32})(folder)
    with pytest.raises(ModelPackageError, match=r"has shape \[N,64\] but sensor LIDAR gives \[1,32\]"):
        install(folder, tmp_path / "models")


def test_two_packages_in_one_archive_are_refused(tmp_path: Path):
    files = {f"{folder}/{name}": data for folder in "ab" for name, data in PLACEHOLDER.items()}
    with pytest.raises(ModelPackageError, match="upload one model at a time"):
        install(make_tar(tmp_path / "two.tar.gz", files), tmp_path / "models")


def test_scan_reports_broken_folders_and_skips_hidden_ones(generated, tmp_path: Path):
    root = tmp_path / "models"
    install(generated("mono-ppo-discrete"), root, "good")
    (root / "empty").mkdir()
    (root / ".install-leftover").mkdir()
    (root / "stray.txt").write_text("x")
    copied = root / "copied"  # an event tool's copy: no checksum.txt, graph under agent/ is also allowed
    copied.mkdir()
    (copied / "model_metadata.json").write_text("{")
    installed, broken = scan(root)
    assert [m.name for m in installed] == ["good"]
    assert {b.name: b.reason.split(": ", 1)[1][:22] for b in broken} == {
        "copied": "is not valid JSON (lin", "empty": "file is missing: a mod"}
    assert list_installed(tmp_path / "nowhere") == []


def test_checksum_is_computed_when_checksum_txt_is_missing(generated, tmp_path: Path):
    root = tmp_path / "models"
    installed = install(generated("mono-ppo-discrete"), root, "m")
    (root / "m" / "checksum.txt").unlink()
    past = time.time() - model_package.SETTLE_S - 1  # settled: not a folder another tool is still writing
    for path in (root / "m").rglob("*"):
        os.utime(path, (past, past))
    assert list_installed(root)[0].checksum == installed.checksum


def test_delete(generated, tmp_path: Path):
    root = tmp_path / "models"
    install(generated("mono-ppo-discrete"), root, "m")
    model_package.delete(root, "m")
    assert list(root.iterdir()) == []
    with pytest.raises(ModelPackageError, match="no installed model named 'm'"):
        model_package.delete(root, "m")
    with pytest.raises(ModelPackageError, match="is not a model name"):
        model_package.delete(root, "../models")


def test_the_listed_md5_is_the_graphs_never_what_checksum_txt_claims(generated, tmp_path: Path):
    """Issue 19: a checksum.txt holding a wrong md5 was shown as the model's md5 (event tools compare it)."""
    root = tmp_path / "models"
    installed = install(generated("mono-ppo-discrete"), root, "m")
    (root / "m" / "checksum.txt").write_text("0" * 32 + "\n")
    assert list_installed(root)[0].checksum == installed.checksum
    stamp = (root / "m" / "checksum.txt").stat().st_mtime_ns
    os.utime(root / "m" / "model.bin", ns=(stamp + 1_000_000, stamp + 1_000_000))
    assert list_installed(root)[0].checksum == installed.checksum
