"""What outside tools do on a car running this stack, against the whole stack started by our launcher.

DREM (DeepRacer Event Manager) reaches a car by remote shell: it untars a model into the models folder and writes
checksum.txt, calls the original services (`ros2 service call`, here the same requests from an rclpy client: there
is no ros2 CLI on PyPI), sets the tail light and stops the car. An AWS sample application switches ctrl_pkg into
its own mode and publishes ServoCtrlMsg on the original auto_drive topic. Only the camera and the PWM hardware
are stand-ins (the simulator's camera, the simulated servo output), because neither exists on this machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sensor_msgs.msg import Image
from webserver.console_client import HttpClient

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import InferResultsArray, ModelState, NavigationState, PwmWritten, ServoCtrlMsg
from deepracer_interfaces_pkg.srv import (
    ActiveStateSrv,
    EnableStateSrv,
    GetCalibrationSrv,
    GetCtrlModesSrv,
    GetLedCtrlSrv,
    ModelStateSrv,
    NavThrottleSrv,
    SetCalibrationSrv,
    SetLedCtrlSrv,
)
from support.rosgraph import wait_for
from support.stack import REPO, LaunchedStack, console_login, temp_data_dir

STARTUP_S = 90.0
SAMPLE_MODEL = REPO / ".cache" / "deepracer-sample-model"
EXTERNAL_TIMEOUT_S = 0.5  # navigation_node.external_timeout_s default

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def stack():
    if not (SAMPLE_MODEL / "model_15.pb").is_file():
        pytest.skip("the real sample model is fetched by the test set-up (make test)")
    launched = LaunchedStack(temp_data_dir(), only="servo_node,sim_node,navigation_node,inference_node,camera_node,"
                                                    "webserver_node,compat_node")
    yield launched
    if launched.process.poll() is None:
        launched.stop()


@pytest.fixture(scope="module")
def console(stack):
    _, password = console_login(stack, STARTUP_S)
    client = HttpClient(stack.url)
    assert wait_for(lambda: client.login(password).status == 200 or None, STARTUP_S, "a console login")
    return client


def call(probe, srv_type, name, request):
    return probe.call(srv_type, name, request, STARTUP_S)


def neutral_ns(probe) -> int:
    """The throttle's calibrated neutral, as the original service reports it."""
    return call(probe, GetCalibrationSrv, names.ORIGINAL_GET_CAR_CAL, GetCalibrationSrv.Request(cal_type=1)).mid


def enable(probe, active: bool) -> int:
    return call(probe, EnableStateSrv, names.ORIGINAL_ENABLE_STATE, EnableStateSrv.Request(is_active=active)).error


def drem_installs_a_model(models_root: Path, folder: str, work: Path) -> Path:
    """DREM's upload, as shell commands: a racer's .tar.gz (agent/model.pb) untarred into the models folder,
    model.* moved up one level, the md5 written to checksum.txt last."""
    package = work / "package"
    (package / "agent").mkdir(parents=True)
    shutil.copy(SAMPLE_MODEL / "model_15.pb", package / "agent" / "model.pb")
    shutil.copy(SAMPLE_MODEL / "model_metadata.json", package / "model_metadata.json")
    subprocess.run(["tar", "-czf", str(work / "model.tar.gz"), "-C", str(package), "."], check=True)
    target = models_root / folder
    script = (f"set -e; mkdir -p '{target}'; tar -xzf '{work / 'model.tar.gz'}' -C '{target}'; cd '{target}'; "
              "mv agent/model.* .; rmdir agent; md5sum model.pb | cut -d' ' -f1 > checksum.txt")
    subprocess.run(["bash", "-c", script], check=True)
    return target


def throttle_writes(written, since: float) -> list[tuple[float, int]]:
    return [(t, m.throttle_ns) for t, m in written.timed() if t >= since]


def test_drem_model_drop_load_stop_and_tail_light(stack, console, ros_probe, tmp_path):
    written = ros_probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
    models = ros_probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
    navigation = ros_probe.subscribe(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
    target = drem_installs_a_model(stack.data_dir / "models", "racer1-model15", tmp_path)
    neutral = neutral_ns(ros_probe)

    listed = wait_for(lambda: next((m for m in console.get("/api/models").json()["models"]
                                    if m["model_folder_name"] == target.name), None), 30, "the dropped model listed")
    assert listed["model_name"]

    assert call(ros_probe, ModelStateSrv, names.ORIGINAL_MODEL_STATE,
                ModelStateSrv.Request(model_name=str(target / "model.pb"))).error == 0
    models.wait_for(lambda s: s.state == "loaded" and Path(s.model_dir) == target, STARTUP_S, "the model loaded")
    navigation.wait_for(lambda s: s.model_ready, STARTUP_S, "navigation to see the model")

    assert call(ros_probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, ActiveStateSrv.Request(state=1)).error == 0
    assert call(ros_probe, NavThrottleSrv, names.ORIGINAL_AUTONOMOUS_THROTTLE,
                NavThrottleSrv.Request(throttle=1.0)).error == 0
    rl_results = ros_probe.subscribe(InferResultsArray, names.ORIGINAL_RL_RESULTS, qos.LATEST)
    assert enable(ros_probe, True) == 0, stack.output()[-3000:]  # a refusal: compat_node logs why
    written.wait_for(lambda m: m.reason == "command" and m.throttle_ns != neutral, 30, "the car driving")

    # DREM's video tool: one class per action (12 in this model) and the JPEG the policy saw.
    result = rl_results.wait_for(lambda m: len(m.results) == 12 and m.images, 30, "rl_results in the original shape")
    assert abs(sum(r.class_prob for r in result.results) - 1.0) < 1e-3
    assert bytes(result.images[0].data[:2]) == b"\xff\xd8"

    # DREM's emergency stop.
    stop_sent = time.monotonic()
    assert enable(ros_probe, False) == 0, stack.output()[-3000:]  # a refusal: compat_node logs why
    wait_for(lambda: neutral in [ns for _, ns in throttle_writes(written, stop_sent)] or None, 5,
             "neutral after enable_state false")
    time.sleep(0.3)  # observation window, not synchronisation: nothing may drive after the stop
    assert all(ns == neutral for _, ns in throttle_writes(written, stop_sent + 0.2))

    # The tail light, as DREM sets a racer's colour (255 x 39,215 ns per channel), read back in the console.
    assert call(ros_probe, SetLedCtrlSrv, names.ORIGINAL_SET_LED_STATE,
                SetLedCtrlSrv.Request(red=9_999_825, green=0, blue=5_019_520)).error == 0
    led = console.get("/api/get_led_color").json()
    assert (led["red"], led["green"], led["blue"]) == (255, 0, 128)
    back = call(ros_probe, GetLedCtrlSrv, names.ORIGINAL_GET_LED_STATE, GetLedCtrlSrv.Request())
    assert (back.red, back.green, back.blue) == (9_999_825, 0, 5_019_520)
    saved = json.loads((stack.data_dir / "led_values.json").read_text())
    assert saved == {"Led Values": {"red_pwm": 9_999_825, "green_pwm": 0, "blue_pwm": 5_019_520}}

    bad = call(ros_probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, ActiveStateSrv.Request(state=9))
    assert bad.error == 1
    ros_probe.node.destroy_subscription(rl_results.subscription)  # a reader left behind keeps compat_node working


def test_calibration_through_the_original_services_lands_in_the_original_file(stack, ros_probe):
    steering = call(ros_probe, GetCalibrationSrv, names.ORIGINAL_GET_CAR_CAL, GetCalibrationSrv.Request(cal_type=0))
    assert (steering.error, steering.min, steering.mid, steering.max) == (0, 1_200_000, 1_450_000, 1_700_000)
    assert call(ros_probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, ActiveStateSrv.Request(state=2)).error == 0
    answer = call(ros_probe, SetCalibrationSrv, names.ORIGINAL_SET_CAR_CAL, SetCalibrationSrv.Request(
        cal_type=1, min=1_320_000, mid=1_450_000, max=1_600_000, polarity=-1))
    assert answer.error == 0
    saved = json.loads((stack.data_dir / "calibration.json").read_text())
    assert saved["Calibration"]["Motor"] == {"max": 1_600_000, "mid": 1_450_000, "min": 1_320_000, "polarity": -1}
    refused = call(ros_probe, SetCalibrationSrv, names.ORIGINAL_SET_CAR_CAL, SetCalibrationSrv.Request(
        cal_type=1, min=1_500_000, mid=1_450_000, max=1_600_000, polarity=-1))
    assert refused.error == 1
    assert call(ros_probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, ActiveStateSrv.Request(state=0)).error == 0


def test_sample_app_drives_in_its_own_mode_and_gets_neutral_when_it_goes_quiet(stack, ros_probe):
    modes = call(ros_probe, GetCtrlModesSrv, names.ORIGINAL_GET_CTRL_MODES, GetCtrlModesSrv.Request())
    assert list(modes.modes) == [0, 1, 2, 3]
    written = ros_probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
    neutral = neutral_ns(ros_probe)
    # A reliable writer is matched by navigation's best-effort reader too; the sample apps'
    # best-effort publishers on their own topics, and servo_msg, are tests/compat/test_sample_apps.py.
    drive = ros_probe.publisher(ServoCtrlMsg, names.ORIGINAL_AUTO_DRIVE, qos.COMMAND)
    display = ros_probe.subscribe(Image, names.ORIGINAL_CAMERA_DISPLAY, qos.LATEST)
    assert call(ros_probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, ActiveStateSrv.Request(state=3)).error == 0
    assert enable(ros_probe, True) == 0, stack.output()[-3000:]  # a refusal: compat_node logs why

    def send_for(seconds: float, throttle: float) -> float:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            drive.publish(ServoCtrlMsg(angle=0.3, throttle=throttle))  # as the apps send it
            time.sleep(0.05)  # the application's own pace (20 Hz), not synchronisation
        return time.monotonic()

    started = time.monotonic()
    last_sent = send_for(1.5, 0.5)
    driving = [ns for t, ns in throttle_writes(written, started) if ns != neutral]
    assert driving, "the application's commands never reached the wheels"
    # The watchdog's word: neutral within external_timeout_s (plus the watchdog period and the DDS hop) after the
    # last command, and nothing but neutral after it.
    first_neutral = wait_for(lambda: next((t for t, ns in throttle_writes(written, last_sent) if ns == neutral),
                                          None), 5, "neutral after the application went quiet")
    assert first_neutral - last_sent < EXTERNAL_TIMEOUT_S + 0.4
    time.sleep(0.3)  # observation window
    assert all(ns == neutral for _, ns in throttle_writes(written, first_neutral))

    frame = display.wait_for(lambda m: m.encoding == "bgr8" and m.width > 0, 30, "the original display image")
    assert len(frame.data) == frame.height * frame.step
    ros_probe.node.destroy_subscription(display.subscription)
    assert enable(ros_probe, False) == 0, stack.output()[-3000:]  # a refusal: compat_node logs why
