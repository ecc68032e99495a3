"""Layout tests of every signed-in page on a phone (390x844, touch) and a laptop (1366x768), in real headless
Chromium against the real console app over HTTP with the in-process robot.

Issue 14 finding 4: a floating STOP bar covered the bottom of the drive pad on a phone (a touch meant for Reverse
latched the emergency stop) and the "+" speed button on a laptop. Issue 25 item 2: with the track map in view no STOP
was on screen at all (phone: 37 px below it; laptop: 128 px), the header's STOP was hidden on the Control page and the
header did not stay. Now a STOP is on screen on every page at every scroll position, on top of everything, and every
control can be scrolled to and tapped without the STOP over it. Issue 25 items 7 and 11: on a phone the racer's flow
(mode, model, speed, Start) runs top-down, and the header is one line. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from webserver.browser.browser_support import SCREENS, WAIT_MS, log_in, screenshot
from webserver.console_client import ConsoleTestServer

from inference_pkg.demo_model import write_package
from inference_pkg.model_package import install
from sim_pkg.tracks import load_track
from webserver_pkg.robot.bridge import SimStateView

pytestmark = pytest.mark.browser

PAGES = ["/home", "/models", "/calibration", "/settings", "/runs", "/logs"]
VISIBLE_JS = """(el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"
  && Number(getComputedStyle(el).opacity) > 0"""
# Each STOP on the page: whether it lies wholly on the screen and is what a finger at its centre touches.
STOPS_JS = f"""() => {{
  const visible = {VISIBLE_JS};
  return [...document.querySelectorAll("[data-emergency-stop]")].filter(visible).map((stop) => {{
    const r = stop.getBoundingClientRect();
    const onScreen = r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {{ onScreen, onTop: Boolean(hit && stop.contains(hit)), top: Math.round(r.top) }};
  }});
}}"""
# How far the page is scrolled, wherever its scrolling happens.
SCROLLED_JS = """() => Math.round(document.scrollingElement.scrollTop
  + [...document.querySelectorAll("body *")].reduce((sum, el) => sum + el.scrollTop, 0))"""
# Every control a person can reach, scrolled to as a finger would (to the middle of the screen where the page can):
# what the centre of it touches must be the control, never a STOP or the header over it.
COVERED_JS = f"""() => {{
  const visible = {VISIBLE_JS};
  const covered = [];
  const controls = [...document.querySelectorAll(
    "main button, main input, main select, a[href], main [role=application], main canvas, main summary")]
    .filter(visible);
  for (const el of controls) {{
    const before = el.getBoundingClientRect();
    if (before.width < 8 || before.height < 8) continue;  // a radio drawn by its label: the label counts
    el.scrollIntoView({{ block: "center", inline: "nearest" }});
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, Math.min(r.top + r.height / 2, innerHeight - 1));
    const label = el.labels && el.labels[0];
    if (!hit || !(el.contains(hit) || hit.contains(el) || (label && label.contains(hit)))) {{
      covered.push(`${{el.tagName.toLowerCase()}}#${{el.id || el.textContent.trim().slice(0, 20)}} under `
        + `${{hit ? hit.tagName.toLowerCase() + "." + hit.className : "nothing"}}`);
    }}
  }}
  return covered;
}}"""


def _sim_running(server: ConsoleTestServer) -> None:
    """The simulated track's card on the Control page: the map the issue had in view."""
    track = load_track("reinvent_base")
    x, y, heading = track.point_at(2.0)
    server.bridge.sim = SimStateView(track=track.name, laps=1, lap_times_s=(19.4,), off_track=0, progress=11.0,
                                     on_track=True, x=x, y=y, yaw=heading, speed_m_s=1.0)


def _logged_in(chromium: Browser, server: ConsoleTestServer, screen: str, errors: list[str]) -> Page:
    phone = screen == "phone"
    context = chromium.new_context(viewport=SCREENS[screen], is_mobile=phone, has_touch=phone, base_url=server.url)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server.password)
    return page


def _scroll_through(page: Page, screen: str, where: str) -> None:
    """Scroll the page from its top to its end with the mouse wheel, as a person would, checking the STOP at every
    position on the way."""
    box = SCREENS[screen]
    page.mouse.move(box["width"] / 2, box["height"] / 2)
    positions, last = 0, -1
    while True:
        stops = page.evaluate(STOPS_JS)
        assert stops, f"{where}: no STOP shown"
        assert all(s["onScreen"] and s["onTop"] for s in stops), \
            f"{where}: the STOP is off the screen or under something, scrolled {page.evaluate(SCROLLED_JS)} px: {stops}"
        scrolled = page.evaluate(SCROLLED_JS)
        if scrolled == last:
            break
        last, positions = scrolled, positions + 1
        page.mouse.wheel(0, box["height"] * 0.6)
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert positions >= 1, f"{where}: the check never scrolled"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_stop_is_on_screen_on_every_page_at_every_scroll_position_and_covers_no_control(
        screen: str, chromium: Browser, console_server: ConsoleTestServer) -> None:
    errors: list[str] = []
    _sim_running(console_server)
    page = _logged_in(chromium, console_server, screen, errors)
    try:
        for path in PAGES:
            page.goto(path)
            page.wait_for_load_state("load")
            if path == "/home":
                expect(page.locator("#sim-card")).to_be_visible()
                page.get_by_text("Manual driving", exact=True).click()  # the pad: the control most at risk
                expect(page.locator("#drive-pad")).to_be_visible()
            _scroll_through(page, screen, f"{path} on the {screen}")
            screenshot(page, f"layout-{screen}-{path.strip('/')}-scrolled-to-end", full_page=False)
            assert page.evaluate(COVERED_JS) == [], f"{path} on the {screen}: a control cannot be reached"
            assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen]["width"], path
            header = page.locator("header.topbar").bounding_box()
            assert header is not None and header["height"] <= 64, f"{path}: the header wraps ({header})"
    finally:
        page.context.close()
    assert errors == [], errors


def test_on_a_phone_the_racers_flow_runs_top_down_with_start_on_the_first_screen(
        chromium: Browser, console_server: ConsoleTestServer) -> None:
    errors: list[str] = []
    page = _logged_in(chromium, console_server, "phone", errors)
    try:
        page.get_by_text("Autonomous driving", exact=True).click()
        expect(page.get_by_label("Select a model")).to_be_visible()
        flow = ["#mode-auto + label", "#model-select", "#load-model", "#max-speed", "#start"]
        tops = [page.locator(selector).bounding_box()["y"] for selector in flow]
        assert tops == sorted(tops), f"the racer's flow is not top-down: {dict(zip(flow, tops, strict=True))}"
        start = page.locator("#start").bounding_box()
        assert start["y"] + start["height"] <= SCREENS["phone"]["height"] - 80, \
            f"Start is below the first screen: {start}"
        screenshot(page, "layout-phone-racers-flow", full_page=False)
    finally:
        page.context.close()
    assert errors == [], errors


def test_a_long_model_name_shows_whole_in_the_phones_picker(
        chromium: Browser, console_server: ConsoleTestServer, tmp_path) -> None:
    """Issue 25 item 11: the picker cut the sample model's name to "deepracer-sample-" on a phone."""
    install(write_package(tmp_path / "package"), console_server.models_root, "deepracer-sample-model-48")
    errors: list[str] = []
    page = _logged_in(chromium, console_server, "phone", errors)
    try:
        page.get_by_text("Autonomous driving", exact=True).click()
        picker = page.get_by_label("Select a model")
        expect(picker).to_be_visible()
        expect(picker).to_have_value("deepracer-sample-model-48")
        text, needed, room = picker.evaluate("""(select) => {
          const style = getComputedStyle(select);
          const text = select.selectedOptions[0].text;
          const pen = document.createElement("canvas").getContext("2d");
          pen.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const arrow = 24;  // the drop-down's arrow
          const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - arrow;
          return [text, pen.measureText(text).width, room];
        }""")
        assert text.startswith("deepracer-sample-model-48") and needed <= room, \
            f"{text!r} needs {needed:.0f} px, the picker shows {room:.0f}"
        screenshot(page, "layout-phone-model-picker", full_page=False)
    finally:
        page.context.close()
    assert errors == [], errors
