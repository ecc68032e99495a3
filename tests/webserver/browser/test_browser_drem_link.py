"""DREM's login link in real headless Chromium: the racer opens `https://<car>/?epwd=<password>` and lands on
the console with the password gone from the address bar and the history."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer


def test_a_drem_link_opens_the_console_without_the_password_in_the_address(
        phone_page: Page, console_server: ConsoleTestServer) -> None:
    page = phone_page
    page.goto("/?" + urllib.parse.urlencode({"epwd": "Zq-wrong-guess-7781"}))
    expect(page.locator("#login-error")).to_contain_text("wrong password")
    expect(page.locator("body")).not_to_contain_text("Zq-wrong-guess-7781")
    expect(page).to_have_url(f"{console_server.url}/login")  # a wrong password leaves the address bar too
    page.goto("/?" + urllib.parse.urlencode({"epwd": console_server.password}))
    expect(page).to_have_url(f"{console_server.url}/home")
    expect(page.get_by_role("link", name="Control")).to_have_attribute("aria-current", "page")
    assert console_server.password not in page.evaluate("document.location.href + document.referrer")
    screenshot(page, "drem-link-logged-in")
