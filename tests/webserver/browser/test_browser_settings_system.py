"""Settings at phone size in the real browser: the network the car is on, joining another (a refused password
said, the old network kept), and SSH on with its password changed; the in-process system parts stand in for the
system node."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

from webserver_pkg.views.system import EXTENSION


def test_settings_shows_and_changes_the_network_and_ssh(console_page: Page,
                                                        console_server: ConsoleTestServer) -> None:
    system = console_server.app.extensions[EXTENSION]
    page = console_page
    page.goto("/settings")
    expect(page.locator("#network-ssid")).to_have_text("deepracer-track")
    expect(page.locator("#network-usb")).to_have_text("not connected")
    expect(page.locator("#update-available")).to_have_text("This car runs the newest version.")
    page.get_by_label("Network to join").select_option("event-staff")
    page.get_by_label("Wi-Fi password").fill("short")
    page.get_by_role("button", name="Join network").click()
    expect(page.get_by_role("alert").first).to_contain_text("password was refused")
    expect(page.get_by_role("alert").first).to_contain_text("still on 'deepracer-track'")
    expect(page.locator("#network-ssid")).to_have_text("deepracer-track")

    page.get_by_label("Wi-Fi password").fill("staff-only-2026")
    page.get_by_role("button", name="Join network").click()
    expect(page.locator("#wifi-result")).to_have_text("Joined event-staff: the car is at 127.0.0.1.")
    expect(page.locator("#network-ssid")).to_have_text("event-staff")
    assert system.network.ssid == "event-staff"

    expect(page.locator("#ssh-state")).to_contain_text("SSH is off. The login password is still the default")
    page.get_by_role("button", name="Turn SSH on").click()
    expect(page.locator("#ssh-state")).to_contain_text("SSH is on.")
    assert system.ssh.enabled
    page.get_by_label("Current SSH password").fill("deepracer")
    page.get_by_label("New SSH password").fill("track-side-2026")
    page.get_by_role("button", name="Change SSH password").click()
    expect(page.locator("#ssh-state")).to_have_text("SSH is on.")
    assert system.ssh.password == "track-side-2026"
    screenshot(page, "phone-settings-network-ssh")


def test_settings_shows_update_progress_and_why_an_update_cannot_start(console_page: Page,
                                                                       console_server: ConsoleTestServer) -> None:
    system = console_server.app.extensions[EXTENSION]
    system.status = "status:verifying|update_pct:70"
    system.available_version = "2.1.0"  # what the package index offers
    page = console_page
    page.goto("/settings")
    expect(page.locator("#update-available")).to_have_text("Update available: version 2.1.0.")
    expect(page.locator("#update-progress")).to_have_text("Checking the new version (70 %)")
    expect(page.locator("#update-bar")).to_have_attribute("value", "70")
    system.status = "status:failed|update_pct:100"
    expect(page.locator("#update-progress")).to_have_text("The update failed: this version stays (100 %)")
    page.get_by_role("button", name="Install the update").click()
    expect(page.get_by_role("alert").first).to_contain_text("No signed package (deepracer-stack-<version>.tar.gz")
    system.availability_problem = "the package index https://pypi.org/simple cannot be reached: is the car online?"
    page.reload()
    expect(page.locator("#update-available")).to_have_text(
        f"Cannot tell whether a new version is out: {system.availability_problem}")
    system.available_version, system.availability_problem = "", ""
