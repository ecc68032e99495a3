"""Browser tests of the calibration wizards end to end: every slider moves the wheels live (raw duty
cycles reach the robot), Done saves what the wizard shows (checked through the JSON API), Cancel
keeps the saved values and puts the wheels back. Real headless Chromium, the real console app over
HTTP; the robot is the in-process robot (webserver_pkg.robot.in_process, the real cores; defaults:
steering 1.2/1.45/1.7 ms polarity +1, throttle 1.311/1.446/1.6035 ms polarity -1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

from support.rosgraph import wait_for

pytestmark = pytest.mark.browser


def steering_ns(value: int) -> int:
    return value * 10_000 + 1_500_000


def throttle_ns(value: int) -> int:
    return value * 4_500 + 1_500_000


def _last_raw(server: ConsoleTestServer, channel: str) -> int | None:
    duties = [duty for name, duty in list(server.bridge.raw_pwm_commands) if name == channel]
    return duties[-1] if duties else None


def _wheels_at(server: ConsoleTestServer, channel: str, duty_ns: int, what: str) -> None:
    wait_for(lambda: _last_raw(server, channel) == duty_ns, 5, f"{channel} at {duty_ns} ns ({what})")


def _open_calibration(page: Page, server: ConsoleTestServer) -> None:
    """Open the page (which changes nothing on the car); Calibrate enters calibration mode."""
    page.goto("/calibration")
    expect(page.locator("#steering-mid-now")).to_have_text("-5")


def test_steering_wizard_moves_the_wheels_live_and_saves(console_page: Page,
                                                         console_server: ConsoleTestServer) -> None:
    page, server = console_page, console_server
    _open_calibration(page, server)
    # The in-process robot holds the built-in defaults: the page must not present them as this car's calibration.
    expect(page.locator("#steering-defaults")).to_be_visible()
    expect(page.locator("#steering-defaults")).to_contain_text("Default values, not this car's calibration")
    page.locator("#steering-calibrate").click()
    wizard = page.locator("#steering-wizard")
    expect(wizard.get_by_role("heading", name="Set the car on the ground")).to_be_visible()
    _wheels_at(server, "steering", steering_ns(-5), "centred on entry")
    wizard.get_by_role("button", name="Next").click()

    wizard.get_by_role("slider", name="Centre value").fill("-3")
    _wheels_at(server, "steering", steering_ns(-3), "centre slider")
    wizard.get_by_role("button", name="Move Centre value toward Left").click()
    _wheels_at(server, "steering", steering_ns(-2), "the left arrow turns the wheels left")
    wizard.get_by_role("button", name="Next").click()

    _wheels_at(server, "steering", steering_ns(20), "max left step starts at the saved max left")
    wizard.get_by_role("slider", name="Maximum left value").fill("25")
    _wheels_at(server, "steering", steering_ns(25), "max left slider")
    wizard.get_by_role("button", name="Next").click()

    wizard.get_by_role("slider", name="Maximum right value").fill("-28")
    _wheels_at(server, "steering", steering_ns(-28), "max right slider")
    screenshot(page, "calibration-steering-right")
    wizard.get_by_role("button", name="Done").click()

    expect(wizard).to_be_hidden()
    expect(page.locator("#steering-left-now")).to_have_text("25")
    expect(page.locator("#steering-defaults")).to_be_hidden()  # saved: the car's own now
    expect(page.locator("#speed-defaults")).to_be_visible()
    _wheels_at(server, "steering", steering_ns(-2), "centred after Done")
    saved = server.logged_in_client().get("/api/get_calibration/angle").json()
    assert (saved["min"], saved["mid"], saved["max"], saved["polarity"]) == (-28, -2, 25, 1)


def test_speed_wizard_needs_a_raised_car_reverses_direction_and_saves(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    page, server = console_page, console_server
    _open_calibration(page, server)
    page.locator("#speed-calibrate").click()
    wizard = page.locator("#speed-wizard")
    next_button = wizard.get_by_role("button", name="Next")
    expect(next_button).to_be_disabled()
    wizard.get_by_label("The wheels are off the ground and free to spin").check()
    next_button.click()

    wizard.get_by_role("slider", name="Stopped value").fill("-10")
    _wheels_at(server, "throttle", throttle_ns(-10), "stopped slider")
    next_button.click()

    # Forward with the saved polarity -1 is below the stopped value; the wheels spin only while held.
    spin = wizard.get_by_role("button", name="Hold to spin forward")
    spin.hover()
    page.mouse.down()
    wait_for(lambda: (_last_raw(server, "throttle") or 0) < throttle_ns(-10), 5, "a slow forward spin")
    page.mouse.up()
    _wheels_at(server, "throttle", throttle_ns(-10), "stopped on release")
    wizard.get_by_role("switch", name="Reverse direction").check()
    spin.hover()
    page.mouse.down()
    wait_for(lambda: (_last_raw(server, "throttle") or 0) > throttle_ns(-10), 5, "the reversed forward spin")
    page.mouse.up()
    _wheels_at(server, "throttle", throttle_ns(-10), "stopped on release")
    next_button.click()

    forward = wizard.get_by_role("slider", name="Maximum forward value")
    expect(forward).to_have_attribute("min", "-9")  # forward now lies above the stopped value
    forward.fill("30")
    _wheels_at(server, "throttle", throttle_ns(30), "max forward slider")
    expect(wizard.locator("#speed-estimate")).to_contain_text("Estimated speed: 1.6–2.1 m/s (Fast)")
    screenshot(page, "calibration-speed-forward")
    wizard.get_by_role("button", name="Stop wheels").first.click()
    _wheels_at(server, "throttle", throttle_ns(-10), "Stop wheels")
    next_button.click()

    wizard.get_by_role("slider", name="Maximum backward value").fill("-40")
    _wheels_at(server, "throttle", throttle_ns(-40), "max backward slider")
    wizard.get_by_role("button", name="Done").click()

    expect(wizard).to_be_hidden()
    _wheels_at(server, "throttle", throttle_ns(-10), "stopped after Done")
    saved = server.logged_in_client().get("/api/get_calibration/throttle").json()
    assert (saved["min"], saved["mid"], saved["max"], saved["polarity"]) == (-40, -10, 30, 1)
    expect(page.locator("#speed-direction-now")).to_have_text("polarity +1")


def test_cancel_keeps_the_saved_values_and_a_refused_save_keeps_the_wizard_open(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    page, server = console_page, console_server
    _open_calibration(page, server)
    page.locator("#steering-calibrate").click()
    wizard = page.locator("#steering-wizard")
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("slider", name="Centre value").fill("12")
    _wheels_at(server, "steering", steering_ns(12), "centre slider")
    wizard.get_by_role("button", name="Cancel").click()
    expect(wizard).to_be_hidden()
    _wheels_at(server, "steering", steering_ns(-5), "back on the saved centre")
    assert server.bridge.calls_to("set_calibration") == []
    assert server.logged_in_client().get("/api/get_calibration/angle").json()["mid"] == -5

    page.locator("#steering-calibrate").click()
    expect(wizard.get_by_role("heading", name="Set the car on the ground")).to_be_visible()
    for _ in range(3):
        wizard.get_by_role("button", name="Next").click()
    server.bridge.unavailable.add("set_calibration")
    wizard.get_by_role("button", name="Done").click()
    expect(page.get_by_role("alert").first).to_contain_text("set_calibration is not available")
    expect(wizard).to_be_visible()


def test_opening_the_page_leaves_a_driving_car_alone_and_calibrate_refuses_while_it_drives(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    """Issue 14 finding 2: opening Calibration (from any device) stopped a running car and switched it to
    calibration without a word. Opening the page changes nothing; Calibrate is the explicit action, and
    while the car is started it is refused with the reason (the racer's run is never ended from here)."""
    page, bridge = console_page, console_server.bridge
    bridge.set_drive_mode("manual")
    bridge.set_navigation_started(True)
    page.goto("/calibration")
    expect(page.locator("#steering-mid-now")).to_have_text("-5")  # the page has read the car
    assert (bridge.navigation.mode, bridge.navigation.started) == ("manual", True)
    assert bridge.calls_to("set_drive_mode") == [("manual",)], "opening the page changed the drive mode"

    page.locator("#steering-calibrate").click()
    expect(page.get_by_role("alert").first).to_contain_text("the car is driving")
    expect(page.get_by_role("alert").first).to_contain_text("Stop vehicle")
    expect(page.locator("#steering-wizard")).to_be_hidden()
    assert (bridge.navigation.mode, bridge.navigation.started) == ("manual", True)
    screenshot(page, "calibration-refused-while-driving", full_page=False)

    bridge.set_navigation_started(False)
    page.locator("#steering-calibrate").click()
    expect(page.locator("#steering-wizard")).to_be_visible()
    wait_for(lambda: bridge.navigation.mode == "calibration", 5, "calibration mode after Calibrate")
