"""Browser tests of login, the phone layout of every page, Settings and Logs, in real headless
Chromium against the real console app over HTTP (the robot behind it is the in-process robot,
webserver_pkg.robot.in_process: the real cores)."""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import Browser, Page, expect
from webserver.browser.browser_support import PHONE, log_in, screenshot
from webserver.console_client import ConsoleTestServer

from webserver_pkg.robot.bridge import LogLine

pytestmark = pytest.mark.browser

PAGES = [("/home", "Control"), ("/models", "Models"), ("/calibration", "Calibration"),
         ("/settings", "Settings"), ("/logs", "Logs")]


def test_login_shows_the_reason_for_a_wrong_password_then_logs_in(phone_page: Page,
                                                                   console_server: ConsoleTestServer) -> None:
    page = phone_page
    page.goto("/home")
    expect(page).to_have_url(f"{console_server.url}/login")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Access vehicle").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong password")
    expect(page).to_have_url(f"{console_server.url}/login")
    screenshot(page, "login-wrong-password")

    log_in(page, console_server.password)
    expect(page.get_by_role("link", name="Control")).to_have_attribute("aria-current", "page")


def test_every_page_fits_a_phone_and_keeps_the_navigation_in_reach(console_page: Page) -> None:
    page = console_page
    for path, label in PAGES:
        page.goto(path, wait_until="domcontentloaded")
        expect(page.get_by_role("link", name=label)).to_have_attribute("aria-current", "page")
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"], f"{path} scrolls sideways on a phone ({overflow} px wide)"
        for _, other in PAGES:
            box = page.get_by_role("navigation", name="Main").get_by_role("link", name=other).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], \
                f"nav link {other} is off screen on {path}"
        screenshot(page, f"phone-{label.lower()}")

    page.goto("/home", wait_until="domcontentloaded")
    stop = page.get_by_role("button", name="Emergency stop: stop the car now")
    expect(stop).to_be_visible()
    box = stop.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] and box["height"] >= 48, \
        "the STOP button must be big and on screen without scrolling"


def test_settings_sets_the_tail_light_explains_password_errors_and_shows_about(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    page = console_page
    page.goto("/settings")
    expect(page.get_by_role("button", name="Default")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="Lime").click()
    expect(page.get_by_role("button", name="Lime")).to_have_attribute("aria-pressed", "true")
    assert console_server.bridge.led == (150, 255, 0)

    page.get_by_label("Current password").fill("wrong-old-password")
    page.get_by_label("New password", exact=True).fill("a-new-password")
    page.get_by_label("Repeat the new password").fill("a-different-one")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").first).to_contain_text("The two new passwords are different")

    page.get_by_label("Repeat the new password").fill("a-new-password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").first).not_to_contain_text("The two new passwords are different")
    expect(page.get_by_role("alert").first).to_contain_text("The current password is wrong")

    page.get_by_label("Current password").fill(console_server.password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    assert console_server.client().login("a-new-password").status == 200

    expect(page.locator("#about-ros")).not_to_have_text("–")
    expect(page.locator("#about-serial")).to_have_text("DRCHASSIS0042")  # the car identity, as DREM reads it
    expect(page.locator("#about-hostname")).to_have_text(socket.gethostname())
    expect(page.locator("#about-camera")).to_contain_text("connected, 480×360")
    screenshot(page, "phone-settings-after-changes")


def test_logs_are_newest_first_and_filtered_by_the_car(console_page: Page,
                                                       console_server: ConsoleTestServer) -> None:
    console_server.bridge.log = [
        LogLine(1_700_000_000.0 + i, level, logger, message)
        for i, (level, logger, message) in enumerate([
            ("INFO", "camera_node", "camera opened"),
            ("WARN", "servo_node", "servo calibration file missing: using defaults"),
            ("ERROR", "inference_node", "model.xml is not readable"),
        ])
    ]
    page = console_page
    page.goto("/logs")
    lines = page.locator(".log-line")
    expect(lines).to_have_count(3)
    expect(lines.first).to_contain_text("model.xml is not readable")
    expect(lines.first).to_have_class("log-line log-error")
    expect(lines.last).to_contain_text("camera opened")

    page.get_by_label("Filter").fill("servo")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("calibration file missing")


def test_a_password_change_waits_for_a_stopped_car_and_ended_sessions_are_told_why(
        console_page: Page, chromium: Browser, console_server: ConsoleTestServer) -> None:
    """Issue 14 finding 1: a password change logged every racer out to a bare login page while the car kept
    driving. While the car is started it is refused with the reason (the racer keeps the controls); once
    stopped it goes through, and the other devices land on a login page that says why."""
    racer, bridge = console_page, console_server.bridge
    bridge.set_navigation_started(True)
    expect(racer.locator("#nav-status")).to_contain_text("Started")

    context = chromium.new_context(viewport=PHONE, base_url=console_server.url)
    try:
        organiser = context.new_page()
        log_in(organiser, console_server.password)
        organiser.goto("/settings")
        organiser.get_by_label("Current password").fill(console_server.password)
        organiser.get_by_label("New password", exact=True).fill("a-new-password")
        organiser.get_by_label("Repeat the new password").fill("a-new-password")
        organiser.get_by_role("button", name="Change password").click()
        expect(organiser.get_by_role("alert").first).to_contain_text("The car is driving (manual mode)")
        expect(organiser.get_by_role("alert").first).to_contain_text("Stop vehicle")
        assert bridge.navigation.started
        assert console_server.client().login(console_server.password).status == 200, "password changed anyway"
        expect(racer).to_have_url(f"{console_server.url}/home")

        bridge.set_navigation_started(False)
        organiser.get_by_role("button", name="Change password").click()
        expect(organiser.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    finally:
        context.close()
    expect(racer).to_have_url(f"{console_server.url}/login")
    expect(racer.locator("#session-ended")).to_contain_text(
        "The console password was changed on another device: log in with the new password.")
    screenshot(racer, "login-after-password-change", full_page=False)
