"""When the policy runs and when a model may be loaded: the rules the navigation and inference nodes and
the console all call, so a ROS client, the console and a fleet link get the same answers.

Starting autonomous driving is one call to navigation (`/navigation_pkg/start_stop`): the inference node
follows navigation's latched state and runs the policy exactly while `policy_runs` says so. There is no
second switch to turn on first and roll back when navigation refuses.
"""

from __future__ import annotations

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
