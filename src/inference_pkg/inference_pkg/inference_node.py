"""Inference node: the racer's model on OpenVINO, run on the newest camera frame.

Threads: frames are pre-processed, inferred and published in the subscription callback, as they arrive: on the
camera's capture thread when the camera shares this process (deepracer_common_pkg.hosted_topics; frames are then
only produced while the policy runs), else on the executor; a ModelSwitcher thread loads models.

The node follows navigation's latched state: it runs the policy while navigation is started in autonomous
mode with the loaded model (`drive_rules.policy_runs`), so starting the car is one call to navigation,
whoever makes it. Loading while the car is started is refused (`drive_rules.model_load_refusal`, the rule
the console calls too), and so is a change of the action rate (`max_rate_hz`, `drive_rules.rate_change_refusal`);
a rate changed at run time is kept across restarts (`action_rate_memory`). The rate is kept by choosing frames as
they arrive, never by delaying one (runtime.FrameGate). Accepting a load unloads the current model, so no result
ever comes from a model the state does not name; navigation stops on the model change and the racer starts again.
"""

from __future__ import annotations

import threading
import time
from array import array
from pathlib import Path

import numpy as np
import openvino as ov
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import LaserScan

from deepracer_common_pkg import action_space_msg, hosted_topics, names, qos
from deepracer_common_pkg.drive_rules import model_load_refusal, policy_runs, rate_change_refusal
from deepracer_common_pkg.free_memory import release_free_memory
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import stamped_header, to_ns
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_common_pkg.telemetry_node import publish_telemetry
from deepracer_interfaces_pkg.msg import ActionSpace as ActionSpaceMsg
from deepracer_interfaces_pkg.msg import CameraFrames, InferenceResult, ModelState, NavigationState
from deepracer_interfaces_pkg.srv import LoadModel
from inference_pkg import action_rate_memory, demo_model, lidar, model_package, preprocess
from inference_pkg.config import InferenceConfig
from inference_pkg.frame_failures import FrameError, handle_frame
from inference_pkg.model_package import ModelPackageError
from inference_pkg.policy_network import LoadedModel, load_model
from inference_pkg.runtime import FrameGate, ModelSwitcher

# Made once a frame, on the frame path, without the generated constructor's defaults (message_maker).
_result = maker(InferenceResult, "header", "frame_sequence", "model_name", "action_space_type", "outputs",
                "action_index", "inference_ms")


class InferenceNode(Node):
    def __init__(self) -> None:
        super().__init__("inference_node")
        self._config = declare_config(self, InferenceConfig, self._on_config, refuse=self._refuse_change)
        self._launched_rate_hz = self._config.max_rate_hz
        self._core = ov.Core()
        self._time = StackClock(self)
        self._window = StageWindow("inference", clock=self._time.now_s)
        self._lock = threading.Lock()
        self._state = ModelState(state="idle")
        self._active: LoadedModel | None = None
        self._running = False
        self._navigation: NavigationState | None = None
        self._scan: tuple[float, LaserScan] | None = None

        self._results = hosted_topics.HandOff(self, InferenceResult, names.INFERENCE_RESULTS, qos.LATEST)
        self._state_publisher = self.create_publisher(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
        self._gate = FrameGate(self._config.max_rate_hz)
        self._gate_lock = threading.Lock()  # frames may come on the camera's thread, state on the executor's
        self._switcher = ModelSwitcher(self._load, on_loading=self._loading, on_loaded=self._loaded,
                                       on_failed=self._failed)
        hosted_topics.subscribe(self, CameraFrames, names.CAMERA_FRAMES, self._on_frames, qos.LATEST,
                                wanted=lambda: self._running)
        self.create_subscription(LaserScan, names.LIDAR_SCAN, self._on_scan, qos.LATEST)
        self.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_navigation, qos.LATCHED)
        self.create_service(LoadModel, names.INFERENCE_LOAD_MODEL, self._on_load_model)
        publish_telemetry(self, self._window)
        self._state_publisher.publish(self._state)
        self._take_kept_rate()

        if self._config.install_demo_model:
            try:
                self._install_demo_model()
            except (ModelPackageError, OSError) as error:
                self.get_logger().error(f"could not install the demo model: {error}")
        if self._config.load_on_start:
            try:
                self._switcher.request(str(self._model_folder(self._config.load_on_start)))
            except ModelPackageError as error:
                self.get_logger().error(f"load_on_start: {error}")

    # --- configuration and models ------------------------------------------------------------------
    @property
    def _models_root(self) -> Path:
        return Path(self._config.models_root).expanduser()

    def _refuse_change(self, candidate: InferenceConfig) -> str:
        if candidate.max_rate_hz == self._config.max_rate_hz:
            return ""
        return rate_change_refusal(self._navigation is not None and self._navigation.started)

    def _on_config(self, config: InferenceConfig) -> None:
        self._config = config
        with self._gate_lock:
            self._gate.set_rate(config.max_rate_hz)
        self._keep_rate(config)

    def _keep_rate(self, config: InferenceConfig) -> None:
        if not config.action_rate_file:
            return
        path = Path(config.action_rate_file).expanduser()
        try:
            action_rate_memory.keep(path, config.max_rate_hz, self._launched_rate_hz)
        except OSError as error:
            self.get_logger().error(f"the action rate {config.max_rate_hz:g}/s is in force but not kept across a "
                                    f"restart: cannot write {path} ({error.strerror})")

    def _take_kept_rate(self) -> None:
        """Put the rate chosen at run time before a restart back in force (action_rate_memory)."""
        if not self._config.action_rate_file:
            return
        path = Path(self._config.action_rate_file).expanduser()
        kept = action_rate_memory.at_start(path, self._launched_rate_hz)
        if kept is None:
            return
        result = self.set_parameters([Parameter("max_rate_hz", value=kept)])[0]
        if result.successful:
            self.get_logger().info(f"max_rate_hz {kept:g} in force, as chosen at run time before a restart (kept in "
                                   f"{path}); the launch configuration says {self._launched_rate_hz:g}")
        else:
            self.get_logger().error(f"the action rate kept in {path} is not valid: {result.reason}")

    def _install_demo_model(self) -> None:
        installed = demo_model.install_if_empty(self._models_root)
        if installed is not None:
            self.get_logger().info(f"installed the generated demo model in {installed.path}")

    def _model_folder(self, model_dir: str) -> Path:
        """An installed model's name, or a model folder's path, -> an existing folder."""
        text = model_dir.strip()
        if not text:
            raise ModelPackageError("model_dir is empty: give an installed model's name or a model folder")
        folder = Path(text).expanduser() if "/" in text else model_package.resolve(self._models_root, text)
        if not folder.is_dir():
            raise ModelPackageError(f"no model folder {folder}: install the model first")
        return folder

    def _load(self, target: str) -> LoadedModel:
        config = self._config
        model_package.check_complete(Path(target))  # a folder another tool is still writing is not loaded
        model = load_model(Path(target), precision=config.precision, threads=config.inference_threads,
                           core=self._core)
        model.warm_up()
        if model.cache_error:
            self.get_logger().warning(model.cache_error)
        return model

    # --- state (ModelState is latched; every change is published under the lock) --------------------
    def _publish_state(self, **changes: object) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._state, key, value)
            self._state.running = self._running
            self._state_publisher.publish(self._state)

    def _follow_navigation(self) -> None:
        """Run the policy exactly while navigation drives autonomously with the model loaded here."""
        navigation, model = self._navigation, self._active
        running = (navigation is not None and model is not None and policy_runs(navigation.mode, navigation.started)
                   and navigation.model_ready and navigation.model_name == self._state.model_name)
        if running == self._running:
            return
        if running:
            with self._gate_lock:
                self._gate.restart()
        self._running = running
        self._publish_state()

    def _loading(self, target: str) -> None:
        self._active, self._running = None, False
        self._publish_state(state="loading", model_name=Path(target).name, model_dir=target, reason="",
                            training_algorithm="", sensors=[], action_space=ActionSpaceMsg(), load_seconds=0.0)

    def _loaded(self, target: str, model: LoadedModel) -> None:
        metadata = model.metadata
        self._active = model  # the model it replaces is freed here, with what loading this one needed
        release_free_memory()
        self._publish_state(
            state="loaded", reason="; ".join(metadata.warnings), training_algorithm=metadata.training_algorithm,
            sensors=list(metadata.sensors), load_seconds=model.load_seconds,
            action_space=action_space_msg.to_msg(metadata.action_space))
        self.get_logger().info(f"loaded {target} in {model.load_seconds * 1000:.0f} ms"
                               f"{' (cached IR)' if model.from_cache else ''}")
        self._follow_navigation()

    def _failed(self, target: str, reason: str) -> None:
        self._publish_state(state="error", reason=reason)
        self.get_logger().error(f"loading {target} failed: {reason}")

    # --- services ----------------------------------------------------------------------------------
    def _on_load_model(self, request: LoadModel.Request, response: LoadModel.Response) -> LoadModel.Response:
        refusal = model_load_refusal(self._navigation is not None and self._navigation.started)
        if refusal:
            response.success, response.reason = False, refusal
            return response
        try:
            folder = self._model_folder(request.model_dir)
        except ModelPackageError as error:
            response.success, response.reason = False, str(error)
            return response
        self._switcher.request(str(folder))
        response.success, response.reason = True, f"loading {folder}"
        return response

    # --- data path -----------------------------------------------------------------------------------
    def _on_navigation(self, message: NavigationState) -> None:
        self._navigation = message
        self._follow_navigation()

    def _on_scan(self, message: LaserScan) -> None:
        self._scan = (self._time.now_s(), message)

    def _on_frames(self, message: CameraFrames) -> None:
        if not self._running or self._active is None:
            return
        with self._gate_lock:
            # The frame's capture time, not its arrival: the rate is the camera's frames', and a simulated run
            # chooses the same frames whatever the machine.
            admission = self._gate.admit(message.sequence, to_ns(message.header.stamp) / 1e9)
        if admission.missed:
            self._window.drop(admission.missed)
        if not admission.infer:
            return
        logger = self.get_logger()
        handle_frame(lambda: self._infer(message), self._window,
                     warn=lambda text: logger.warning(text, throttle_duration_sec=5.0),
                     error=lambda text: logger.error(text, throttle_duration_sec=5.0))

    def _lidar_input(self, settings: lidar.LidarSettings) -> np.ndarray:
        scan = self._scan
        if scan is None or self._time.now_s() - scan[0] > self._config.lidar_timeout_s:
            raise FrameError(f"the model needs LiDAR but no scan arrived on {names.LIDAR_SCAN} within "
                               f"{self._config.lidar_timeout_s} s")
        try:
            vector = lidar.scan_vector(scan[1].ranges, scan[1].angle_min, scan[1].angle_increment, settings)
        except ValueError as error:
            raise FrameError(f"the LiDAR scan cannot be used: {error}") from None
        return vector[np.newaxis]

    def _infer(self, message: CameraFrames) -> None:
        model = self._active
        if model is None or not self._running:
            return
        started = time.perf_counter()
        metadata = model.metadata
        images = [preprocess.RawImage(i.encoding, i.height, i.width, i.step, i.data) for i in message.images]
        feeds = {metadata.camera_sensor: preprocess.camera_input(metadata.camera_sensor, images)}
        if model.lidar_settings is not None:
            feeds[metadata.lidar_sensor] = self._lidar_input(model.lidar_settings)
        outputs = model.infer(feeds)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        if self._active is not model or not self._running:
            return  # a load or a stop came in meanwhile: this result belongs to nobody
        result = _result(stamped_header(message.header.stamp, message.header.frame_id), message.sequence, model.name,
                         metadata.action_space.type, array("f", outputs.tolist()),
                         metadata.action_space.action_index(outputs), elapsed_ms)
        captured = to_ns(message.header.stamp)
        if captured:
            self._window.record((self._time.now_ns() - captured) / 1e6)
        self._results.publish(result)  # navigation, when it shares this process, acts on it on this thread

    def on_shutdown(self) -> None:
        self._running = False
        self._switcher.close()


def main(args: list[str] | None = None) -> None:
    run_node(InferenceNode, args)


if __name__ == "__main__":
    main()
