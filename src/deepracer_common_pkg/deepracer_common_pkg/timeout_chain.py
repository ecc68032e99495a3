"""The links of the timeout chain that join two nodes' parameters, in one place: the rules, their words, and the
check of a whole graph that both launchers make before they start anything.

Each node checks its own parameters (its config dataclass: navigation's watchdog period against its own timeouts).
A link joins parameters of two nodes that run in different processes, so no node can check it alone:
- navigation -> servo: while driving, navigation sends the held command again after `command_repeat_s` of silence,
  from its watchdog, so it may be silent up to `command_repeat_s + watchdog_period_s`; the servo puts the throttle
  to neutral after `command_timeout_s` without a command. Not below it, a live navigation would be cut off between
  two repeats and the car would stutter.
- camera -> inference -> navigation: the policy decides once per camera frame, or `max_rate_hz` times a second
  when that is lower; navigation puts the throttle to neutral after `autonomous_timeout_s` without a decision. A
  period not below it pulses the throttle between decisions.
So it is checked where every value is known: `check_graph`, by `deepracer-launch` and `launch/deepracer.launch.py`
alike, on the graph they are about to start (graph.yaml, overlays, --set, and each node's defaults for what the
graph does not name), and nothing starts when a link is broken.

At run time (`ros2 param set`) each node, knowing only its own values, refuses a change that could break a link as
the launcher checked it: navigation may shorten its silence and lengthen its autonomous timeout, never the other
way (`navigation_change_refusal`); the servo's timeout is fixed while it runs (`servo_change_refusal`), since its
actuation guard, a process of its own, took it at start too. The console checks a new action rate against the
values in force (webserver_pkg); a `ros2 param set` of the camera's fps or the inference node's rate is not checked
against navigation at run time.

No import of other packages at module level: navigation_pkg and servo_pkg import this package. The defaults of
the nodes' config dataclasses are read when a graph is checked.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from typing import Any

from deepracer_common_pkg.graph import GraphError, NodeSpec

# (package, executable) -> the node's config dataclass, as "module:Class".
_CONFIGS = {
    ("navigation_pkg", "navigation_node"): "navigation_pkg.config:NavigationConfig",
    ("servo_pkg", "servo_node"): "servo_pkg.config:ServoConfig",
    ("inference_pkg", "inference_node"): "inference_pkg.config:InferenceConfig",
    ("camera_pkg", "camera_node"): "camera_pkg.config:CameraConfig",
}


def _s(value: float) -> str:
    """A value as a person reads it: 0.25, 0.333, 4."""
    return f"{round(value, 3):g}"


def repeat_refusal(command_repeat_s: float, watchdog_period_s: float, command_timeout_s: float, *,
                   navigation: str = "navigation_node", servo: str = "servo_node") -> str:
    """Why navigation's repeat does not keep the servo fed ("" when it does)."""
    silence = command_repeat_s + watchdog_period_s
    if silence < command_timeout_s:
        return ""
    return (f"{navigation}.command_repeat_s {_s(command_repeat_s)} s plus {navigation}.watchdog_period_s "
            f"{_s(watchdog_period_s)} s is not below {servo}.command_timeout_s {_s(command_timeout_s)} s: while "
            f"driving, navigation may send nothing for {_s(silence)} s, and the servo puts the throttle to neutral "
            f"after {_s(command_timeout_s)} s without a command, so the car would stutter. Set "
            f"{navigation}.command_repeat_s below {_s(command_timeout_s - watchdog_period_s)} s or "
            f"{servo}.command_timeout_s above {_s(silence)} s")


def action_rate_refusal(max_rate_hz: float, camera_fps: float | None, autonomous_timeout_s: float, *,
                        inference: str = "inference_node", camera: str = "camera_node",
                        navigation: str = "navigation_node") -> str:
    """Why the policy's decisions come too slowly for navigation's autonomous timeout ("" when they do not).
    `max_rate_hz` 0 = every camera frame; `camera_fps` None = not known (the cap alone is checked)."""
    camera_limits = camera_fps is not None and (max_rate_hz <= 0 or camera_fps <= max_rate_hz)
    rate = camera_fps if camera_limits else max_rate_hz
    if rate is None or rate <= 0 or 1.0 / rate < autonomous_timeout_s:
        return ""
    needed = _s(1.0 / autonomous_timeout_s)
    if camera_limits:
        what, change = f"{camera}.fps {_s(rate)}", f"set {camera}.fps above {needed}"
    else:
        what = f"{inference}.max_rate_hz {_s(rate)}"
        change = f"set {inference}.max_rate_hz above {needed} per second (or 0: every camera frame)"
    return (f"the model would decide only {_s(rate)} times a second ({what}), and the car puts the throttle to "
            f"neutral after {_s(autonomous_timeout_s)} s without a decision ({navigation}.autonomous_timeout_s "
            f"{_s(autonomous_timeout_s)} s), so it would stutter between decisions: {change}, or, to keep "
            f"{_s(rate)} a second, {navigation}.autonomous_timeout_s above {_s(1.0 / rate)} s")


def navigation_change_refusal(start: Any, candidate: Any) -> str:
    """Why a run-time change of navigation's parameters could break a link checked at start ("" when it cannot).
    `start` and `candidate` are NavigationConfig (duck-typed: this package does not import navigation_pkg)."""
    silence = start.command_repeat_s + start.watchdog_period_s
    if candidate.command_repeat_s + candidate.watchdog_period_s > silence + 1e-9:
        return (f"command_repeat_s {_s(candidate.command_repeat_s)} s plus watchdog_period_s "
                f"{_s(candidate.watchdog_period_s)} s would leave the servo without a command for longer than the "
                f"{_s(silence)} s checked against the servo's command_timeout_s at start: set it in the graph "
                f"(--set navigation_node.command_repeat_s=...) and restart, where the launcher checks both")
    if candidate.autonomous_timeout_s < start.autonomous_timeout_s - 1e-9:
        return (f"autonomous_timeout_s may not go below its {_s(start.autonomous_timeout_s)} s at start while the "
                f"node runs: the camera's rate and the inference node's action rate were checked against it. Set "
                f"it in the graph (--set navigation_node.autonomous_timeout_s=...) and restart, where the launcher "
                f"checks them")
    return ""


def servo_change_refusal(start: Any, candidate: Any) -> str:
    """Why a run-time change of the servo's parameters could break a link ("" when it cannot). ServoConfig,
    duck-typed. The guard process took command_timeout_s at start and counts the servo's beats against it: a longer
    timeout here slowed the beats (four per timeout) past what the guard waits, and it fired on a live servo."""
    if candidate.command_timeout_s != start.command_timeout_s:
        return (f"command_timeout_s is fixed while the servo node runs ({_s(start.command_timeout_s)} s): its "
                f"actuation guard took it at start, and navigation's command_repeat_s was checked against it. Set "
                f"it in the graph (--set servo_node.command_timeout_s={_s(candidate.command_timeout_s)}) and "
                f"restart, where the launcher checks both")
    return ""


# --- a whole graph ---------------------------------------------------------------------------------------------

def _value(spec: NodeSpec, field: str) -> float | None:
    """The parameter as the node will have it: the graph's value, else its config dataclass's default; None when it
    is not a number (the node refuses it itself at start, in its own words)."""
    if field in spec.parameters:
        value = spec.parameters[field]
    else:
        module, _, name = _CONFIGS[(spec.package, spec.executable)].partition(":")
        config_type = getattr(importlib.import_module(module), name)
        value = next(f.default for f in dataclasses.fields(config_type) if f.name == field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def graph_refusals(specs: list[NodeSpec]) -> list[str]:
    """Every broken link of the graph `specs`, in words ([] when the chain holds). A link with a node that is not in
    the graph is not checked."""
    nodes = {(spec.package, spec.executable): spec for spec in specs}
    navigation = nodes.get(("navigation_pkg", "navigation_node"))
    servo = nodes.get(("servo_pkg", "servo_node"))
    inference = nodes.get(("inference_pkg", "inference_node"))
    camera = nodes.get(("camera_pkg", "camera_node"))
    refusals: list[str] = []
    if navigation is not None and servo is not None:
        values = (_value(navigation, "command_repeat_s"), _value(navigation, "watchdog_period_s"),
                  _value(servo, "command_timeout_s"))
        if None not in values:
            refusals.append(repeat_refusal(*values, navigation=navigation.name, servo=servo.name))
    if navigation is not None and inference is not None:
        rate, timeout = _value(inference, "max_rate_hz"), _value(navigation, "autonomous_timeout_s")
        fps = _value(camera, "fps") if camera is not None else None
        if rate is not None and timeout is not None:
            refusals.append(action_rate_refusal(rate, fps, timeout, inference=inference.name,
                                                camera=camera.name if camera else "camera_node",
                                                navigation=navigation.name))
    return [refusal for refusal in refusals if refusal]


def check_graph(specs: list[NodeSpec]) -> None:
    """GraphError naming every broken link, so a launcher refuses the graph before it starts a process."""
    refusals = graph_refusals(specs)
    if refusals:
        raise GraphError("the graph's timeouts disagree, so nothing was started:\n- " + "\n- ".join(refusals))
