"""When the policy runs, when a model may be loaded, and when a loaded model is ready to start: the rules the
navigation and inference nodes, the console, compat_node and the fleet link all call, so a ROS client, the console
and a fleet link get the same answers.

Starting autonomous driving is one call to navigation (`/navigation_pkg/start_stop`): the inference node
follows navigation's latched state and runs the policy exactly while `policy_runs` says so. There is no
second switch to turn on first and roll back when navigation refuses.
"""

from __future__ import annotations

from typing import Protocol

from deepracer_common_pkg.vocabulary import AUTONOMOUS

LOAD_WHILE_STARTED = "the car is running: stop it before loading another model"


def policy_runs(mode: str, started: bool) -> bool:
    """The policy drives only while the car is started in autonomous mode."""
    return mode == AUTONOMOUS and started


def model_load_refusal(started: bool) -> str:
    """Why a model may not be loaded now ("" when it may).

    Refused while the car is started, in any mode: swapping the policy under a moving car is never what
    the racer meant, and compiling a model takes CPU from the drive loop. (Manual mode counts too: the
    console always refused there, and switching to autonomous stops the car anyway.)
    """
    return LOAD_WHILE_STARTED if started else ""


# The original car's words for a model's state (GetModelLoadingStatusSrv, the console's isModelLoading).
IDLE, LOADING, LOADED, ERROR = "idle", "loading", "loaded", "error"


class ModelReport(Protocol):
    """What the inference node says of its model (ModelState, or the console's view of it)."""

    state: str
    model_name: str


class NavigationReport(Protocol):
    """What navigation says of the model it drives (NavigationState, or the console's view of it)."""

    model_ready: bool
    model_name: str


def model_readiness(model: ModelReport | None, navigation: NavigationReport | None) -> str:
    """Whether the model is ready to start, in the original's words: "loaded" once the inference node has loaded it
    AND navigation has taken its action space (model_ready for that model_name), since navigation's Start needs
    both; "loading" until then; "error"; "idle" (also before the inference node spoke).

    Why one answer: a tool that starts the car on "loaded" (DREM, a fleet organiser, a racer's console) was refused
    when it asked in the moment between the two. The original ctrl_pkg too said "loaded" only after its navigation
    node took the action space. Without a navigation node heard at all (`navigation` None: a graph without one),
    inference's word stands: there is nothing to wait for."""
    if model is None or model.state not in (LOADING, LOADED, ERROR):
        return IDLE
    if model.state == LOADED and navigation is not None and not (
            navigation.model_ready and navigation.model_name == model.model_name):
        return LOADING
    return model.state
