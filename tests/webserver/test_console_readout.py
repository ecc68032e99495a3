"""The status the Control page polls (/api/navigation_state) carries the live readout and the run's time (issue 14
finding 7): navigation's commanded steering and throttle, the servo's written duty cycles with whether each is the
calibrated neutral, nothing for a value not heard for over a second, and the seconds since Start counted on the
car. Real HTTP against the in-process robot (navigation's DriveControl, the servo package's duty_ns)."""

from __future__ import annotations

import time

import pytest

from deepracer_common_pkg.car_clock import boot_ns
from navigation_pkg.drive_control import DriveControl
from support.rosgraph import wait_for
from webserver_pkg.robot import in_process
from webserver_pkg.robot.bridge import PwmWrittenView, ServoCommandView
from webserver_pkg.services import drive_readout


@pytest.fixture
def api(console_server):
    return console_server.logged_in_client()


def test_readout_shows_what_is_driven_then_nothing_once_stale(api, console_server):
    bridge = console_server.bridge
    state = api.get("/api/navigation_state").json()
    assert state["readout"] == {"commanded": None, "written": None}, "nothing heard yet"
    assert state["run_started_ns"] == 0 and state["run_elapsed_s"] == 0.0

    bridge.set_max_speed(0.5)
    before_ns = boot_ns()
    assert api.post("/api/start_stop", {"start_stop": "start"}).status == 200
    # Half left, 80 % forward, in the original route's convention (angle > 0 right, throttle < 0 forward).
    assert api.post("/api/manual_drive", {"angle": -0.5, "throttle": -0.8}).status == 200
    state = api.get("/api/navigation_state").json()
    assert state["run_started_ns"] >= before_ns and 0 <= state["run_elapsed_s"] < 5
    commanded = state["readout"]["commanded"]
    assert commanded["angle"] == pytest.approx(0.5) and commanded["throttle"] == pytest.approx(0.4)
    assert 0 < commanded["fresh_for_s"] <= drive_readout.STALE_AFTER_S
    written = state["readout"]["written"]
    # The car's default calibration: steering 1.45 ms +- 0.25 ms; throttle reversed, 1.446 ms, down to 1.311 ms.
    assert written["steering_us"] == pytest.approx(1575.0) and written["steering_neutral"] is False
    assert written["throttle_us"] == pytest.approx(1446 - 0.4 * 135, abs=0.1) and written["throttle_neutral"] is False

    # The pad goes quiet: navigation's watchdog puts the throttle to neutral, steering held; then nothing is sent.
    held = wait_for(lambda: (s := api.get("/api/navigation_state").json())["neutral_reason"] and s, 5,
                    "navigation to hold neutral")
    assert held["started"] is True and held["neutral_reason"].startswith("no fresh manual command")
    assert held["readout"]["written"]["throttle_neutral"] is True  # the neutral write itself: just made, so live
    assert held["readout"]["written"]["throttle_us"] == pytest.approx(1446.0)
    wait_for(lambda: api.get("/api/navigation_state").json()["readout"] == {"commanded": None, "written": None},
             5, "the readout to go blank when nothing is sent for over a second")

    assert api.post("/api/start_stop", {"start_stop": "stop"}).status == 200
    stopped = api.get("/api/navigation_state").json()
    assert stopped["run_started_ns"] == 0 and stopped["run_elapsed_s"] == 0.0


def test_a_poll_never_shows_the_neutral_reason_without_the_neutral_written(api, console_server, monkeypatch):
    """Time passes between the reads of one poll (on the car they are two topics; CI's loaded machine hit it here):
    the state that causes a write is read before the write, so a poll never says "neutral" beside a throttle still
    shown off neutral. The in-process robot's clock is stepped by hand: 0.6 s, past the pad's timeout, after each
    read of navigation's state or the written duty cycles."""
    now = [boot_ns()]
    monkeypatch.setattr(in_process, "boot_ns", lambda: now[0])
    bridge = console_server.bridge
    bridge.drive = DriveControl(bridge.navigation_config, monotonic_ns=lambda: now[0], stamp_ns=lambda: now[0])
    bridge.set_max_speed(0.5)
    assert api.post("/api/start_stop", {"start_stop": "start"}).status == 200
    assert api.post("/api/manual_drive", {"angle": 0.0, "throttle": -0.8}).status == 200

    def then_time_passes(read):
        def read_then_time_passes():
            answer = read()
            now[0] += 600_000_000
            return answer
        return read_then_time_passes

    monkeypatch.setattr(bridge, "navigation_state", then_time_passes(bridge.navigation_state))
    monkeypatch.setattr(bridge, "pwm_written", then_time_passes(bridge.pwm_written))
    polls = [api.get("/api/navigation_state").json() for _ in range(2)]
    shown = [(poll["neutral_reason"], poll["readout"]["written"]["throttle_neutral"]) for poll in polls]
    assert all(written_neutral for reason, written_neutral in shown if reason), shown
    assert shown[-1][0].startswith("no fresh manual command"), shown


def test_unknown_navigation_still_answers_every_field(api, console_server):
    console_server.bridge.navigation_heard = False
    state = api.get("/api/navigation_state").json()
    assert state["known"] is False and state["run_elapsed_s"] == 0.0 and "readout" in state


def test_staleness_and_run_time_rules():
    assert drive_readout.commanded(ServoCommandView(0.2, -0.3, 1.01)) is None
    assert drive_readout.commanded(ServoCommandView(0.2, -0.3, 0.25))["fresh_for_s"] == pytest.approx(0.75)
    written = drive_readout.written(PwmWrittenView(1_450_000, 1_446_000, True, "command", 0.1), None)
    assert written["steering_neutral"] is None, "unknown, never a guess"
    assert drive_readout.written(PwmWrittenView(1_450_000, 1_446_000, True, "command", 2.0), {}) is None
    assert drive_readout.run_elapsed_s(0, time.time_ns()) == 0.0
    assert drive_readout.run_elapsed_s(10_000_000_000, 75_500_000_000) == pytest.approx(65.5)
