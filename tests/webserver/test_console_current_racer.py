"""The console tells the car who drives now (issue 25, item 4): the logging node names each run by the racer the
event queue put on the car. "Next racer" announces them, a restarted console announces the racer it kept, and a
queue change that leaves the racer on the car says nothing new. (The logger's side, over real DDS:
tests/logging/test_logging_stack.py.)"""

from __future__ import annotations

from inference_pkg.demo_model import write_package
from inference_pkg.model_package import install


def test_next_racer_announces_the_racer_on_the_car_and_a_restarted_console_announces_them_again(
        start_console, tmp_path):
    server = start_console()
    install(write_package(tmp_path / "package"), server.models_root, "ana-model")
    client = server.logged_in_client()
    assert server.bridge.racers_announced == [""]  # nobody on the car yet: runs are named by their model alone
    for name in ("Ana Lee", "Ben"):
        assert client.post("/api/event/racers", {"name": name, "model": "ana-model", "tail_light": "Red"}).status == 200
    assert server.bridge.racers_announced == [""]
    assert client.post("/api/event/next").status == 200
    assert server.bridge.racers_announced == ["", "Ana Lee"]
    assert client.request("DELETE", "/api/event/racers/0").status == 200  # Ben leaves the queue: Ana still drives
    assert server.bridge.racers_announced == ["", "Ana Lee"]

    restarted = start_console()
    assert restarted.bridge.racers_announced == ["Ana Lee"]
