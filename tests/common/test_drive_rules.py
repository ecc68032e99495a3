"""The shared drive rules as plain functions: when a model is ready to start (the one answer the console,
compat_node and the fleet link give)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from deepracer_common_pkg.drive_rules import model_readiness


@dataclass
class Model:
    state: str
    model_name: str = "racer7"


@dataclass
class Navigation:
    model_ready: bool
    model_name: str = "racer7"


@pytest.mark.parametrize(("state", "word"), [("idle", "idle"), ("loading", "loading"), ("error", "error"),
                                             ("", "idle"), ("anything else", "idle")])
def test_the_original_words(state, word):
    assert model_readiness(Model(state), Navigation(False, "")) == word


def test_loaded_only_once_navigation_took_that_model():
    assert model_readiness(Model("loaded"), Navigation(False, "")) == "loading"  # navigation has not taken it yet
    assert model_readiness(Model("loaded"), Navigation(True, "racer6")) == "loading"  # the previous racer's model
    assert model_readiness(Model("loaded"), Navigation(True, "racer7")) == "loaded"


def test_without_a_navigation_node_inference_has_the_word():
    assert model_readiness(Model("loaded"), None) == "loaded"
    assert model_readiness(None, Navigation(True)) == "idle"  # the inference node has not spoken yet
