"""The console's one rule for actions that would end or change a racer's run: refused while the car is started.

Changing the password logs every other device out and entering calibration stops the car (navigation stops a
run on any mode change). Done from another device, either would strand or surprise the racer holding the car,
so the console refuses them with the reason while navigation says "started"; the racer stops first.
"""

from __future__ import annotations

from webserver_pkg.context import console
from webserver_pkg.robot.bridge import RobotBridge
from webserver_pkg.views.api_input import ApiError


def refuse_while_started(action: str, bridge: RobotBridge | None = None) -> None:
    """Raise the 409 a view answers when the car is started; `action` completes "stop it, then ...".
    A navigation never heard from is not refused here: the bridge call after it answers for that. `bridge` is for
    work off the request thread (the installer's), where there is no console() to ask."""
    state = (bridge or console().bridge).navigation_state()
    if state is not None and state.started:
        raise ApiError(f"the car is driving ({state.mode} mode): press Stop vehicle on the Control page first, "
                       f"then {action}", 409)
