"""Event mode over real HTTP (issue 14, finding 10): the car's name in every page's header and title, and the
organiser's racer queue whose "Next racer" loads the model, sets the tail light and max speed 0 in one tap,
is refused while the car is started, and survives a restart."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from inference_pkg.demo_model import write_package
from inference_pkg.model_package import install
from support.rosgraph import wait_for


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("event-packages")
    return write_package(folder / "one"), write_package(folder / "two", seed=1)


def test_the_car_name_is_the_hostname_until_one_is_set_and_is_in_every_title(start_console):
    server = start_console()
    client = server.logged_in_client()
    hostname = socket.gethostname()
    assert f"<title>Control vehicle · {hostname} · DeepRacer</title>" in client.get("/home").body.decode()
    assert client.post("/api/event/car_name", {"name": "  Car   7  "}).status == 200
    assert client.get("/api/event/identity").json() == {"success": True, "car_name": "Car 7",
                                                       "tail_light": "Default", "tail_light_rgb": [0, 0, 255]}
    page = client.get("/settings").body.decode()
    assert "· Car 7 · DeepRacer</title>" in page and 'data-car-name>Car 7<' in page
    assert "Car 7" in server.client().get("/login").body.decode()  # the login page says which car too
    bad = client.post("/api/event/car_name", {"name": "x" * 40})
    assert bad.status == 400 and "at most 32" in bad.json()["reason"]
    restarted = start_console()  # the same console folder: the name is kept
    assert restarted.logged_in_client().get("/api/event/identity").json()["car_name"] == "Car 7"
    assert restarted.logged_in_client().post("/api/event/car_name", {"name": ""}).status == 200
    assert restarted.logged_in_client().get("/api/event/identity").json()["car_name"] == hostname


def test_next_racer_loads_the_model_sets_the_tail_light_and_speed_zero_and_is_kept_over_a_restart(
        start_console, packages):
    server = start_console()
    for package, name in zip(packages, ("ana-model", "ben-model"), strict=True):
        install(package, server.models_root, name)
    client = server.logged_in_client()
    for racer in ({"name": "Ana", "model": "ana-model", "tail_light": "Red"},
                  {"name": "Ben", "model": "ben-model", "tail_light": "Green"},
                  {"name": "Cy", "model": "gone-model", "tail_light": "Lime"}):
        assert client.post("/api/event/racers", racer).status == 200, racer
    refused = client.post("/api/event/racers", {"name": "", "model": "ana-model", "tail_light": "Pink"})
    assert refused.status == 400 and "racer's name" in refused.json()["reason"]
    event = client.get("/api/event").json()
    assert [r["name"] for r in event["queue"]] == ["Ana", "Ben", "Cy"] and event["current"] is None
    assert set(event["models"]) == {"ana-model", "ben-model"} and "Red" in event["tail_lights"]

    bridge = server.bridge
    assert client.post("/api/max_nav_throttle", {"throttle": 60}).status == 200
    assert client.post("/api/event/next").status == 200
    assert bridge.get_led_color() == (255, 0, 0) and bridge.navigation.max_speed == 0.0
    assert Path(bridge.calls_to("load_model")[-1][0]).name == "ana-model"
    wait_for(lambda: bridge.navigation.model_name == "ana-model" and bridge.navigation.model_ready, 10, "Ana's model")

    assert client.post("/api/start_stop", {"start_stop": "start"}).status == 200
    driving = client.post("/api/event/next")
    assert driving.status == 409 and "press Stop vehicle" in driving.json()["reason"]
    assert client.post("/api/start_stop", {"start_stop": "stop"}).status == 200

    restarted = start_console()
    again = restarted.logged_in_client()
    event = again.get("/api/event").json()
    assert event["current"]["name"] == "Ana" and [r["name"] for r in event["queue"]] == ["Ben", "Cy"]
    assert again.post("/api/event/next").status == 200
    assert restarted.bridge.get_led_color() == (0, 255, 0)
    missing = again.post("/api/event/next")
    assert missing.status == 409 and "gone-model" in missing.json()["reason"]
    assert "Models page" in missing.json()["reason"]
    assert [r["name"] for r in again.get("/api/event").json()["queue"]] == ["Cy"]  # not taken: still next
    assert again.request("DELETE", "/api/event/racers/0").status == 200
    assert again.get("/api/event").json()["queue"] == []
    empty = again.post("/api/event/next")
    assert empty.status == 409 and "queue is empty" in empty.json()["reason"]


def test_a_damaged_queue_file_starts_an_empty_queue_and_says_so(start_console, tmp_path):
    (tmp_path / "console").mkdir(parents=True, exist_ok=True)
    (tmp_path / "console" / "event.json").write_text('{"queue": [{"name": "Ana"')  # cut off by a power loss
    client = start_console().logged_in_client()
    event = client.get("/api/event").json()
    assert event["queue"] == [] and "could not be read" in event["problem"]
    assert "add the racers again" in event["problem"]
    assert client.post("/api/event/car_name", {"name": "Car 2"}).status == 200
    assert client.get("/api/event/identity").json()["car_name"] == "Car 2"
