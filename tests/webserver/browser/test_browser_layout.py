"""Layout tests of the Control page on a phone and a laptop (issue 14 finding 4): the STOP button never covers
another control at any scroll position (a floating STOP bar covered the bottom of the drive pad on a phone, so a
touch meant for Reverse latched the emergency stop, and the "+" speed button on a laptop), and Start, STOP and
the video are on the first screen (Start sat 1,220 px down on a phone). Real headless Chromium at each size, the
real console app over HTTP with the in-process robot; screenshots of the first screen and of the page scrolled
to its end are kept in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import SCREENS, screenshot

pytestmark = pytest.mark.browser


# Every visible control's rectangle that the visible STOP button's rectangle intersects (other than itself).
OVERLAPS_JS = """() => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const stops = [...document.querySelectorAll("[data-emergency-stop]")].filter(visible);
  const controls = [...document.querySelectorAll(
    "button, input, select, a[href], label, [role=application], [role=switch], output, img, canvas")]
    .filter(visible).filter((el) => !el.closest("[data-emergency-stop]"));
  const hits = [];
  for (const stop of stops) {
    const s = stop.getBoundingClientRect();
    for (const el of controls) {
      if (el.contains(stop)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const w = Math.min(s.right, r.right) - Math.max(s.left, r.left);
      const h = Math.min(s.bottom, r.bottom) - Math.max(s.top, r.top);
      if (w > 0 && h > 0) hits.push(`${el.tagName.toLowerCase()}#${el.id || el.textContent.trim().slice(0, 20)}`);
    }
  }
  return hits;
}"""




def _fully_on_first_screen(page: Page, selector: str, size: dict[str, int]) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] \
        and box["y"] + box["height"] <= size["height"], f"{selector} is not on the first screen: {box}"


def test_stop_covers_no_control_and_start_stop_and_video_share_the_first_screen(
        screen_page: tuple[str, Page]) -> None:
    name, page = screen_page
    size = SCREENS[name]
    expect(page.locator("#drive-pad")).to_be_visible()  # manual mode: the pad is the control most at risk
    stop = page.get_by_role("button", name="Emergency stop: stop the car now")
    expect(stop).to_have_count(1)
    assert page.evaluate("window.scrollY") == 0
    for selector in ("#camera", "#start", "#stop", ".button-stop-big", "#max-speed"):
        _fully_on_first_screen(page, selector, size)
    assert page.evaluate(OVERLAPS_JS) == [], "STOP covers a control on the first screen"
    screenshot(page, f"layout-{name}-first-screen", full_page=False)

    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert page.evaluate(OVERLAPS_JS) == [], "STOP covers a control with the page scrolled to its end"
    screenshot(page, f"layout-{name}-scrolled-to-end", full_page=False)
