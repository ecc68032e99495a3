"""deepracer-eval's side of the ROS graph: what the console would do to drive a model round the track, through the
same services (load the model, autonomous mode, maximum speed, Start), plus the simulator's reset and hold.

A run starts with simulated time held (/sim_pkg/hold) so the Start reaches navigation, the inference node and the
simulator before the next frame is taken (sim_node: lockstep): the first frame the policy sees, and every one after
it, is then the same on every run.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import rclpy
from rclpy.executors import SingleThreadedExecutor
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.driving_path import DRIVING_PATH
from deepracer_common_pkg.service_call import ServiceCallError, call, refusal
from deepracer_common_pkg.vocabulary import AUTONOMOUS
from deepracer_interfaces_pkg.msg import Heartbeat, ModelState, NavigationState, SimState
from deepracer_interfaces_pkg.srv import LoadModel, SetDriveMode, SetMaxSpeed

SERVICE_TIMEOUT_S = 30.0
STACK_UP_TIMEOUT_S = 120.0  # a loaded 2-core machine starts five Python processes and OpenVINO
MODEL_LOAD_TIMEOUT_S = 120.0
POLL_S = 0.05


class EvalError(Exception):
    """The evaluation cannot go on; str() says why in the racer's words."""


class _Latest:
    """The newest message of a topic, and a way to wait for one that satisfies a condition."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.message: Any = None

    def put(self, message: Any) -> None:
        with self._changed:
            self.message = message
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[Any], bool], timeout_s: float) -> Any:
        with self._changed:
            if self._changed.wait_for(lambda: self.message is not None and condition(self.message), timeout_s):
                return self.message
        return None


class EvalSession:
    def __init__(self, alive: Callable[[], bool]) -> None:
        """`alive`: whether the launched stack still runs (a wait ends early when it does not)."""
        self._alive = alive
        self._context = rclpy.Context()
        rclpy.init(context=self._context)
        self.node = rclpy.create_node("deepracer_eval", context=self._context)
        self.sim, self.model, self.navigation = _Latest(), _Latest(), _Latest()
        self.node.create_subscription(SimState, names.SIM_STATE, self.sim.put, qos.LATCHED)
        self.node.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self.model.put, qos.LATCHED)
        self.node.create_subscription(NavigationState, names.NAVIGATION_STATE, self.navigation.put, qos.LATCHED)
        self.beats = _Latest()  # {node: beats heard}
        self._beats: dict[str, int] = {}
        self.node.create_subscription(Heartbeat, names.HEARTBEAT, self._on_beat, qos.HEARTBEAT)
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, name="eval-executor", daemon=True)
        self._thread.start()

    def _on_beat(self, message: Heartbeat) -> None:
        self._beats[message.node] = self._beats.get(message.node, 0) + 1
        self.beats.put(dict(self._beats))

    def _spin(self) -> None:
        while self._context.ok():
            try:
                self._executor.spin_once(timeout_sec=0.5)
            except Exception:  # the context is going away
                return

    def close(self) -> None:
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        rclpy.shutdown(context=self._context)
        self._thread.join(2.0)

    def _call(self, srv_type: type, name: str, request: Any, available_within_s: float = SERVICE_TIMEOUT_S) -> Any:
        client = self.node.create_client(srv_type, name)
        try:
            response = call(client, request, SERVICE_TIMEOUT_S, available_within_s=available_within_s)
        except ServiceCallError as error:
            raise EvalError(str(error)) from None
        finally:
            self.node.destroy_client(client)
        why = refusal(response)
        if why:
            raise EvalError(f"{name}: {why}")
        return response

    def _wait(self, latest: _Latest, condition: Callable[[Any], bool], timeout_s: float, what: str) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._alive():
                raise EvalError(f"the car stack stopped while waiting for {what}")
            found = latest.wait_for(condition, POLL_S * 4)
            if found is not None:
                return found
        raise EvalError(f"timed out after {timeout_s:.0f} s waiting for {what}")

    # --- the steps ----------------------------------------------------------------------------------------------

    def wait_for_stack(self) -> None:
        """Every node of the run is up: its state is heard and its services answer."""
        self._wait(self.sim, lambda _: True, STACK_UP_TIMEOUT_S, "the simulator")
        self._wait(self.navigation, lambda _: True, STACK_UP_TIMEOUT_S, "the navigation node")
        self._wait(self.model, lambda _: True, STACK_UP_TIMEOUT_S, "the inference node")

    def load_model(self, model_dir: str) -> ModelState:
        self._call(LoadModel, names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=model_dir), STACK_UP_TIMEOUT_S)
        target = model_dir.rstrip("/")
        state = self._wait(self.model, lambda m: m.model_dir.rstrip("/") == target and m.state in ("loaded", "error"),
                           MODEL_LOAD_TIMEOUT_S, "the model to load")
        if state.state == "error":
            raise EvalError(f"the model did not load: {state.reason}")
        self._wait(self.navigation, lambda n: n.model_ready, SERVICE_TIMEOUT_S, "navigation to see the model")
        # A model load can hold up its process's heartbeat for seconds (OpenVINO reading and compiling the graph on
        # a 2-core machine): navigation refuses a Start until the path's nodes beat again, as a racer would see.
        heard = dict(self._beats)
        self._wait(self.beats, lambda beats: all(beats.get(n, 0) > heard.get(n, 0) for n in DRIVING_PATH[AUTONOMOUS]),
                   SERVICE_TIMEOUT_S, "the driving path's nodes to beat after the load")
        return state

    def prepare(self, speed_pct: float) -> None:
        self._call(SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode=AUTONOMOUS),
                   STACK_UP_TIMEOUT_S)
        self._call(SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED, SetMaxSpeed.Request(max_speed=speed_pct / 100))
        self._call(Trigger, names.SIM_RESET, Trigger.Request(), STACK_UP_TIMEOUT_S)

    def start(self) -> SimState:
        """Start the run with time held; returns the simulator's state at the Start."""
        self._call(SetBool, names.SIM_HOLD, SetBool.Request(data=True))
        held = self._wait(self.sim, lambda s: s.held, SERVICE_TIMEOUT_S, "the simulator to hold time")
        self._call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=True))
        self._wait(self.model, lambda m: m.running, SERVICE_TIMEOUT_S, "the policy to run")
        self._call(SetBool, names.SIM_HOLD, SetBool.Request(data=False))
        return held

    def stop(self) -> None:
        with contextlib.suppress(EvalError):  # the stack is going away anyway
            self._call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=False))

    def follow(self, until: Callable[[SimState], bool], on_state: Callable[[SimState], None]) -> SimState:
        """Watch the race until `until` says so; a run navigation stopped by itself ends it with the reason."""
        seen: SimState | None = None
        while True:
            if not self._alive():
                raise EvalError("the car stack stopped during the run")
            state = self.sim.wait_for(lambda s, seen=seen: s is not seen, POLL_S)
            if state is not None and state is not seen:
                seen = state
                on_state(state)
                if until(state):
                    return state
            navigation = self.navigation.message
            if navigation is not None and not navigation.started:
                raise EvalError(f"the car stopped by itself: {navigation.neutral_reason or 'stopped'}")
