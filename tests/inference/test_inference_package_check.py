"""The install's graph check in its child process: what the installer says when the child gives no answer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inference_pkg import package_check
from inference_pkg.model_package import ModelPackageError, install


def _child(tmp_path: Path, script: str) -> str:
    """A stand-in for the Python the check runs in, doing only `script`."""
    path = tmp_path / "child.sh"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(path)


def test_a_check_that_is_killed_installs_nothing_and_says_so(generated, tmp_path: Path, monkeypatch):
    """The kernel kills the biggest process when memory runs out: on the car that is the child reading a graph."""
    monkeypatch.setattr(sys, "executable", _child(tmp_path, "kill -9 $$"))
    root = tmp_path / "models"
    with pytest.raises(ModelPackageError, match=r"^mono-ppo-discrete-\d+: checking the graph was killed \(signal 9\), "
                                                r"most likely short of memory: nothing was installed; try again$"):
        install(generated("mono-ppo-discrete"), root, "m")
    assert list(root.iterdir()) == []


def test_a_check_that_fails_without_an_answer_installs_nothing(generated, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sys, "executable", _child(tmp_path, "echo 'Traceback: not an answer'; exit 1"))
    root = tmp_path / "models"
    with pytest.raises(ModelPackageError, match=r"^mono-ppo-discrete-\d+: checking the graph failed \(exit status 1\)"):
        install(generated("mono-ppo-discrete"), root, "m")
    assert list(root.iterdir()) == []


def test_a_check_that_outlasts_its_time_is_stopped(generated):
    folder = generated("mono-ppo-discrete")
    with pytest.raises(ModelPackageError, match=r"checking the graph took more than 0 s and was stopped"):
        package_check.validate_package(folder, timeout_s=0.001)  # no Python starts in 1 ms


def test_the_child_answers_in_one_json_line(generated, capsys):
    assert package_check.main([str(generated("mono-ppo-discrete"))]) == 0
    assert capsys.readouterr().out == '{"ok": true, "cache_error": ""}\n'
