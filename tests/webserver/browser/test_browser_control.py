"""Browser tests of the Control vehicle page: autonomous driving (load a model, maximum speed,
start/stop, emergency stop) and manual driving with the pad and the arrow keys. Real headless
Chromium, the real console app over HTTP; the robot is the in-process robot
(webserver_pkg.robot.in_process: the real cores), which records every command the page causes."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

from support.rosgraph import wait_for
from webserver_pkg.context import EXTENSION
from webserver_pkg.robot.bridge import StageView

pytestmark = pytest.mark.browser

NEUTRAL = (0.0, 0.0)


def test_autonomous_load_set_speed_start_stop_and_emergency_stop(
        console_page: Page, console_server: ConsoleTestServer, model_archive: Path) -> None:
    bridge = console_server.bridge
    reply = console_server.logged_in_client().upload("/api/uploadModels", "demo-model.tar.gz",
                                                     model_archive.read_bytes())
    assert reply.status == 200, reply.body
    page = console_page
    page.reload(wait_until="domcontentloaded")

    page.get_by_text("Autonomous driving").click()
    wait_for(lambda: bridge.navigation.mode == "autonomous", 5, "autonomous mode")
    page.get_by_label("Select a model").select_option("demo-model")

    bridge.fail_next_load = "model.xml does not match model_metadata.json"
    page.get_by_role("button", name="Load model").click()
    expect(page.locator("#load-status")).to_contain_text(
        "Could not load demo-model: model.xml does not match model_metadata.json")
    expect(page.locator("#load-status")).to_have_attribute("role", "alert")

    page.get_by_role("button", name="Load model").click()
    expect(page.locator("#load-status")).to_contain_text("Loaded demo-model")
    assert [Path(args[0]).name for args in bridge.calls_to("load_model")] == ["demo-model", "demo-model"]

    page.get_by_role("slider", name="Maximum speed").fill("40")
    wait_for(lambda: bridge.navigation.max_speed == pytest.approx(0.40), 5, "max speed 40 %")
    page.get_by_role("button", name="Increase maximum speed").click()
    wait_for(lambda: bridge.navigation.max_speed == pytest.approx(0.45), 5, "max speed 45 %")
    expect(page.locator("#max-speed-value")).to_have_text("45 %")

    page.get_by_role("button", name="Start vehicle").click()
    wait_for(lambda: bridge.navigation.started, 5, "the car to start")
    assert bridge.policy_running, "inference follows navigation's start"
    # Started; the in-process robot has no inference node sending outputs, so navigation holds neutral.
    expect(page.locator("#nav-status")).to_contain_text("Started · the model is not driving (neutral)")
    screenshot(page, "control-autonomous-running")

    page.get_by_role("button", name="Stop vehicle").click()
    wait_for(lambda: not bridge.navigation.started, 5, "the car to stop")
    assert not bridge.policy_running, "inference follows navigation's stop"
    expect(page.locator("#nav-status")).to_contain_text("Stopped")

    page.get_by_role("button", name="Start vehicle").click()
    wait_for(lambda: bridge.navigation.started, 5, "the car to start again")
    page.locator(".button-stop-big").click()
    wait_for(lambda: bridge.navigation.emergency_stop and not bridge.navigation.started, 5, "emergency stop")
    expect(page.locator("#nav-status")).to_have_attribute("data-state", "latched")
    page.get_by_role("button", name="Start vehicle").click()
    expect(page.locator("#start-reason")).to_contain_text("emergency stop")
    assert not bridge.navigation.started
    page.get_by_role("button", name="Release stop").click()
    wait_for(lambda: not bridge.navigation.emergency_stop, 5, "the emergency stop to clear")
    expect(page.locator("#nav-status")).to_have_attribute("data-state", "stopped")


def _track_picture() -> bytes:
    """A 480x360 JPEG that looks like the camera's view of a track: grey floor, white edges."""
    picture = np.full((360, 480, 3), 70, np.uint8)
    cv2.line(picture, (60, 359), (210, 150), (255, 255, 255), 10)
    cv2.line(picture, (420, 359), (270, 150), (255, 255, 255), 10)
    cv2.line(picture, (240, 359), (240, 150), (0, 200, 255), 4)
    return cv2.imencode(".jpg", picture)[1].tobytes()


def test_camera_stream_shows_frames_figures_and_the_toggle_closes_it(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    page, bridge = console_page, console_server.bridge
    bridge.stages = {
        "inference": StageView("inference", 14.9, 9.0, 12.0, 300, 0, 0.5),
        "servo": StageView("servo", 14.9, 41.6, 58.2, 300, 0, 0.5),
    }
    jpeg = _track_picture()
    camera = page.get_by_role("img", name="Live view from the car's front camera")
    # The camera stays silent for a few of the stream's keep-alive periods after the page connects (a camera that
    # starts after the console, or a slow first frame on a loaded machine): Chromium then showed no part of the
    # stream ever, as it treats a preamble of more than one CRLF as a broken first part (full suite, 3 runs of 5).
    wait_for(lambda: bridge.display_subscribers == 1, 10, "the page's stream to open")
    silent_from = time.monotonic()
    keepalive_s = console_server.app.extensions[EXTENSION].frames.keepalive_s
    wait_for(lambda: time.monotonic() - silent_from >= 3 * keepalive_s, 5, "the camera's silence")  # staged

    def shown_width() -> int:
        bridge.publish_frame(jpeg)  # the camera keeps sending; each frame also tests the connection
        return camera.evaluate("img => img.naturalWidth")

    wait_for(lambda: shown_width() == 480, 30, lambda: f"the camera picture in the page: {_camera_state(page, bridge)}")
    expect(page.locator("#pipeline-stats")).to_have_text("14.9 fps · median latency 42 ms (95% under 58 ms)")
    screenshot(page, "control-camera", full_page=False)

    page.get_by_role("switch", name="Video stream").uncheck()
    expect(camera).to_be_hidden()
    expect(page.get_by_text("Video stream is off.")).to_be_visible()
    wait_for(lambda: bridge.publish_frame(jpeg) or bridge.display_subscribers == 0, 15,
             "the car to stop serving the closed stream")
    page.get_by_role("switch", name="Video stream").check()
    wait_for(lambda: shown_width() == 480 and bridge.display_subscribers == 1, 10, "the stream to reopen")


def _camera_state(page: Page, bridge) -> dict:
    """For a failure's message: what the page's camera element and the car's stream side say."""
    state = page.evaluate("""() => { const img = document.getElementById("camera");
        return {src: img.getAttribute("src"), hidden: img.hidden, complete: img.complete, width: img.naturalWidth,
                off: document.getElementById("camera-off").textContent, ready: document.readyState,
                visibility: document.visibilityState}; }""")
    return {**state, "viewers": bridge.display_subscribers}


def _manual_commands(server: ConsoleTestServer) -> list[tuple[float, float]]:
    return list(server.bridge.manual_commands)


def _pad_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    """A point on the pad, fx/fy from -1 (left/top) to 1 (right/bottom); the pad is scrolled into view (on a
    phone it sits below Start, STOP and the speed)."""
    page.locator("#drive-pad").evaluate("pad => pad.scrollIntoView({block: 'center'})")
    box = page.locator("#drive-pad").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * (fx + 1) / 2, box["y"] + box["height"] * (fy + 1) / 2


def _wait_until_neutral_and_quiet(page: Page, server: ConsoleTestServer, what: str) -> None:
    """The last command is neutral, and nothing but neutral follows it for a few send periods."""
    wait_for(lambda: _manual_commands(server)[-1:] == [NEUTRAL], 5, f"neutral after {what}")
    count = len(_manual_commands(server))
    page.wait_for_timeout(300)  # about 5 send periods: long enough to see a stray repeat
    assert set(_manual_commands(server)[count - 1:]) == {NEUTRAL}, f"commands kept coming after {what}"


def test_drive_pad_repeats_commands_while_held_and_sends_neutral_on_release(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    page = console_page
    bridge = console_server.bridge
    assert bridge.navigation.mode == "manual"
    expect(page.locator("#manual-panel")).to_be_visible()
    expect(page.locator("#pad-hint")).to_contain_text("press Start vehicle")
    page.get_by_role("button", name="Start vehicle").click()
    expect(page.locator("#pad-hint")).to_contain_text("Maximum speed is 0 %")
    page.get_by_role("slider", name="Maximum speed").fill("50")
    expect(page.locator("#pad-hint")).to_be_hidden()

    # Press forward-left and hold: the same command is repeated at a steady rate.
    page.mouse.move(*_pad_point(page, -0.5, -0.8))
    page.mouse.down()
    first = wait_for(lambda: _manual_commands(console_server)[:1], 5, "the first pad command")[0]
    started = time.monotonic()
    wait_for(lambda: len(_manual_commands(console_server)) >= 16, 5, "repeated commands while held")
    rate = 15 / (time.monotonic() - started)
    assert 7 <= rate <= 25, f"commands should repeat at about 15 per second, got {rate:.1f}"
    angle, throttle = first
    assert angle == pytest.approx(0.5, abs=0.02), "left of centre is a positive (left) angle"
    assert throttle == pytest.approx(0.8, abs=0.02), "forward (navigation applies the maximum speed)"
    expect(page.locator("#pad-readout")).to_contain_text("50% left")
    screenshot(page, "control-manual-pad-held")

    # Moving while held drives the other way: reverse-right.
    page.mouse.move(*_pad_point(page, 0.6, 0.6), steps=4)
    wait_for(lambda: any(a < -0.5 and t < -0.5 for a, t in _manual_commands(console_server)), 5,
             "a reverse-right command")
    page.mouse.up()
    _wait_until_neutral_and_quiet(page, console_server, "release")

    # A cancelled pointer (e.g. the browser takes over the touch) stops the car.
    page.mouse.move(*_pad_point(page, 0.0, -0.9))
    page.mouse.down()
    wait_for(lambda: _manual_commands(console_server)[-1] != NEUTRAL, 5, "driving again")
    page.locator("#drive-pad").dispatch_event("pointercancel", {"pointerId": 1, "bubbles": True})
    _wait_until_neutral_and_quiet(page, console_server, "pointercancel")
    page.mouse.up()

    # Switching away from the window, or the phone locking the page, stops the car.
    for leave, what in [("window.dispatchEvent(new Event('blur'))", "window blur"),
                        ("Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
                         "document.dispatchEvent(new Event('visibilitychange'))", "the page being hidden")]:
        page.mouse.down()
        wait_for(lambda: _manual_commands(console_server)[-1] != NEUTRAL, 5, "driving again")
        page.evaluate(leave)
        _wait_until_neutral_and_quiet(page, console_server, what)
        page.mouse.up()


def test_arrow_keys_drive_while_pressed(console_page: Page, console_server: ConsoleTestServer) -> None:
    page = console_page
    expect(page.locator("#manual-panel")).to_be_visible()
    page.locator("#drive-pad").focus()
    page.keyboard.down("ArrowUp")
    wait_for(lambda: _manual_commands(console_server)[-1:] == [(0.0, 1.0)], 5, "full forward")
    page.keyboard.down("ArrowRight")
    wait_for(lambda: _manual_commands(console_server)[-1:] == [(-1.0, 1.0)], 5, "forward and right")
    page.keyboard.up("ArrowUp")
    wait_for(lambda: _manual_commands(console_server)[-1:] == [(-1.0, 0.0)], 5, "right only")
    page.keyboard.up("ArrowRight")
    _wait_until_neutral_and_quiet(page, console_server, "releasing the keys")
