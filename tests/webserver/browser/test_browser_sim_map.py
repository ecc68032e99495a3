"""Browser test of the Control page's simulator card at phone size: the map draws the track and the car where
the simulator says it is, the lap counter and lap times follow the race, Reset reaches the simulator, and a car
without a simulator shows no card. Real headless Chromium and the real console app over HTTP; the robot is the
in-process robot (the real simulator behind the real console is tests/sim/test_sim_closed_loop.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import PHONE, screenshot
from webserver.console_client import ConsoleTestServer

from sim_pkg.tracks import load_track
from support.rosgraph import wait_for
from webserver_pkg.robot.bridge import SimStateView

pytestmark = pytest.mark.browser

TRACK = load_track("reinvent_base")


def _at(s: float, **race) -> SimStateView:
    x, y, heading = TRACK.point_at(s)
    fields = {"laps": 0, "lap_times_s": (), "off_track": 0, "progress": 100 * s / TRACK.length, "on_track": True}
    fields.update(race)
    return SimStateView(track=TRACK.name, x=x, y=y, yaw=heading, speed_m_s=1.2, **fields)


def _car_pixel(page: Page) -> tuple[float, float, tuple[int, ...]]:
    """Where the page drew the car (canvas pixels) and the colour there."""
    return page.evaluate("""() => {
        const canvas = document.getElementById('sim-map');
        const x = Number(canvas.dataset.carX), y = Number(canvas.dataset.carY);
        const pixel = canvas.getContext('2d').getImageData(Math.round(x), Math.round(y), 1, 1).data;
        return [x, y, Array.from(pixel)];
    }""")


def test_map_and_lap_counter_follow_the_simulator_and_reset_reaches_it(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    bridge = console_server.bridge
    page = console_page
    with page.expect_response("**/api/sim/state") as asked:
        page.reload(wait_until="domcontentloaded")
    assert asked.value.status == 404
    expect(page.locator("#sim-card")).to_be_hidden()  # no simulator: no card

    bridge.sim = _at(1.0)
    page.reload(wait_until="domcontentloaded")  # (a page that found none asks again only every 10 s)
    expect(page.locator("#sim-card")).to_be_visible()
    expect(page.locator("#sim-laps")).to_have_text("0")
    wait_for(lambda: page.evaluate("document.getElementById('sim-map').dataset.carX") is not None, 5, "the car drawn")
    x1, y1, colour = _car_pixel(page)
    assert colour[:3] == [228, 0, 43], f"the car's red is under its marker, found {colour}"
    box = page.locator("#sim-map").bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] > 100, f"the map fits the phone's width: {box}"

    bridge.sim = _at(3.0, laps=2, lap_times_s=(12.34, 11.5), off_track=1)
    expect(page.locator("#sim-laps")).to_have_text("2")
    expect(page.locator("#sim-last")).to_have_text("11.50 s")
    expect(page.locator("#sim-best")).to_have_text("11.50 s")
    expect(page.locator("#sim-off")).to_have_text("1")
    wait_for(lambda: _car_pixel(page)[:2] != [x1, y1], 5, "the car moved on the map")
    x2, y2, _ = _car_pixel(page)
    # 2 m further along the first straight (+x on the track): to the right on the map, same height
    assert x2 > x1 + 20 and abs(y2 - y1) < 10, ((x1, y1), (x2, y2))
    screenshot(page, "control-sim-map", full_page=False)

    bridge.sim = _at(3.2, laps=2, lap_times_s=(12.34, 11.5), off_track=2, on_track=False)
    expect(page.locator("#sim-status")).to_contain_text("Off the track")
    expect(page.locator("#sim-off")).to_have_text("2")

    page.get_by_role("button", name="Reset car").click()
    wait_for(lambda: bridge.calls_to("sim_reset") == [()], 5, "Reset sent to the simulator")
    expect(page.locator("#sim-laps")).to_have_text("0")
    expect(page.locator("#sim-off")).to_have_text("0")
