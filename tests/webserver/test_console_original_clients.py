"""The original car's console clients against our console over real HTTP (issue 24): the original device console's
React app, the community console and `awsdeepracer-control` 0.2.0, each request shaped as the client sends it
(tests/webserver/original_clients.py says where each shape comes from), in front of the in-process robot (the
real navigation and servo cores) and, for what the wheels do, the simulator's own reading of the duty cycles."""

from __future__ import annotations

import pytest
from webserver.original_clients import (
    CommunityConsole,
    DeepracerControl,
    OriginalUi,
    cookie_named,
    csrf_meta,
    visible_to_scripts,
)

from inference_pkg.demo_model import write_package
from inference_pkg.model_package import install
from servo_pkg.pwm_math import Calibration
from sim_pkg.actuation import Actuators
from support.rosgraph import wait_for
from webserver_pkg.robot.bridge import LogLine
from webserver_pkg.views.system import EXTENSION as SYSTEM


@pytest.fixture
def ui(console_server) -> OriginalUi:
    client = OriginalUi(console_server.url)
    assert client.log_in(console_server.password).status == 200
    assert client.token, "the app's page carries the session's token"
    return client


@pytest.fixture
def bridge(console_server):
    return console_server.bridge


# --- item 1: the original's methods; a GET that changes state still needs the header ----------------------------

def test_the_original_ui_drives_the_car_with_put(ui, bridge):
    """Issue 24 item 1: every one of these answered 405, and the UI showed "Autonomous, 50 %" on a car left
    manual at 0 %."""
    assert ui.put("/api/drive_mode", {"drive_mode": "auto"}).json() == {"success": True}
    assert ui.put("/api/max_nav_throttle", {"throttle": 50}).json() == {"success": True}
    assert (bridge.navigation.mode, bridge.navigation.max_speed) == ("autonomous", 0.5)
    assert ui.put("/api/drive_mode", {"drive_mode": "manual"}).status == 200
    assert ui.put("/api/start_stop", {"start_stop": "start"}).status == 200
    assert bridge.navigation.started
    assert ui.put("/api/start_stop", {"start_stop": "stop"}).status == 200
    assert not bridge.navigation.started


def test_the_original_ui_calibrates_with_a_get_and_puts(ui, bridge):
    reply = ui.get("/api/set_calibration_mode")
    assert reply.status == 200 and reply.json()["success"] is True
    assert bridge.navigation.mode == "calibration"
    assert ui.put("/api/adjust_calibrating_wheels/angle", {"pwm": 10}).status == 200
    assert bridge.raw_pwm_commands[-1] == ("steering", 1_600_000)
    assert ui.put("/api/set_calibration/angle", {"mid": 0, "min": -20, "max": 20, "polarity": 1}).status == 200
    assert bridge.calibration["steering"].mid_ns == 1_500_000


def test_the_original_ui_loads_and_deletes_models_with_put(console_server, ui, bridge, model_archive):
    install(model_archive, console_server.models_root, "racer1")
    install(model_archive, console_server.models_root, "racer2")
    assert ui.put("/api/models/racer1/model").status == 200
    assert bridge.calls_to("load_model") == [(str(console_server.models_root / "racer1"),)]
    assert ui.put("/api/deleteModels", {"filenames": ["racer2"]}).status == 200
    assert not (console_server.models_root / "racer2").exists()


def test_gets_that_change_the_car_need_the_csrf_header(console_server, ui, bridge):
    """The original took GET for these; a link or an image on another site sends no header, so none acts."""
    bare = ui.http  # the same browser, without axios's header: what a link or <img> on another page sends
    system = console_server.app.extensions[SYSTEM]
    for path in ("/api/set_calibration_mode", "/api/enableSsh", "/api/disableSsh", "/api/begin_software_update",
                 "/api/password"):
        reply = bare.get(path)
        assert reply.status == 403 and "X-CSRF-Token" in reply.json()["reason"], path
    assert bridge.calls_to("set_drive_mode") == [] and not system.ssh_state().enabled
    assert ui.get("/api/enableSsh").json()["success"] is True
    assert system.ssh_state().enabled
    assert ui.get("/api/disableSsh").status == 200 and not system.ssh_state().enabled
    refused = ui.get("/api/begin_software_update")  # reaches the system part, which says why it cannot update
    assert refused.status == 409 and "USB stick" in refused.json()["reason"]


def test_x_csrftoken_is_accepted_and_another_sessions_token_is_not(console_server, ui, bridge):
    other = OriginalUi(console_server.url)
    assert other.log_in(console_server.password).status == 200
    crossed = ui.http.request("PUT", "/api/drive_mode", json_body={"drive_mode": "auto"}, csrf=False,
                              headers={"X-CSRFToken": other.token})
    assert crossed.status == 403 and bridge.calls_to("set_drive_mode") == []
    own = ui.http.request("PUT", "/api/drive_mode", json_body={"drive_mode": "auto"}, csrf=False,
                          headers={"X-CSRFToken": ui.token})
    assert own.status == 200 and bridge.navigation.mode == "autonomous"


# --- item 2: manual_drive means what it meant on the original car -----------------------------------------------

def _wheels(api) -> tuple[float, float]:
    """What the car does with the duty cycles written now: wheel angle (rad, left positive) and speed (m/s), read
    through the simulator's model of the car's servo and ESC (sim_pkg.actuation) with the car's calibration."""
    written = api.get("/api/navigation_state").json()["readout"]["written"]
    assert written is not None, "nothing written yet"
    car = Actuators(Calibration(), top_speed_m_s=2.0)
    return (car.wheel_angle(round(written["steering_us"] * 1000)),
            car.target_speed(round(written["throttle_us"] * 1000)))


def _drive_manual(ui, car_max_speed: int) -> None:
    assert ui.put("/api/drive_mode", {"drive_mode": "manual"}).status == 200
    assert ui.put("/api/max_nav_throttle", {"throttle": car_max_speed}).status == 200
    assert ui.put("/api/start_stop", {"start_stop": "start"}).status == 200


def test_the_original_uis_forward_right_drives_the_car_forward_and_right(ui, bridge):
    """Issue 24 item 2, safety: the original server negated both, so for this route throttle < 0 is forward and
    angle > 0 is right. The UI's joystick pushed up and to the right sends exactly this."""
    _drive_manual(ui, 100)
    assert ui.put("/api/manual_drive", {"angle": 0.38, "throttle": -0.76, "max_speed": 0.5}).json()["success"]
    angle, speed = _wheels(ui)
    assert speed > 0.5, f"forward: got {speed:.2f} m/s"
    assert angle < -0.1, f"right (negative wheel angle): got {angle:.2f} rad"
    commanded = ui.get("/api/navigation_state").json()["readout"]["commanded"]
    assert commanded["angle"] == pytest.approx(-0.38) and commanded["throttle"] == pytest.approx(0.76 * 0.5)

    assert ui.put("/api/manual_drive", {"angle": -0.5, "throttle": 0.5, "max_speed": 0.5}).json()["success"]
    angle, speed = _wheels(ui)
    assert speed < 0 and angle > 0, "back and left"


@pytest.mark.parametrize(("car_percent", "request_max", "throttle"), [
    (100, 0.5, 0.8 * 0.5),   # the request asks for less than the car allows: the request's
    (30, 0.5, 0.8 * 0.3),    # the car's setting is lower: the car's, never the product 0.15
    (30, 1.0, 0.8 * 0.3),    # no client raises the car's limit
    (0, 1.0, 0.0),           # a car at 0 % does not move, whatever the request says
])
def test_the_requests_max_speed_and_the_cars_setting_the_lower_applies_once(ui, bridge, car_percent, request_max,
                                                                             throttle):
    _drive_manual(ui, car_percent)
    assert ui.put("/api/manual_drive", {"angle": 0, "throttle": -0.8, "max_speed": request_max}).status == 200
    assert bridge.servo_command().throttle == pytest.approx(throttle)


def test_manual_drive_while_stopped_says_it_did_nothing(ui, bridge):
    """Issue 25 item 10: it answered success while the car did nothing. The answer is still 200 (the original
    UI sends it fire-and-forget five times a second and the original server answered refusals the same way) with
    success false and what to do."""
    assert ui.put("/api/drive_mode", {"drive_mode": "manual"}).status == 200
    reply = ui.put("/api/manual_drive", {"angle": 0, "throttle": -0.5, "max_speed": 0.5})
    assert reply.status == 200
    assert reply.json()["success"] is False and "Start" in reply.json()["reason"]
    assert ui.put("/api/drive_mode", {"drive_mode": "auto"}).status == 200
    assert ui.put("/api/start_stop", {"start_stop": "start"}).status in (200, 409)
    reply = ui.put("/api/manual_drive", {"angle": 0, "throttle": -0.5, "max_speed": 0.5})
    assert reply.status == 200 and reply.json()["success"] is False and "manual" in reply.json()["reason"]


# --- item 5: the community console's cookie and /redirect_login --------------------------------------------------

def test_the_community_console_gets_past_its_login_page_and_logs_out(console_server, bridge):
    console = CommunityConsole(console_server.url)
    console.open_login_page()
    assert not console.route_guard_lets_in()
    assert console.log_in(console_server.password).status == 200
    assert console.route_guard_lets_in(), "document.cookie shows deepracer_token"
    session = next(c for c in console.http.cookies if c.name != "deepracer_token")
    assert not visible_to_scripts(console.http, session.name), "the session itself stays out of scripts' reach"
    assert cookie_named(console.http, "deepracer_token").value != session.value

    assert console.get("/api/get_battery_level").json()["success"] is True
    assert console.put("/api/manual_drive", {"angle": 0, "throttle": 0, "max_speed": 0.5}).status == 200

    out = console.get("/redirect_login")
    assert out.status in (302, 303) and out.headers["Location"].endswith("/login")
    assert not console.route_guard_lets_in()
    assert console.get("/api/get_battery_level").status == 401


def test_the_marker_cookie_is_not_a_session(console_server):
    console = CommunityConsole(console_server.url)
    console.open_login_page()
    assert console.log_in(console_server.password).status == 200
    marker = cookie_named(console.http, "deepracer_token")
    forged = CommunityConsole(console_server.url)
    forged.http.cookies.set_cookie(marker)
    assert forged.get("/api/get_battery_level").status == 401


def test_the_marker_goes_when_the_session_expires(console_server):
    console = CommunityConsole(console_server.url)
    console.open_login_page()
    assert console.log_in(console_server.password).status == 200
    console_server.clock.advance(13 * 3600)
    assert console.get("/api/get_battery_level").status == 401
    assert not console.route_guard_lets_in(), "the route guard sends the racer to the login page again"


# --- item 6: awsdeepracer-control ------------------------------------------------------------------------------

def test_awsdeepracer_control_logs_in_and_drives(console_server, bridge, model_archive):
    """Issue 24 item 6: `//login` answered 400, X-CSRFToken was not read, and the login page's token was empty."""
    client = DeepracerControl(console_server.url)
    reply = client.connect(console_server.password)
    assert client.token, "the login page carries a token"
    assert reply.status == 200, reply.body
    assert client.get("api/get_battery_level").json()["battery_level"] == 9

    assert client.put("api/drive_mode", {"drive_mode": "manual"}).json()["success"] is True  # set_manual_mode
    assert client.put("api/max_nav_throttle", {"throttle": 40}).json()["success"] is True
    assert client.put("api/start_stop", {"start_stop": "start"}).json()["success"] is True  # start_car
    assert client.put("api/manual_drive", {"angle": 0.0, "throttle": -1.0, "max_speed": 0.4}).json()["success"]
    assert bridge.servo_command().throttle == pytest.approx(0.4), "forward at the lower of 0.4 and the car's 40 %"
    assert client.put("api/start_stop", {"start_stop": "stop"}).json()["success"] is True  # stop_car

    assert client.upload_model(model_archive.read_bytes(), "racer7.tar.gz").status == 200
    assert client.put("api/models/racer7/model", None).json()["success"] is True  # load_model
    assert client.get("api/set_calibration_mode").json()["success"] is True
    assert bridge.navigation.mode == "calibration"
    calibration = client.get("api/get_calibration/throttle").json()
    assert client.put("api/set_calibration/throttle", {k: calibration[k] for k in ("mid", "min", "max", "polarity")}
                      ).json()["success"] is True
    assert client.video_stream_head() == (200, "multipart/x-mixed-replace; boundary=frame")


def test_the_login_pages_token_belongs_to_that_browser_only(console_server, bridge):
    """The token read before login works after it for the same browser (as Flask-WTF's did), and for no other."""
    first, second = DeepracerControl(console_server.url), DeepracerControl(console_server.url)
    assert first.connect(console_server.password).status == 200
    assert second.connect(console_server.password).status == 200
    assert first.token != second.token
    second.headers["X-CSRFToken"] = first.token
    assert second.put("api/drive_mode", {"drive_mode": "auto"}).status == 403
    assert bridge.calls_to("set_drive_mode") == []
    assert csrf_meta(first.http.get("/home")) == first.token


def test_repeated_slashes_are_merged_as_the_originals_nginx_did(console_server):
    client = console_server.logged_in_client()
    assert client.get("//api/get_battery_level").json()["success"] is True
    assert client.get("/api//get_battery_level").status == 200


# --- item 7: the smaller answers -------------------------------------------------------------------------------

def test_is_model_installed_answers_as_the_original(console_server, ui, model_archive):
    install(model_archive, console_server.models_root, "racer1")
    assert ui.get("/api/is_model_installed?filename=racer1").json() == {
        "success": True, "message": "Model is installed", "is_installed": True, "model_name": "racer1"}
    absent = ui.get("/api/is_model_installed?filename=racer2")
    assert absent.status == 200 and absent.json() == {
        "success": False, "message": "Model is not installed", "is_installed": False, "model_name": "racer2"}


def test_logs_by_the_originals_names(console_server, ui, bridge):
    (console_server.console_dir.parent / "syslog").write_text("Dec  5 10:00:01 car kernel: first\n"
                                                             "Dec  5 10:00:02 car systemd: second\n")
    assert ui.get("/api/logs/SYS/10").json()["data"][0].endswith("systemd: second")
    bridge.log.append(LogLine(stamp_s=1.0, level="INFO", logger="navigation_node", message="started"))
    assert any("started" in line for line in ui.get("/api/logs/SEVER_LOG/10").json()["data"])


def test_mandatory_update_status_as_the_original(ui):
    assert ui.get("/api/get_mandatory_update_status").json() == {"success": True, "status": True}
    assert ui.put("/api/set_mandatory_update_status", {"update_completed": False}).json() == {"success": True}
    assert ui.get("/api/get_mandatory_update_status").json() == {"success": True, "status": False}
    assert ui.put("/api/set_mandatory_update_status", {}).status == 400
    assert ui.get("/api/server_ready").json() == {"success": True, "status": True}


def test_model_lists_give_the_originals_names_and_words(console_server, ui, model_archive):
    install(model_archive, console_server.models_root, "racer1")
    listed = ui.get("/api/models").json()["models"]
    assert listed == [{"model_name": "model", "model_folder_name": "racer1",
                       "model_training_algorithm": "Clipped PPO", "model_action_space_type": "Discrete",
                       "model_sensors": ["Front-facing camera"], "is_select_disabled": False}]
    uploaded = ui.get("/api/uploaded_model_list").json()[0]
    assert (uploaded["training_algorithm"], uploaded["action_space_type"], uploaded["sensors"]) == (
        "Clipped PPO", "Discrete", "Front-facing camera")


def test_a_loaded_model_replaced_on_disk_is_not_listed_as_loaded(console_server, ui, bridge, tmp_path):
    """As DREM drops a model: the files of the loaded folder replaced in place. The car still drives the graph it
    loaded, so the list must not call the new files "Loaded"."""
    install(write_package(tmp_path / "first"), console_server.models_root, "racer1")
    assert ui.put("/api/models/racer1/model").status == 200
    wait_for(lambda: ui.get("/api/isModelLoading").json()["isModelLoading"] == "loaded", 10, "the model loaded")
    assert ui.get("/api/uploaded_model_list").json()[0]["status"] == "Loaded"
    folder = console_server.models_root / "racer1"
    replacement = write_package(tmp_path / "second", seed=7)
    for name in ("model.xml", "model.bin"):
        (folder / name).write_bytes((replacement / name).read_bytes())
    (folder / "checksum.txt").write_text("drem-wrote-this\n")
    entry = ui.get("/api/uploaded_model_list").json()[0]
    assert entry["status"] != "Loaded", entry
    assert "load it again" in entry["problem"]
