"""compat_node: the original car's services and topics, for tools written for it (DREM, the AWS sample apps).

A thin shell: each original request goes through original_interface.py to the service our own node offers, and
the answer comes back as the original's error flag. Service callbacks wait for our nodes' answers: this node is spun
by an executor of its own (`OWN_EXECUTOR`, on its own thread in whichever process hosts it), and the clients that
carry those calls live on a hidden node of its own (`_compat_node_calls`), spun by one more thread, which completes
the answers the callbacks wait for. Both are EventsExecutors: the Python MultiThreadedExecutor this node used
before cost 3-12 % of a core with nobody calling (it rebuilds its wait set in Python every wake-up). It is not on
the frame path.

The two original topics that carry pictures cost work only while someone reads them: as a reader comes (the
publisher's matched event, at once) this node subscribes to the camera's JPEG display stream (and, for rl_results,
to our policy output) while /inference_pkg/rl_results or /camera_pkg/display_mjpeg has a reader, and unsubscribes
when the last one leaves; the camera sends that stream only while it has a subscriber. rl_results carries the
camera's colour JPEG as it came, untouched, paired with the policy output of the same capture by its stamp: DREM's
video job decodes images[0] as the colour camera frame. The original drive topics are navigation's own inputs
(external mode).
"""

from __future__ import annotations

import numpy as np
from rclpy.event_handler import PublisherEventCallbacks
from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from rclpy.subscription import Subscription
from sensor_msgs.msg import CompressedImage, Image
from std_srvs.srv import SetBool

from compat_pkg import original_interface as original
from compat_pkg.original_interface import OriginalRequestError
from compat_pkg.rl_results import RlResultsPairing
from deepracer_common_pkg import names, qos, service_call
from deepracer_common_pkg.drive_rules import model_readiness
from deepracer_common_pkg.node_main import Spinner, run_node
from deepracer_interfaces_pkg.msg import (
    InferenceResult,
    InferResultsArray,
    ModelState,
    NavigationState,
)
from deepracer_interfaces_pkg.srv import (
    ActiveStateSrv,
    EnableStateSrv,
    GetCalibration,
    GetCalibrationSrv,
    GetCtrlModesSrv,
    GetLedColor,
    GetLedCtrlSrv,
    GetModelLoadingStatusSrv,
    LoadModel,
    ModelStateSrv,
    NavThrottleSrv,
    SetCalibration,
    SetCalibrationSrv,
    SetDriveMode,
    SetLedColor,
    SetLedCtrlSrv,
    SetMaxSpeed,
)
from servo_pkg.led_color import LedColor

CALL_TIMEOUT_S = 5.0  # an answer from one of our nodes; longer means that node is not running


class CompatNode(Node):
    OWN_EXECUTOR = staticmethod(EventsExecutor)

    def __init__(self) -> None:
        super().__init__("compat_node")
        # Our nodes' services, created up front on the hidden caller node, whose thread hears their answers.
        self._caller = Node("_compat_node_calls", context=self.context)
        self._caller_spinner = Spinner(EventsExecutor(context=self.context), [self._caller], "compat-calls")
        self._ours = {name: self._caller.create_client(srv_type, name) for srv_type, name in (
            (SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE), (SetBool, names.NAVIGATION_START_STOP),
            (SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED), (GetCalibration, names.SERVO_GET_CALIBRATION),
            (SetCalibration, names.SERVO_SET_CALIBRATION), (GetLedColor, names.SERVO_GET_LED_COLOR),
            (SetLedColor, names.SERVO_SET_LED_COLOR), (LoadModel, names.INFERENCE_LOAD_MODEL))}
        self._model: ModelState | None = None
        self._navigation: NavigationState | None = None
        serve = [
            (ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, self._vehicle_state),
            (EnableStateSrv, names.ORIGINAL_ENABLE_STATE, self._enable_state),
            (GetCtrlModesSrv, names.ORIGINAL_GET_CTRL_MODES, self._get_ctrl_modes),
            (GetCalibrationSrv, names.ORIGINAL_GET_CAR_CAL, self._get_car_cal),
            (SetCalibrationSrv, names.ORIGINAL_SET_CAR_CAL, self._set_car_cal),
            (ModelStateSrv, names.ORIGINAL_MODEL_STATE, self._model_state_srv),
            (GetModelLoadingStatusSrv, names.ORIGINAL_IS_MODEL_LOADING, self._is_model_loading),
            (NavThrottleSrv, names.ORIGINAL_AUTONOMOUS_THROTTLE, self._autonomous_throttle),
            (SetLedCtrlSrv, names.ORIGINAL_SET_LED_STATE, self._set_led_state),
            (GetLedCtrlSrv, names.ORIGINAL_GET_LED_STATE, self._get_led_state),
        ]
        for srv_type, name, handler in serve:
            self.create_service(srv_type, name, handler)
        self.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self._on_model_state, qos.LATCHED)
        self.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_navigation, qos.LATCHED)
        # A reader coming or going is heard at once (the publisher's matched event), not by polling.
        readers_changed = PublisherEventCallbacks(matched=lambda _info: self._follow_readers())
        self._rl_pub = self.create_publisher(InferResultsArray, names.ORIGINAL_RL_RESULTS, qos.LATEST,
                                             event_callbacks=readers_changed)
        self._display_pub = self.create_publisher(Image, names.ORIGINAL_CAMERA_DISPLAY, qos.LATEST,
                                                  event_callbacks=readers_changed)
        self._pairing = RlResultsPairing()
        self._readers = {"rl": False, "display": False}
        self._picture_subs: dict[str, Subscription | None] = {"camera": None, "results": None}
        self._caller_spinner.start()

    # --- calling our own nodes -----------------------------------------------------------------------

    def _call(self, name: str, request):
        """Our node's answer, or OriginalRequestError naming the node that did not answer."""
        try:
            return service_call.call(self._ours[name], request, CALL_TIMEOUT_S)
        except service_call.ServiceCallError as error:
            raise OriginalRequestError(str(error)) from None

    def _answer(self, response, what: str, action):
        """Run `action` (-> accepted, reason); set the original error flag, log refusals in plain words."""
        try:
            accepted, reason = action()
        except OriginalRequestError as error:
            accepted, reason = False, str(error)
        if not accepted:
            self.get_logger().warning(f"{what} refused: {reason}")
        response.error = original.error_flag(accepted)
        return response

    # --- /ctrl_pkg -----------------------------------------------------------------------------------

    def _vehicle_state(self, request, response):
        def action():
            answer = self._call(names.NAVIGATION_SET_DRIVE_MODE,
                                SetDriveMode.Request(mode=original.mode_for_state(request.state)))
            return answer.success, answer.reason
        return self._answer(response, f"vehicle_state {request.state}", action)

    def _enable_state(self, request, response):
        def action():
            answer = self._call(names.NAVIGATION_START_STOP, SetBool.Request(data=bool(request.is_active)))
            return answer.success, answer.message
        return self._answer(response, f"enable_state {request.is_active}", action)

    def _get_ctrl_modes(self, request, response):
        response.modes = list(range(len(original.ORIGINAL_MODES)))
        response.error = original.DONE
        return response

    def _get_car_cal(self, request, response):
        def action():
            answer = self._call(names.SERVO_GET_CALIBRATION,
                                GetCalibration.Request(channel=original.channel_for_cal_type(request.cal_type)))
            if answer.success:
                response.min, response.mid, response.max = answer.min_ns, answer.mid_ns, answer.max_ns
                response.polarity = answer.polarity
            return answer.success, answer.reason
        return self._answer(response, f"get_car_cal {request.cal_type}", action)

    def _set_car_cal(self, request, response):
        def action():
            answer = self._call(names.SERVO_SET_CALIBRATION, SetCalibration.Request(
                channel=original.channel_for_cal_type(request.cal_type), min_ns=request.min, mid_ns=request.mid,
                max_ns=request.max, polarity=request.polarity))
            return answer.success, answer.reason
        return self._answer(response, f"set_car_cal {request.cal_type}", action)

    def _model_state_srv(self, request, response):
        def action():
            answer = self._call(names.INFERENCE_LOAD_MODEL,
                                LoadModel.Request(model_dir=original.model_dir_for(request.model_name)))
            return answer.success, answer.reason
        return self._answer(response, f"model_state {request.model_name!r}", action)

    def _is_model_loading(self, request, response):
        response.model_loading_status = model_readiness(self._model, self._navigation)
        response.error = original.DONE
        return response

    def _autonomous_throttle(self, request, response):
        def action():
            answer = self._call(names.NAVIGATION_SET_MAX_SPEED,
                                SetMaxSpeed.Request(max_speed=request.throttle))
            return answer.success, answer.reason
        return self._answer(response, f"autonomous_throttle {request.throttle}", action)

    def _on_model_state(self, message: ModelState) -> None:
        self._model = message

    def _on_navigation(self, message: NavigationState) -> None:
        self._navigation = message

    # --- /servo_pkg tail light -----------------------------------------------------------------------

    def _set_led_state(self, request, response):
        def action():
            color = original.led_color_for_duty(request.red, request.green, request.blue)
            answer = self._call(names.SERVO_SET_LED_COLOR,
                                SetLedColor.Request(red=color.red, green=color.green, blue=color.blue))
            return answer.success, answer.reason
        return self._answer(response, "set_led_state", action)

    def _get_led_state(self, request, response):
        try:
            answer = self._call(names.SERVO_GET_LED_COLOR, GetLedColor.Request())
        except OriginalRequestError as error:
            self.get_logger().warning(f"get_led_state: {error}")
            return response
        duty = LedColor(answer.red, answer.green, answer.blue).duty_ns()
        response.red, response.green, response.blue = duty
        return response

    # --- pictures, only while read -------------------------------------------------------------------

    def _follow_readers(self) -> None:
        self._readers = {"rl": self._rl_pub.get_subscription_count() > 0,
                         "display": self._display_pub.get_subscription_count() > 0}
        wanted = {"camera": self._readers["rl"] or self._readers["display"], "results": self._readers["rl"]}
        for key, want in wanted.items():
            subscription = self._picture_subs[key]
            if want and subscription is None:
                self._picture_subs[key] = self._picture_subscription(key)
            elif not want and subscription is not None:
                self.destroy_subscription(subscription)
                self._picture_subs[key] = None
        if not self._readers["rl"]:
            self._pairing.clear()

    def _picture_subscription(self, key: str):
        if key == "camera":
            return self.create_subscription(CompressedImage, names.CAMERA_DISPLAY, self._on_camera, qos.LATEST)
        return self.create_subscription(InferenceResult, names.INFERENCE_RESULTS, self._on_result, qos.LATEST)

    def _on_camera(self, message: CompressedImage) -> None:
        """The camera's colour JPEG (its display stream): kept as it is for rl_results, decoded for display."""
        if self._readers["rl"] and (paired := self._pairing.picture(message)) is not None:
            self._rl_pub.publish(paired)
        if not self._readers["display"]:
            return
        import cv2  # here: OpenCV is about 15 MB the console process carries only once someone reads this topic

        pixels = cv2.imdecode(np.frombuffer(bytes(message.data), np.uint8), cv2.IMREAD_COLOR)
        if pixels is None:
            return
        image = Image(header=message.header, height=pixels.shape[0], width=pixels.shape[1], encoding="bgr8",
                      is_bigendian=0, step=pixels.shape[1] * 3, data=pixels.tobytes())
        self._display_pub.publish(image)

    def _on_result(self, message: InferenceResult) -> None:
        if (paired := self._pairing.result(message)) is not None:
            self._rl_pub.publish(paired)

    def on_shutdown(self) -> None:
        self._caller_spinner.stop(CALL_TIMEOUT_S)
        self._caller.destroy_node()


def main(args: list[str] | None = None) -> None:
    run_node(CompatNode, args)


if __name__ == "__main__":
    main()
