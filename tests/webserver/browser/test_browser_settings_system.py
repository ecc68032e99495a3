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
    page.get_by_role("button", name="Install version 2.1.0").click()
    expect(page.get_by_role("alert").first).to_contain_text("No signed package (deepracer-stack-<version>.tar.gz")
    system.availability_problem = "the package index https://pypi.org/simple cannot be reached: is the car online?"
    page.reload()
    expect(page.locator("#update-available")).to_have_text(
        f"Cannot tell whether a new version is out: {system.availability_problem}")
    system.available_version, system.availability_problem = "", ""


def test_the_update_card_says_how_this_car_updates_and_offers_no_button_that_cannot_work(
        console_page: Page, console_server: ConsoleTestServer) -> None:
    """Issue 25 item 11: with updates off (`make run`'s laptop car) the card read "Cannot tell whether a new version
    is out: software update from a package index is off on this car (parameters install_root and
    update_index_url)" beside an enabled Install button."""
    system = console_server.app.extensions[EXTENSION]
    page = console_page
    system.updates = "off"
    page.goto("/settings")
    card = page.locator("#update-heading").locator("xpath=..")
    expect(page.locator("#update-available")).to_have_text(
        "Software updates are off on this car: its owner installs new versions.")
    expect(card.get_by_role("button")).to_have_count(0)
    for jargon in ("parameter", "install_root", "package index", "update_index_url"):
        assert jargon not in card.inner_text(), card.inner_text()
    screenshot(page, "phone-settings-updates-off", full_page=False)

    system.updates = "usb_only"
    page.reload()
    expect(page.locator("#update-available")).to_contain_text("copy the version you were given into a folder named "
                                                              "update on the stick")
    expect(card.get_by_role("button", name="Install from the USB stick")).to_be_enabled()

    system.updates = "on"
    page.reload()
    expect(page.locator("#update-available")).to_have_text("This car runs the newest version.")
    expect(card.get_by_role("button", name="Install the update")).to_be_disabled()
