"""When the policy runs, when a model may be loaded, when a loaded model is ready to start, and when an installed
model may be replaced or deleted: the rules the navigation and inference nodes, the console, compat_node, the fleet
link and the USB watcher all call, so a ROS client, the console, a fleet link and a stick get the same answers.

Starting autonomous driving is one call to navigation (`/navigation_pkg/start_stop`): the inference node
follows navigation's latched state and runs the policy exactly while `policy_runs` says so. There is no
second switch to turn on first and roll back when navigation refuses.
"""

from __future__ import annotations

from pathlib import Path
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


RATE_WHILE_STARTED = "the car is running: stop it before changing how often the model decides"


def rate_change_refusal(started: bool) -> str:
    """Why the action rate (the inference node's max_rate_hz) may not change now ("" when it may).

    Refused while the car is started, in any mode, as a model load is: a run whose decisions change pace halfway is
    not the run the racer set up (its laps no longer compare with each other), and the console shows one rate for
    the whole run. The console, `ros2 param set` and the graph all reach the same parameter, so the inference node
    asks this of every change.
    """
    return RATE_WHILE_STARTED if started else ""


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
    node took the action space. A client that has not heard navigation yet (`navigation` None: it has just started)
    cannot know, and nothing can start the car without navigation: "loading" until it has."""
    if model is None or model.state not in (LOADING, LOADED, ERROR):
        return IDLE
    if model.state == LOADED and not (
            navigation is not None and navigation.model_ready and navigation.model_name == model.model_name):
        return LOADING
    return model.state


class InstalledModelReport(Protocol):
    """Which model the inference node has (ModelState, or the console's view of it)."""

    state: str
    model_dir: str


class RunReport(Protocol):
    """Whether the car is started (NavigationState, or the console's view of it)."""

    started: bool


def model_change_refusal(folder: str | Path, model: InstalledModelReport | None,
                         navigation: RunReport | None) -> str:
    """Why the installed model in `folder` may not be replaced or deleted now ("" when it may): it is the model the
    inference node has loaded (or is loading) while navigation says the car is started, in any mode.

    Why: the racer's run would go on with a graph whose files are gone or are another racer's, and the next load
    (or the list's checksum) would disagree with what drove. Every way into the models folder asks this: the
    console's uploads and deletes, the fleet link's installs and deletes, a USB stick's models/. Asked just before
    the change, since the car may have been started while a package was being checked. A navigation never heard
    from has started nothing."""
    if model is None or navigation is None or not navigation.started:
        return ""
    if model.state not in (LOADING, LOADED) or not model.model_dir or Path(model.model_dir) != Path(folder):
        return ""
    return f"{Path(folder).name} is the model driving the car: stop the car first"
