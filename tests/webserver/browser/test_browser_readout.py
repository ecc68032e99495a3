"""Browser test of the Control page's live readout, run timer and held state (issue 14 finding 7): nothing showed
that the car was moving beyond a green word (no steering or throttle readout, no run timer), and another device
still showed "Manual · Running" after the driver's tab closed. Real headless Chromium at 390x844 and 1280x800, the
real console app over HTTP; the robot is the in-process robot (navigation's own DriveControl and watchdog, the
servo package's duty_ns), driven through the page's own pad. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from webserver.browser.browser_support import PHONE, SCREENS, log_in, new_screen_page, screenshot
from webserver.console_client import ConsoleTestServer

pytestmark = pytest.mark.browser



def _open(chromium: Browser, server: ConsoleTestServer, screen: str, errors: list[str]) -> Page:
    page = new_screen_page(chromium, server.url, screen, errors)
    log_in(page, server.password)
    return page


@pytest.fixture(params=list(SCREENS))
def driver_and_watcher(request: pytest.FixtureRequest, chromium: Browser,
                       console_server: ConsoleTestServer) -> Iterator[tuple[str, Page, Page]]:
    """The driver's page at the screen size under test, and a second device (a phone) watching the same car."""
    errors: list[str] = []
    driver = _open(chromium, console_server, request.param, errors)
    watcher = _open(chromium, console_server, "phone", errors)
    yield request.param, driver, watcher
    for page in (driver, watcher):
        page.context.close()
    assert errors == [], f"script errors in the console pages: {errors}"


def _hold_pad(page: Page, fx: float, fy: float) -> None:
    """Move the mouse to a point of the pad (fx/fy from -1, left/top, to 1), scrolled into view."""
    pad = page.locator("#drive-pad")
    pad.evaluate("pad => pad.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * (fx + 1) / 2, box["y"] + box["height"] * (fy + 1) / 2)


def test_readout_is_live_while_driving_blank_when_stale_and_a_closed_driver_tab_shows_the_car_held(
        driver_and_watcher: tuple[str, Page, Page], console_server: ConsoleTestServer) -> None:
    name, driver, watcher = driver_and_watcher
    bridge = console_server.bridge
    readout = {key: driver.locator(f"#{key}") for key in
               ("run-timer", "steering-commanded", "steering-written", "throttle-commanded", "throttle-written")}
    for value in readout.values():
        expect(value).to_have_text("—")
    bridge.set_max_speed(0.5)

    driver.get_by_role("button", name="Start vehicle").click()
    expect(readout["run-timer"]).to_have_text(re.compile(r"^00:0[0-9]$"))
    expect(readout["run-timer"]).to_have_text(re.compile(r"^00:0[2-9]$"))  # it counts

    _hold_pad(driver, -0.5, -0.8)  # forward-left: angle 0.5, throttle 0.8 x max speed 0.5
    driver.mouse.down()
    expect(readout["steering-commanded"]).to_have_text("Left 50 %")
    expect(readout["throttle-commanded"]).to_have_text("Forward 40 %")
    # The default calibration: steering 1,450 us + 0.5 x 250 us; throttle reversed, 1,446 us - 0.4 x 135 us.
    expect(readout["steering-written"]).to_have_text("1,575 µs")
    expect(readout["throttle-written"]).to_have_text("1,392 µs")
    watcher_status = watcher.locator("#nav-status")
    expect(watcher_status).to_have_attribute("data-state", "running")
    expect(watcher.locator("#throttle-commanded")).to_have_text("Forward 40 %")
    colour = lambda: watcher_status.evaluate("el => getComputedStyle(el).backgroundColor")  # noqa: E731
    running = colour()
    screenshot(driver, f"readout-{name}-driving")

    _hold_pad(driver, 0.0, 0.0)  # the dead zone at the centre: held, but neutral
    expect(readout["steering-commanded"]).to_have_text("Straight")
    expect(readout["throttle-commanded"]).to_have_text("Neutral")
    expect(readout["steering-written"]).to_have_text("1,450 µs · neutral")
    expect(readout["throttle-written"]).to_have_text("1,446 µs · neutral")
    _hold_pad(driver, 0.0, -0.6)
    expect(readout["throttle-commanded"]).to_have_text("Forward 30 %")

    driver.close()  # the driver's tab closes while the pad is held: nothing more is sent
    expect(watcher_status).to_have_attribute("data-state", "held")
    expect(watcher_status).to_contain_text("Started · no one is driving (neutral)")
    expect(watcher_status).to_contain_text(re.compile(r"No pad command for \d+ s: hold the pad, or press Stop"))
    expect(watcher_status).not_to_contain_text("Running")
    assert colour() != running, "a car held at neutral looks like one that drives"
    assert bridge.navigation.started, "the car stays started (held at neutral), as navigation decided"
    for key in ("steering-commanded", "throttle-commanded", "steering-written", "throttle-written"):
        expect(watcher.locator(f"#{key}")).to_have_text("—")  # stale: no old value
    expect(watcher.locator("#run-timer")).to_have_text(re.compile(r"^00:[0-5][0-9]$"))
    assert watcher.evaluate("window.scrollY") == 0
    for selector in ("#readout", "#start", "#stop", ".button-stop-big", "#max-speed"):
        box = watcher.locator(selector).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], \
            f"{selector} is not on the phone's first screen while the car is held: {box}"
    screenshot(watcher, f"readout-{name}-second-device-held", full_page=False)

    bridge.set_navigation_started(False)
    expect(watcher.locator("#run-timer")).to_have_text("—")
    expect(watcher_status).to_have_attribute("data-state", "stopped")
