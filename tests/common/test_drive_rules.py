"""The shared drive rules as plain functions: when a model is ready to start, and when an installed model may be
replaced or deleted (the one answer the console, compat_node, the fleet link and the USB watcher give)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from deepracer_common_pkg.drive_rules import model_change_refusal, model_readiness


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


def test_not_ready_before_navigation_is_heard():
    assert model_readiness(Model("loaded"), None) == "loading"  # a client just started: nothing can start yet
    assert model_readiness(Model("error"), None) == "error"
    assert model_readiness(None, Navigation(True)) == "idle"  # the inference node has not spoken yet


@dataclass
class Loaded:
    state: str
    model_dir: str


@dataclass
class Run:
    started: bool


@pytest.mark.parametrize("state", ["loaded", "loading"])
def test_the_model_driving_the_car_may_not_be_replaced_or_deleted(state):
    refusal = model_change_refusal("/models/racer7", Loaded(state, "/models/racer7/"), Run(True))
    assert refusal == "racer7 is the model driving the car: stop the car first"


@pytest.mark.parametrize(("folder", "model", "run"), [
    ("/models/racer8", Loaded("loaded", "/models/racer7"), Run(True)),  # another model
    ("/models/racer7", Loaded("loaded", "/models/racer7"), Run(False)),  # the car is stopped
    ("/models/racer7", Loaded("error", "/models/racer7"), Run(True)),  # it never loaded
    ("/models/racer7", None, Run(True)),  # no inference node heard
    ("/models/racer7", Loaded("loaded", "/models/racer7"), None),  # no navigation: nothing started
])
def test_any_other_model_may_change(folder, model, run):
    assert model_change_refusal(folder, model, run) == ""
