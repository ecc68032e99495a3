"""The battery in the top bar, in the real browser at phone size: the level, and the low warning the system
node's low flag raises (the in-process system parts stand in for the system node)."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from webserver.browser.browser_support import log_in
from webserver.console_client import ConsoleTestServer

from webserver_pkg.robot.system_bridge import BatteryView
from webserver_pkg.views.system import EXTENSION


def test_a_low_battery_is_said_in_the_top_bar_and_warned_once(phone_page: Page,
                                                                console_server: ConsoleTestServer) -> None:
    console_server.app.extensions[EXTENSION].battery_view = BatteryView(1, True)
    log_in(phone_page, console_server.password)
    battery = phone_page.locator("#battery")
    expect(battery).to_be_visible()
    expect(battery.locator("label")).to_have_text("Battery low")
    expect(phone_page.locator("#battery-meter")).to_have_attribute("title", "Battery 9%: low, charge or swap it")
    expect(phone_page.get_by_text("The car's battery is low: charge or swap it before the next run.")).to_be_visible()


def test_an_unknown_level_hides_the_battery(phone_page: Page, console_server: ConsoleTestServer) -> None:
    console_server.app.extensions[EXTENSION].battery_view = BatteryView(-1, False, "gauge not answering")
    log_in(phone_page, console_server.password)
    expect(phone_page.get_by_role("link", name="Control")).to_be_visible()
    expect(phone_page.locator("#battery")).to_be_hidden()
