"""Browser tests of the console for an event day (issue 14, finding 10, and the login page's STOP), on a phone
(390x844) and a laptop (1280x800): the login page offers STOP while the car moves and counts a lock-out down;
a new model shows maximum speed 0. Real headless Chromium, the real console app over HTTP with the in-process
robot; screenshots in test-artifacts/screenshots/. The car's name and tail light are in the header and the tab
title, and the organiser's "Next racer" sets the car up for the head of the queue in one tap."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import SCREENS, log_in, screenshot
from webserver.console_client import ConsoleTestServer

from inference_pkg.demo_model import write_package
from inference_pkg.model_package import install
from support.rosgraph import wait_for

pytestmark = pytest.mark.browser





@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("event-models")
    return write_package(folder / "racer-one-model"), write_package(folder / "racer-two-model", seed=1)


def test_the_login_page_stops_a_moving_car_and_counts_the_lock_out_down(
        screen: tuple[str, Page], console_server: ConsoleTestServer) -> None:
    name, page = screen
    racer = console_server.logged_in_client()
    page.goto("/login")
    stop = page.get_by_role("button", name="STOP the car")
    expect(stop).to_be_hidden()  # stopped car: nothing to stop
    assert racer.post("/api/start_stop", {"start_stop": "start"}).status == 200
    expect(stop).to_be_visible()
    box = stop.bounding_box()
    assert box is not None and box["y"] + box["height"] <= SCREENS[name]["height"], "STOP is below the first screen"
    screenshot(page, f"login-{name}-car-moving", full_page=False)
    stop.click()
    wait_for(lambda: console_server.bridge.navigation.emergency_stop, 5, "the emergency stop to latch")
    assert not console_server.bridge.navigation.started
    expect(page.locator("#public-stop-text")).to_contain_text("Log in and press Release stop")

    intruder = console_server.client()  # the same address as the page's: the lock-out is per address
    for _ in range(5):
        intruder.login("guess")
    page.get_by_label("Password").fill(console_server.password)
    page.get_by_role("button", name="Access vehicle").click()
    lockout = page.locator("#lockout")
    expect(lockout).to_contain_text("try again in 60 s (even the right password is refused until then)")
    expect(lockout).to_contain_text("try again in 59 s")  # the page counts down by itself
    assert page.url.endswith("/login")
    screenshot(page, f"login-{name}-lock-out", full_page=False)
    page.reload()
    expect(lockout).to_be_visible()
    expect(lockout).to_contain_text("try again in")


def test_a_new_model_shows_maximum_speed_zero(
        screen: tuple[str, Page], console_server: ConsoleTestServer, two_models: tuple[Path, Path]) -> None:
    name, page = screen
    bridge = console_server.bridge
    log_in(page, console_server.password)
    first, second = two_models
    bridge.load_model(str(first))
    wait_for(lambda: bridge.navigation.model_ready, 10, "the first racer's model")
    page.get_by_role("slider", name="Maximum speed").fill("40")
    wait_for(lambda: bridge.navigation.max_speed == pytest.approx(0.40), 5, "max speed 40 %")
    expect(page.locator("#max-speed-value")).to_have_text("40 %")
    # The slider keeps focus, as after a racer's touch: only a drag in progress may hold the page's own value.
    bridge.load_model(str(second))  # the next racer's model, from any device
    wait_for(lambda: bridge.navigation.model_name == second.name and bridge.navigation.model_ready, 10,
             "the next racer's model")
    expect(page.locator("#max-speed-value")).to_have_text("0 %")
    assert bridge.navigation.max_speed == 0.0
    screenshot(page, f"event-{name}-new-model-speed-0", full_page=False)


def test_the_header_and_title_name_the_car_and_next_racer_sets_it_up_in_one_tap(
        screen: tuple[str, Page], console_server: ConsoleTestServer, two_models: tuple[Path, Path]) -> None:
    name, page = screen
    bridge = console_server.bridge
    for package, model in zip(two_models, ("ana-model", "ben-model"), strict=True):
        install(package, console_server.models_root, model)
    log_in(page, console_server.password)
    page.goto("/settings")
    page.get_by_label("Car name").fill("Car 7")
    page.get_by_role("button", name="Save the name").click()
    expect(page.locator("header [data-car-name]")).to_have_text("Car 7")
    expect(page).to_have_title("Settings · Car 7 (Default) · DeepRacer")
    page.get_by_role("button", name="Sky Blue").click()
    expect(page).to_have_title("Settings · Car 7 (Sky Blue) · DeepRacer")
    expect(page.locator("#car-tail-light")).to_have_css("color", "rgb(0, 170, 255)")

    for racer, model, light in (("Ana", "ana-model", "Red"), ("Ben", "ben-model", "Green")):
        page.get_by_label("Racer's name").fill(racer)
        page.get_by_label("Racer's model").select_option(model)
        page.get_by_label("Racer's tail light").select_option(light)
        page.get_by_role("button", name="Add racer").click()
        expect(page.locator("#racer-queue")).to_contain_text(f"{racer}: model {model}, {light} tail light")
    assert console_server.logged_in_client().post("/api/max_nav_throttle", {"throttle": 60}).status == 200
    assert console_server.logged_in_client().post("/api/start_stop", {"start_stop": "start"}).status == 200
    page.get_by_role("button", name="Next racer").click()
    expect(page.locator("#messages")).to_contain_text("press Stop vehicle on the Control page first")
    assert bridge.calls_to("load_model") == []
    assert console_server.logged_in_client().post("/api/start_stop", {"start_stop": "stop"}).status == 200

    page.get_by_role("button", name="Next racer").click()
    expect(page.locator("#event-current")).to_have_text("On the car now: Ana: model ana-model, Red tail light.")
    expect(page.locator("#racer-queue li")).to_have_count(1)
    expect(page).to_have_title("Settings · Car 7 (Red) · DeepRacer")
    assert bridge.get_led_color() == (255, 0, 0) and bridge.navigation.max_speed == 0.0
    screenshot(page, f"event-{name}-settings-queue")
    page.goto("/home")
    expect(page).to_have_title("Control vehicle · Car 7 (Red) · DeepRacer")
    expect(page.locator("#max-speed-value")).to_have_text("0 %")
    screenshot(page, f"event-{name}-header", full_page=False)
