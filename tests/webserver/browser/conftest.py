"""Browser fixtures: Debian's Chromium driven by Playwright for Python, headless, never a downloaded
browser, started with the flags that keep it off the network. Pages are opened on a phone-sized
viewport (390x844, touch), the size racers use at the track."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from webserver.browser.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    SCREENS,
    WAIT_MS,
    log_in,
    new_screen_page,
)
from webserver.console_client import ConsoleTestServer


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `make test` installs it (as root), or run "
                    "apt-get install -y chromium chromium-driver")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium: Browser, console_server: ConsoleTestServer) -> Iterator[Page]:
    """A fresh phone-sized browser context on the console, not yet logged in. Any uncaught script
    error on any page fails the test, and so does anything the Content-Security-Policy blocked (the
    header is only worth having if the pages work under it)."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   base_url=console_server.url)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.on("console", lambda message: script_errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert script_errors == [], f"script errors in the console pages: {script_errors}"


@pytest.fixture
def console_page(phone_page: Page, console_server: ConsoleTestServer) -> Page:
    """The phone page, logged in through the login form (lands on the Control page)."""
    log_in(phone_page, console_server.password)
    return phone_page


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest, chromium: Browser,
           console_server: ConsoleTestServer) -> Iterator[tuple[str, Page]]:
    """(screen name, page) at each of SCREENS, not logged in; a script error on any page fails the test."""
    errors: list[str] = []
    page = new_screen_page(chromium, console_server.url, request.param, errors)
    yield request.param, page
    page.context.close()
    assert errors == [], f"script errors on the {request.param}: {errors}"


@pytest.fixture
def screen_page(screen: tuple[str, Page], console_server: ConsoleTestServer) -> tuple[str, Page]:
    """The same, logged in through the login form."""
    log_in(screen[1], console_server.password)
    return screen
