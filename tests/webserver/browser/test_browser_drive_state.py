"""Browser tests of what the Control page says about the car's state (issue 14): the emergency stop as one
latched state beside the controls with one Release stop, Start saying why it is refused, navigation's stop
reason after a fault. Real headless Chromium on a 390x844 phone, the real console app over HTTP; the robot is
the in-process robot (webserver_pkg.robot.in_process: navigation's own DriveControl), so the reasons shown
are navigation's own words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

from support.rosgraph import wait_for

pytestmark = pytest.mark.browser


def test_emergency_stop_is_one_latched_state_by_the_controls_and_start_says_why(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    """Finding 3: after the stop, Start did nothing and said nothing, and the status read "Stopped · stopped"
    while the stop was latched, the only clue a banner off-screen on a phone."""
    page, bridge = console_page, console_server.bridge
    status = page.locator(".controls-card #nav-status")
    bridge.set_navigation_started(True)
    expect(status).to_have_attribute("data-state", "held")  # started; no one drives the pad

    page.get_by_role("button", name="Emergency stop: stop the car now").click()
    wait_for(lambda: bridge.navigation.emergency_stop and not bridge.navigation.started, 5, "emergency stop")
    expect(status).to_have_attribute("data-state", "latched")
    expect(status).to_contain_text("Emergency stop latched")
    expect(status).not_to_contain_text("Stopped")
    expect(status).to_be_in_viewport()
    release = page.get_by_role("button", name="Release stop")
    expect(release).to_have_count(1)
    expect(release).to_be_in_viewport()

    page.get_by_role("button", name="Start vehicle").click()
    reason = page.locator("#start-reason")
    expect(reason).to_contain_text("Start refused: the emergency stop is latched")
    expect(reason).to_be_in_viewport()
    assert not bridge.navigation.started
    screenshot(page, "control-emergency-stop-latched", full_page=False)

    release.click()
    wait_for(lambda: not bridge.navigation.emergency_stop, 5, "the stop to be released")
    expect(status).to_have_attribute("data-state", "stopped")
    expect(release).to_be_hidden()
    expect(reason).to_be_hidden()
    expect(status).not_to_have_text(re.compile(r"stopped\W+stopped", re.IGNORECASE))

    page.get_by_role("button", name="Start vehicle").click()
    wait_for(lambda: bridge.navigation.started, 5, "the car to start")
    expect(status).to_have_attribute("data-state", "held")
    with bridge._lock:  # navigation hears the servo node come back with a new boot id: a restart mid-run
        bridge.drive.on_heartbeat("servo_node", "boot-1", "")
        bridge.drive.on_heartbeat("servo_node", "boot-2", "")
    expect(status).to_have_attribute("data-state", "stopped")
    expect(status).to_contain_text("servo_node restarted while the car was started: start again to drive")


def test_only_a_running_car_is_green_and_an_unreadable_state_is_never_shown_as_running(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    """Finding 7 (the colour): "Cannot read the car's state" was shown in the same green as Running, and kept
    the last "Running" look. Each state has its own colour; offline, waiting and a started car that no one drives
    (held at neutral) are neither green nor running."""
    page, bridge = console_page, console_server.bridge
    status = page.locator("#nav-status")
    colour = lambda: status.evaluate("el => getComputedStyle(el).backgroundColor")  # noqa: E731
    bridge.set_navigation_started(True)
    expect(status).to_have_attribute("data-state", "held")
    held = colour()
    pad = page.locator("#drive-pad")
    pad.evaluate("pad => pad.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2)
    page.mouse.down()  # the pad drives: only now is the car running
    expect(status).to_have_attribute("data-state", "running")
    running = colour()

    page.route("**/api/navigation_state", lambda route: route.abort())  # the car's network is gone
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("Cannot read the car's state")
    expect(status).not_to_contain_text("Running")
    offline = colour()
    page.unroute("**/api/navigation_state")
    page.mouse.up()

    bridge.navigation_heard = False
    expect(status).to_have_attribute("data-state", "waiting")
    waiting = colour()
    bridge.navigation_heard = True
    bridge.set_navigation_started(False)
    expect(status).to_have_attribute("data-state", "stopped")
    stopped = colour()
    bridge.emergency_stop()
    expect(status).to_have_attribute("data-state", "latched")
    assert running not in (offline, waiting, stopped, held, colour()), "a state that is not running looks like running"
