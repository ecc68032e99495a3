"""Helpers shared by the browser tests: how Chromium is started, logging in, screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# The two screens the issues measured the console on: a racer's phone at the track and an organiser's laptop.
SCREENS = {"phone": PHONE, "laptop": LAPTOP}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
WAIT_MS = 10_000  # generous for a loaded 2-core test machine; conditions usually hold in milliseconds


def new_screen_page(chromium: Browser, base_url: str, screen: str, errors: list[str]) -> Page:
    """A page in a fresh context at one of SCREENS (a phone with touch); its script errors go to `errors`."""
    phone = screen == "phone"
    context = chromium.new_context(viewport=SCREENS[screen], is_mobile=phone, has_touch=phone, base_url=base_url)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def log_in(page: Page, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Access vehicle").click()
    page.wait_for_url("**/home", wait_until="domcontentloaded")


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Keep a picture of the page as a test artefact (test-artifacts/screenshots/, gitignored).
    `full_page=False` shows what the phone's screen shows, with the fixed STOP button where it sits."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
