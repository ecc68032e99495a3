"""Browser test of the Runs page at phone size: the list shows each run with its state, a run opens in the
replay, and moving the slider changes the picture (the recorded frame's pixels), the chosen action, and the
plot's cursor. Real headless Chromium and the real console app over HTTP, in front of real bags written as
the logging node writes them (the logging node itself runs in tests/logging/test_logging_stack.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import PHONE, screenshot

from support.bag_messages import write_run

pytestmark = pytest.mark.browser
FRAMES = 60


def _picture_level(page: Page) -> int:
    """The grey level the browser decoded in the middle of the replay picture (frame i is all i)."""
    return page.evaluate("""async () => {
        const img = document.getElementById('replay-picture');
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(80, 60, 1, 1).data[0];
    }""")


def _cursor_x(page: Page) -> float:
    return float(page.locator("#replay-plot").get_attribute("data-cursor-x"))


def test_a_run_opens_in_the_replay_and_the_slider_moves_picture_action_and_plot_cursor(
        console_page: Page, tmp_path) -> None:
    write_run(tmp_path / "logs" / "Sample-model-20261201-090000", frames=FRAMES)
    write_run(tmp_path / "logs" / "Sample-model-20261201-100000", frames=8, close=False)
    page = console_page
    page.get_by_role("link", name="Runs").click()
    page.wait_for_url("**/runs")
    rows = page.locator("#runs-body tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Open")
    expect(rows.nth(1)).to_contain_text("Complete")
    expect(rows.nth(1)).to_contain_text(str(FRAMES))
    assert page.locator("#runs-table").bounding_box()["width"] <= PHONE["width"]
    screenshot(page, "runs-list-phone")

    rows.nth(1).get_by_role("button", name="Replay").click()
    expect(page.locator("#replay")).to_be_visible()
    expect(page.locator("#replay-frame-label")).to_contain_text(f"Frame 1 of {FRAMES}")
    assert _picture_level(page) == 0
    expect(page.locator("#replay-action")).to_have_text("0")
    expect(page.locator("#replay-bars li")).to_have_count(5)
    first_cursor = _cursor_x(page)

    slider = page.locator("#replay-slider")
    slider.focus()
    for _ in range(23):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#replay-frame-label")).to_contain_text(f"Frame 24 of {FRAMES}")
    assert _picture_level(page) == 23
    expect(page.locator("#replay-action")).to_have_text(str(23 % 5))
    expect(page.locator("#replay-bars li.chosen")).to_contain_text("80%")
    assert _cursor_x(page) > first_cursor + 50
    box = page.locator("#replay-plot").bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] > 60
    screenshot(page, "runs-replay-phone", full_page=False)

    page.get_by_role("button", name="Play").click()
    expect(page.locator("#replay-frame-label")).to_contain_text(f"Frame {FRAMES} of {FRAMES}", timeout=15_000)
    expect(page.get_by_role("button", name="Play")).to_be_visible()
