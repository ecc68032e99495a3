"""Models another tool writes straight into the models root (DREM: untar, move model.* up, checksum.txt last)
appear when complete and never before; a tool's "delete all" empties the list. Plain files, no ROS."""

from __future__ import annotations

import hashlib
import os
import shutil
import time

import pytest

from inference_pkg import demo_model, model_package
from inference_pkg.model_package import ModelPackageError


@pytest.fixture
def root(tmp_path):
    return tmp_path / "artifacts"


def drem_folder(root, name: str):
    """The folder as DREM leaves it just before writing checksum.txt."""
    folder = root / name
    demo_model.write_package(folder)
    (folder / "checksum.txt").unlink(missing_ok=True)
    return folder


def md5(folder) -> str:
    """What DREM writes (md5sum of the graph); the demo package is OpenVINO IR: model.xml then model.bin."""
    return hashlib.md5((folder / "model.xml").read_bytes() + (folder / "model.bin").read_bytes(),
                       usedforsecurity=False).hexdigest()


def test_a_folder_still_being_written_is_listed_as_such_and_refused(root):
    folder = drem_folder(root, "racer1-model")
    installed, broken = model_package.scan(root)
    assert installed == [] and "still being written" in broken[0].reason
    with pytest.raises(ModelPackageError, match="still being written"):
        model_package.check_complete(folder)


def test_the_folder_appears_once_checksum_txt_matches(root):
    folder = drem_folder(root, "racer1-model")
    (folder / "checksum.txt").write_text(md5(folder) + "\n")  # `md5sum model.pb | cut -d' ' -f1`
    assert [m.name for m in model_package.list_installed(root)] == ["racer1-model"]
    model_package.check_complete(folder)


def test_a_folder_copied_by_hand_without_checksum_appears_once_it_stops_changing(root):
    folder = drem_folder(root, "copied")
    past = time.time() - model_package.SETTLE_S - 1
    for path in folder.rglob("*"):
        os.utime(path, (past, past))
    assert [m.name for m in model_package.list_installed(root)] == ["copied"]


def test_delete_all_by_a_tool_empties_the_list(root):
    folder = drem_folder(root, "racer1-model")
    (folder / "checksum.txt").write_text(md5(folder))
    for child in root.iterdir():  # rm -rf artifacts/*
        shutil.rmtree(child)
    assert model_package.scan(root) == ([], [])
