"""Issue 26, item 4: Decisions per second on the Control page, as a racer uses it on a phone: the setting in force in
words, "15 per second, as in training" put in force at once, a number of one's own, and the car's refusals (too slow
for its autonomous timeout; the car started) said beside the control. Real headless Chromium and the real console
app over HTTP, in front of the in-process robot (its stand-in for the inference node's parameter keeps the node's
rules: InferenceConfig and drive_rules)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

from support.rosgraph import wait_for

pytestmark = pytest.mark.browser


def test_a_racer_matches_the_training_rate_then_types_one_of_their_own(
        console_page: Page, console_server: ConsoleTestServer, model_archive: Path) -> None:
    bridge = console_server.bridge
    bridge.camera = replace(bridge.camera, fps=30.0)
    reply = console_server.logged_in_client().upload("/api/uploadModels", "demo-model.tar.gz",
                                                     model_archive.read_bytes())
    assert reply.status == 200, reply.body
    bridge.load_model(str(console_server.models_root / "demo-model"))
    wait_for(lambda: bridge.model.state == "loaded", 30, "the demo model loaded")
    page = console_page
    page.reload(wait_until="domcontentloaded")
    page.get_by_text("Autonomous driving").click()
    wait_for(lambda: bridge.navigation.mode == "autonomous", 5, "autonomous mode")

    rate = page.get_by_label("Decisions per second", exact=True)
    status = page.locator("#action-rate-status")
    expect(status).to_have_text("In force: every camera frame (30 per second).")
    expect(rate.locator("option:checked")).to_have_text("Every camera frame (30 per second)")

    rate.select_option(label="15 per second, as in training")
    expect(status).to_have_text("In force: 15 per second, as in training.")
    assert bridge.action_rate == 15.0
    screenshot(page, "control-decisions-per-second")

    rate.select_option(label="Another rate…")
    typed = page.get_by_label("Decisions per second, a number")
    typed.fill("3")
    page.get_by_role("button", name="Set", exact=True).click()
    expect(status).to_contain_text("Not changed: the model would decide only 3 times a second")
    expect(status).to_have_attribute("role", "alert")
    expect(typed).to_have_value("3")  # left to be corrected
    assert bridge.action_rate == 15.0

    typed.fill("10")
    typed.press("Enter")
    expect(status).to_have_text("In force: 10 per second.")
    assert bridge.action_rate == 10.0

    page.get_by_role("button", name="Start vehicle").click()
    wait_for(lambda: bridge.navigation.started, 5, "the car started")
    rate.select_option(label="Every camera frame (30 per second)")
    expect(status).to_have_text("Not changed: the car is running: stop it before changing how often the model "
                                "decides")
    expect(rate.locator("option:checked")).to_have_text("Another rate…")
    expect(typed).to_have_value("10")
    assert bridge.action_rate == 10.0
