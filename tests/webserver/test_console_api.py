"""The driving, calibration, device and logs API over real HTTP, against the in-process robot (the real cores):
every route answers the original console's shapes, and every refusal says why and does nothing."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import replace
from datetime import datetime

import pytest

from inference_pkg.model_package import install
from servo_pkg.console_units import from_console_units
from servo_pkg.servo_core import CALIBRATION_HOLD_S
from support.rosgraph import wait_for
from webserver_pkg.robot.bridge import CalibrationNs, CameraView, LogLine, ModelStateView, StageView
from webserver_pkg.views import calibration as calibration_view


@pytest.fixture
def api(console_server):
    return console_server.logged_in_client()


@pytest.fixture
def bridge(console_server):
    return console_server.bridge


def test_pages_render_with_the_sessions_csrf_token(console_server, api):
    for page in ("/home", "/models", "/calibration", "/settings", "/logs"):
        reply = api.get(page)
        assert reply.status == 200, page
        assert f'<meta name="csrf-token" content="{api.csrf_token}">' in reply.body.decode(), page
    root = api.get("/")
    assert root.status == 302 and root.headers["Location"].endswith("/home")


# --- driving -------------------------------------------------------------------------------------

def test_manual_drive_publishes_in_navigations_convention(api, bridge):
    """The route's throttle < 0 is forward and angle > 0 right (the original's); navigation's +1 is full forward
    and full left, and it applies the car's max speed (100 % here), so the request's 0.5 is sent as a share."""
    bridge.set_navigation_started(True)
    bridge.set_max_speed(1.0)
    reply = api.post("/api/manual_drive", {"angle": -0.5, "throttle": 0.8, "max_speed": 0.5})
    assert reply.status == 200 and reply.json() == {"success": True}
    assert bridge.manual_commands == [(0.5, -0.4)]


@pytest.mark.parametrize("body, field", [
    ({"angle": 1.5, "throttle": 0}, "angle"),
    ({"angle": 0, "throttle": "fast"}, "throttle"),
    ({"angle": 0, "throttle": True}, "throttle"),
    ({"angle": 0}, "throttle"),
    ({"angle": 0, "throttle": 0.2, "max_speed": 1.2}, "max_speed"),
])
def test_manual_drive_refuses_bad_values_and_sends_nothing(api, bridge, body, field):
    reply = api.post("/api/manual_drive", body)
    assert reply.status == 400
    assert reply.json()["success"] is False and reply.json()["reason"].startswith(field)
    assert bridge.manual_commands == []


def test_a_body_that_is_not_a_json_object_is_refused(api, bridge):
    reply = api.request("POST", "/api/manual_drive", data=b"angle=1", headers={"Content-Type": "text/plain"})
    assert reply.status == 400 and "JSON object" in reply.json()["reason"]


def test_drive_mode_maps_auto_to_autonomous_and_refuses_unknown_modes(api, bridge):
    assert api.post("/api/drive_mode", {"drive_mode": "auto"}).status == 200
    assert bridge.navigation.mode == "autonomous"
    reply = api.post("/api/drive_mode", {"drive_mode": "turbo"})
    assert reply.status == 400 and "manual" in reply.json()["reason"]
    assert bridge.calls_to("set_drive_mode") == [("autonomous",)]


def _load(bridge, console_server, model_archive) -> None:
    """A real model through the real checks (the in-process robot runs the inference package's)."""
    installed = install(model_archive, console_server.models_root, "m")
    bridge.load_model(str(installed.path))
    wait_for(lambda: bridge.model.state in ("loaded", "error"), 30, "the model to load")
    assert bridge.model.state == "loaded", bridge.model.reason
    bridge.calls.clear()


def _autonomous(bridge) -> None:
    bridge.set_drive_mode("autonomous")
    bridge.calls.clear()


def test_start_in_autonomous_is_one_call_to_navigation_and_inference_follows(api, bridge, console_server,
                                                                             model_archive):
    _load(bridge, console_server, model_archive)
    _autonomous(bridge)
    assert api.post("/api/start_stop", {"start_stop": "start"}).status == 200
    assert bridge.calls == [("set_navigation_started", (True,))]
    assert bridge.navigation.started and bridge.policy_running
    bridge.calls.clear()
    assert api.post("/api/start_stop", {"start_stop": "stop"}).status == 200
    assert bridge.calls == [("set_navigation_started", (False,))]
    assert not bridge.navigation.started and not bridge.policy_running


def test_start_without_a_loaded_model_is_refused_with_the_robots_reason(api, bridge):
    _autonomous(bridge)
    reply = api.post("/api/start_stop", {"start_stop": "start"})
    assert reply.status == 409 and "needs a loaded model" in reply.json()["reason"]
    assert bridge.call_names() == ["set_navigation_started"]
    assert not bridge.navigation.started and not bridge.policy_running


def test_start_in_manual_mode_starts_navigation_only(api, bridge):
    assert api.post("/api/start_stop", {"start_stop": "start"}).status == 200
    assert bridge.call_names() == ["set_navigation_started"]


def test_start_is_refused_while_the_emergency_stop_is_latched(api, bridge):
    assert api.post("/api/emergency_stop").status == 200
    assert bridge.navigation.emergency_stop
    reply = api.post("/api/start_stop", {"start_stop": "start"})
    assert reply.status == 409 and "reset it" in reply.json()["reason"]
    assert api.post("/api/reset_emergency_stop").status == 200
    assert api.post("/api/start_stop", {"start_stop": "start"}).status == 200


def test_stop_reports_a_navigation_node_that_does_not_answer(api, bridge):
    bridge.unavailable.add("set_navigation_started")
    reply = api.post("/api/start_stop", {"start_stop": "stop"})
    assert reply.status == 503 and "not available" in reply.json()["reason"]
    assert bridge.call_names() == ["set_navigation_started"]


def test_start_stop_refuses_other_words_and_unknown_navigation_state(api, bridge):
    assert api.post("/api/start_stop", {"start_stop": "go"}).status == 400
    bridge.navigation_heard = False
    reply = api.post("/api/start_stop", {"start_stop": "start"})
    assert reply.status == 503 and "navigation node" in reply.json()["reason"]
    assert bridge.calls == []


def test_max_nav_throttle_sets_max_speed_as_a_fraction(api, bridge):
    assert api.post("/api/max_nav_throttle", {"throttle": 40}).status == 200
    assert bridge.navigation.max_speed == pytest.approx(0.4)
    assert api.post("/api/max_nav_throttle", {"throttle": 101}).status == 400
    assert api.post("/api/max_nav_throttle", {"throttle": -1}).status == 400
    assert bridge.calls_to("set_max_speed") == [(0.4,)]


def test_control_modes_and_navigation_state(api, bridge):
    assert api.get("/api/control_modes_available").json() == {"success": True,
                                                              "control_modes_available": ["manual", "auto"]}
    state = api.get("/api/navigation_state").json()
    assert state["known"] is True and state["mode"] == "manual" and state["started"] is False
    bridge.navigation_heard = False
    assert api.get("/api/navigation_state").json()["known"] is False


# --- calibration ---------------------------------------------------------------------------------

def test_calibration_mode_and_values_in_console_units(api, bridge):
    assert api.post("/api/set_calibration_mode").status == 200
    assert bridge.navigation.mode == "calibration"
    assert api.get("/api/get_calibration/angle").json() == {"success": True, "mid": -5, "min": -30, "max": 20,
                                                            "polarity": 1, "defaults": True, "stock_polarity": 1,
                                                            "hold_s": CALIBRATION_HOLD_S}
    # The speed estimate's scale: the simulated car's 2.0 m/s at the stock full forward, 30 units from stopped.
    assert api.get("/api/get_calibration/throttle").json() == {"success": True, "mid": -12, "min": -42,
                                                               "max": 23, "polarity": -1, "defaults": True,
                                                               "stock_polarity": -1, "hold_s": CALIBRATION_HOLD_S,
                                                               "speed_m_s_per_unit": round(2.0 / 30, 6)}


def test_calibration_mode_needs_the_csrf_token_whatever_the_method(api, bridge):
    """Issue 19: GET /api/set_calibration_mode changed the car's mode, so any page could stop the car. The
    original's GET is served again (issue 24), with the same token a POST needs."""
    reply = api.get("/api/set_calibration_mode")
    assert reply.status == 403 and "X-CSRF-Token" in reply.json()["reason"]
    assert api.post("/api/set_calibration_mode", csrf=False).status == 403
    assert bridge.calls_to("set_drive_mode") == []
    assert api.get("/api/set_calibration_mode", headers={"X-CSRF-Token": api.csrf_token}).status == 200
    assert bridge.calls_to("set_drive_mode") == [("calibration",)]


def test_calibration_mode_is_refused_while_the_car_is_started(api, bridge):
    """Issue 14 finding 2: entering calibration stops a run; from another device it must be refused, with why."""
    bridge.set_navigation_started(True)
    reply = api.post("/api/set_calibration_mode")
    assert reply.status == 409
    assert reply.json()["reason"].startswith("the car is driving (manual mode): press Stop vehicle")
    assert (bridge.navigation.mode, bridge.navigation.started) == ("manual", True)


def test_calibration_values_say_when_they_are_the_defaults(api, bridge):
    """Issue 19: a bad calibration file falls back to the defaults; the console showed them as the car's."""
    assert api.post("/api/set_calibration/angle", {"mid": 2, "min": -25, "max": 30, "polarity": -1}).status == 200
    assert api.get("/api/get_calibration/angle").json()["defaults"] is False
    assert api.get("/api/get_calibration/throttle").json()["defaults"] is True


def test_set_calibration_converts_console_units_to_ns(api, bridge):
    reply = api.post("/api/set_calibration/angle", {"mid": 2, "min": -25, "max": 30, "polarity": -1})
    assert reply.status == 200
    assert bridge.calibration["steering"] == CalibrationNs(min_ns=1_250_000, mid_ns=1_520_000, max_ns=1_800_000,
                                                           polarity=-1)
    assert api.post("/api/set_calibration/throttle", {"mid": 0, "min": -30, "max": 30, "polarity": 1}).status == 200
    assert bridge.calibration["throttle"] == CalibrationNs(1_365_000, 1_500_000, 1_635_000, 1)


@pytest.mark.parametrize("body, words", [
    ({"mid": 10, "min": -25, "max": 5, "polarity": 1}, "min < mid < max"),
    ({"mid": 0, "min": 0, "max": 5, "polarity": 1}, "min < mid < max"),
    ({"mid": 0, "min": -5, "max": 5, "polarity": 0}, "polarity"),
    ({"mid": 0, "min": -5, "max": 5, "polarity": True}, "polarity"),
    ({"mid": 0, "min": -5, "max": 5}, "polarity"),
    ({"mid": "0", "min": -5, "max": 5, "polarity": 1}, "mid"),
    ({"min": -5, "max": 5, "polarity": 1}, "mid"),
    ({"mid": 0, "min": -5, "max": 5000, "polarity": 1}, "max"),
    ({"mid": 0, "min": -151, "max": 5, "polarity": 1}, "min"),
])
def test_bad_calibration_values_are_refused_and_nothing_is_saved(api, bridge, body, words):
    reply = api.post("/api/set_calibration/angle", body)
    assert reply.status == 400 and words in reply.json()["reason"], reply.json()
    assert bridge.calls_to("set_calibration") == []


def test_unknown_calibration_channel_and_unavailable_servo(api, bridge):
    assert api.get("/api/get_calibration/brake").status == 404
    assert api.post("/api/set_calibration/brake", {"mid": 0, "min": -1, "max": 1, "polarity": 1}).status == 404
    bridge.unavailable.add("get_calibration")
    reply = api.get("/api/get_calibration/angle")
    assert reply.status == 503 and reply.json()["success"] is False


def test_adjust_calibrating_wheels_moves_only_in_calibration_mode(api, bridge):
    reply = api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 10})
    assert reply.status == 409 and "calibration mode" in reply.json()["reason"]
    api.post("/api/set_calibration_mode")
    assert api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 10}).status == 200
    assert api.post("/api/adjust_calibrating_wheels/throttle", {"pwm": -20}).status == 200
    assert bridge.raw_pwm_commands == [("steering", 1_600_000), ("throttle", 1_410_000)]
    assert api.post("/api/adjust_calibrating_wheels/angle", {"pwm": "left"}).status == 400
    assert api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 99999}).status == 400
    assert len(bridge.raw_pwm_commands) == 2


def test_a_wheel_move_is_answered_only_once_the_servo_node_wrote_it(api, bridge, monkeypatch):
    """Issue 14 finding 9: the page says where the wheels are from this answer, so it waits for the servo node's
    report of the write (pwm_written, heard after the request, that channel at that duty), sending the value again
    meanwhile; none within WRITE_CONFIRM_S, and it says so."""
    api.post("/api/set_calibration_mode")
    assert api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 12}).status == 200
    assert bridge.pwm_written().steering_ns == 1_620_000
    monkeypatch.setattr(calibration_view, "WRITE_CONFIRM_S", 0.2)
    before = bridge.pwm_written()
    heard_at = time.monotonic() - before.age_s
    # A servo node that writes nothing more (outside calibration mode, or gone): its last write only ages.
    monkeypatch.setattr(bridge, "pwm_written", lambda: replace(before, age_s=time.monotonic() - heard_at))
    sent_before = len(bridge.raw_pwm_commands)
    reply = api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 12})
    assert reply.status == 503 and "did not write" in reply.json()["reason"]
    # Sent again while unconfirmed (a value lost before discovery, or heard before the mode, is not the last word).
    sent = bridge.raw_pwm_commands[sent_before:]
    assert len(sent) >= 2 and set(sent) == {("steering", 1_620_000)}


def test_an_older_wheel_move_stops_being_sent_once_a_newer_one_is(console_server, api, bridge, monkeypatch):
    """Review: a move waiting for its write kept sending its value, so a stop sent beside it (the page's neutral on
    hide or emergency stop) was overwritten and the wheels spun again. Only the channel's newest move is sent again;
    the older one is answered at once. The servo stand-in never writes the spin value (say, a write lost)."""
    api.post("/api/set_calibration_mode")
    spin, stop = from_console_units("throttle", -20), from_console_units("throttle", 0)
    take = bridge.raw_pwm
    monkeypatch.setattr(bridge, "raw_pwm", lambda channel, duty: take(channel, duty) if duty != spin
                        else bridge.raw_pwm_commands.append((channel, duty)))
    answers = []
    spinning = threading.Thread(target=lambda: answers.append(
        console_server.logged_in_client().post("/api/adjust_calibrating_wheels/throttle", {"pwm": -20})))
    spinning.start()
    wait_for(lambda: bridge.raw_pwm_commands.count(("throttle", spin)) >= 2, 5, "the spin value sent again")
    assert api.post("/api/adjust_calibrating_wheels/throttle", {"pwm": 0}).status == 200
    stopped_at = bridge.raw_pwm_commands.index(("throttle", stop))
    spinning.join(5)
    assert answers[0].status == 409 and "newer value" in answers[0].json()["reason"]
    assert ("throttle", spin) not in bridge.raw_pwm_commands[stopped_at:]
    assert bridge.pwm_written().throttle_ns == stop


def test_a_wheel_move_waits_for_a_servo_node_still_being_discovered(api, bridge, monkeypatch):
    """CI: right after the car started, a wheel move failed with "did not write" because DDS had not yet matched
    the servo node's topics with the console's (a lost discovery message is recovered seconds later). The write's
    WRITE_CONFIRM_S counts from discovery; a servo node never discovered gets its own plain answer."""
    api.post("/api/set_calibration_mode")
    monkeypatch.setattr(calibration_view, "WRITE_CONFIRM_S", 0.2)
    monkeypatch.setattr(calibration_view, "DISCOVERY_WAIT_S", 5.0)
    bridge.servo_discovered = False
    discovered_after = threading.Timer(0.5, lambda: setattr(bridge, "servo_discovered", True))  # the DDS stand-in
    discovered_after.start()
    try:
        reply = api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 12})
    finally:
        discovered_after.cancel()
    assert reply.status == 200, reply.body
    assert bridge.pwm_written().steering_ns == 1_620_000
    monkeypatch.setattr(calibration_view, "DISCOVERY_WAIT_S", 0.3)
    bridge.servo_discovered = False
    reply = api.post("/api/adjust_calibrating_wheels/angle", {"pwm": 10})
    assert reply.status == 503 and "cannot reach the servo node yet" in reply.json()["reason"]


def test_calibration_mode_is_answered_only_once_navigation_reports_it(api, bridge, monkeypatch):
    """Issue 14 finding 9: the page says the wheels follow the sliders once Calibrate is answered, so the answer
    waits for navigation's state (which the servo node follows too) to say calibration; unheard, it says why."""
    monkeypatch.setattr(calibration_view, "MODE_CONFIRM_S", 0.2)
    bridge.navigation_heard = False
    reply = api.post("/api/set_calibration_mode")
    assert reply.status == 503 and "did not report calibration mode" in reply.json()["reason"]
    bridge.navigation_heard = True
    assert api.post("/api/set_calibration_mode").status == 200
    assert bridge.navigation.mode == "calibration"


# --- device --------------------------------------------------------------------------------------

def test_device_info_battery_and_sensor_status(api, bridge):
    info = api.get("/api/get_device_info").json()
    assert info["success"] and info["software_version"] == "0.1.0" and info["hardware_version"]
    assert info["serial"] == "DRCHASSIS0042" and info["hostname"] == socket.gethostname()  # the car identity
    assert api.get("/api/get_battery_level").json() == {"success": True, "battery_level": 9, "low": False}
    assert api.get("/api/get_sensor_status").json() == {"success": True, "camera_status": "connected",
                                                        "stereo_status": "not_connected",
                                                        "lidar_status": "not_connected"}
    bridge.camera = CameraView(connected=False, error="no device /dev/video0")
    bridge.lidar = True
    status = api.get("/api/get_sensor_status").json()
    assert status["camera_status"] == "error" and status["lidar_status"] == "connected"
    bridge.camera = None
    assert api.get("/api/get_sensor_status").json()["camera_status"] == "not_connected"


def test_led_color_round_trip_and_bad_values(api, bridge):
    assert api.post("/api/set_led_color", {"red": 255, "green": 128, "blue": 0}).status == 200
    assert api.get("/api/get_led_color").json() == {"success": True, "red": 255, "green": 128, "blue": 0}
    for body in ({"red": 256, "green": 0, "blue": 0}, {"red": 1.5, "green": 0, "blue": 0}, {"red": 1}):
        assert api.post("/api/set_led_color", body).status == 400
    assert bridge.calls_to("set_led_color") == [(255, 128, 0)]


def test_device_status_reports_load_and_the_pipeline_figures(api, bridge):
    bridge.stages = {
        "inference": StageView("inference", 14.8, 1.2, 2.5, 900, 3, age_s=0.5),
        "servo": StageView("servo", 14.8, 9.5, 14.0, 900, 0, age_s=0.7),
        "camera": StageView("camera", 30.0, 0.5, 1.0, 1800, 0, age_s=60.0),  # stale: ignored for fps
    }
    status = api.get("/api/get_device_status").json()
    for key in ("cpu_percent", "memory_usage", "free_disk"):
        assert isinstance(status[key], (int, float)), key
    assert "cpu_temp" in status
    assert status["latency_mean"] == 9.5 and status["latency_p95"] == 14.0 and status["fps_mean"] == 14.8
    assert set(status["stages"]) == {"camera", "inference", "servo"}
    bridge.stages = {}
    empty = api.get("/api/get_device_status").json()
    assert empty["latency_mean"] is None and empty["fps_mean"] is None


def test_time_and_about(api, bridge):
    now = api.get("/api/get_time").json()
    # The community car's shape: local "YYYY-MM-DD HH:MM:SS", zone name and abbreviation, offset "+HHMM".
    local = datetime.strptime(now["time"], "%Y-%m-%d %H:%M:%S")
    assert abs((local - datetime.now()).total_seconds()) < 60 and "T" in now["iso_time"]
    assert re.fullmatch(r"[+-]\d{4}", now["utc_offset"]) and now["timezone"] and now["timezone_abbr"]
    assert now["timezone_changed"] is False
    assert api.post("/api/set_timezone", {"timezone": "Europe/Berlin"}).json() == {
        "success": True, "timezone": "Europe/Berlin", "reason": "Timezone updated successfully"}
    assert api.get("/api/get_time").json()["timezone_changed"] is True
    assert {"/api/emergency_stop", "/api/get_device_status", "/api/get_time", "/api/set_timezone"} <= \
        set(api.get("/api/supported_apis").json()["apis_supported"])  # what the community console looks for
    about = api.get("/api/get_about").json()
    assert about["ros_distro"] == "kilted"
    assert about["openvino_version"].startswith("20")
    assert about["memory_total"] > 0 and about["cpu"]
    assert about["camera_status"]["connected"] is True


def test_video_state_switches_the_camera(api, bridge):
    assert api.post("/api/video_state", {"on": False}).status == 200
    assert bridge.camera.video_on is False
    assert api.post("/api/video_state", {"on": "off"}).status == 400
    assert bridge.calls_to("set_video") == [(False,)]


def test_unknown_routes_and_methods_answer_json(api):
    missing = api.get("/api/no_such_thing")
    assert missing.status == 404 and missing.json()["success"] is False
    wrong = api.get("/api/manual_drive")
    assert wrong.status == 405 and "GET is not allowed" in wrong.json()["reason"]


def test_supported_apis_lists_the_served_routes(api):
    routes = api.get("/api/supported_apis").json()["apis_supported"]
    for route in ("/api/manual_drive", "/api/models", "/api/get_device_status", "/api/logs/<log_type>/<num_lines>"):
        assert route in routes


# --- logs ----------------------------------------------------------------------------------------

def test_robot_log_is_newest_first_and_filterable(api, bridge):
    bridge.log = [LogLine(1_700_000_000.0 + i, "INFO", "servo_node", f"message {i}") for i in range(10)]
    bridge.log.append(LogLine(1_700_000_100.0, "ERROR", "inference_node", "model failed to load"))
    data = api.get("/api/logs/robot/3").json()["data"]
    assert len(data) == 3 and "model failed to load" in data[0] and "message 9" in data[1]
    filtered = api.get("/api/logs/robot/100?filter=SERVO_NODE").json()["data"]
    assert len(filtered) == 10 and all("servo_node" in line for line in filtered)


def test_system_log_reads_the_log_file_when_readable(console_server, api):
    syslog = console_server.app.extensions["deepracer_console"].config.system_log_path
    with open(syslog, "w") as handle:
        handle.writelines(f"Nov 21 kernel: line {i}\n" for i in range(2000))
    reply = api.get("/api/logs/system/1000").json()
    assert reply["source"] == syslog
    assert len(reply["data"]) == 1000 and reply["data"][0].endswith("line 1999")


def test_system_log_falls_back_to_the_consoles_own_log(api):
    reply = api.get("/api/logs/system/50?filter=console%20login").json()
    assert "console log" in reply["source"]
    assert reply["data"] and "console login from 127.0.0.1" in reply["data"][0]


@pytest.mark.parametrize("route, status", [
    ("/api/logs/kernel/10", 404), ("/api/logs/__class__/10", 404), ("/api/logs/robot/0", 400),
    ("/api/logs/robot/1001", 400), ("/api/logs/robot/ten", 400),
])
def test_bad_log_requests_are_refused(api, route, status):
    reply = api.get(route)
    assert reply.status == status and reply.json()["success"] is False


def test_model_loading_state_is_reported(api, bridge):
    bridge.model = ModelStateView(state="error", model_name="m", reason="graph does not match metadata")
    assert api.get("/api/isModelLoading").json() == {"success": True, "isModelLoading": "error",
                                                     "model_name": "m", "load_seconds": 0.0,
                                                     "reason": "graph does not match metadata"}


def test_a_model_is_reported_loaded_only_once_navigation_has_taken_it_too(api, bridge):
    # Inference says "loaded" a moment before navigation has the model's action space; a Start pressed on that word
    # was refused ("autonomous driving needs a loaded model"). The console's word waits for both.
    bridge.model = ModelStateView(state="loaded", model_name="m", reason="")
    assert not bridge.navigation.model_ready
    assert api.get("/api/isModelLoading").json()["isModelLoading"] == "loading"
