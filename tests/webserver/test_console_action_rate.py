"""Issue 26, item 4: decisions per second on the console (/api/action_rate), over real HTTP against the in-process
robot (its stand-in for the inference node's parameter is validated by InferenceConfig and refused while started by
drive_rules, the node's own rules). test_console_action_rate_nodes.py runs it against the real nodes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deepracer_common_pkg.drive_rules import RATE_WHILE_STARTED


@pytest.fixture
def api(console_server):
    return console_server.logged_in_client()


def test_the_rate_in_force_is_read_from_the_inference_node_and_said_in_words(api, console_server):
    console_server.bridge.camera = replace(console_server.bridge.camera, fps=30.0)
    answer = api.get("/api/action_rate").json()
    assert (answer["max_rate_hz"], answer["words"], answer["acting_hz"]) == (0.0, "every camera frame (30 per second)",
                                                                              30.0)
    assert answer["choices"] == [{"max_rate_hz": 0.0, "words": "every camera frame (30 per second)"},
                                 {"max_rate_hz": 15.0, "words": "15 per second, as in training"}]
    console_server.bridge.action_rate = 12.0  # changed elsewhere (ros2 param set): the page shows the node's value
    assert api.get("/api/action_rate").json()["words"] == "12 per second"


def test_a_choice_is_put_in_force_at_once(api, console_server):
    console_server.bridge.camera = replace(console_server.bridge.camera, fps=30.0)
    answer = api.post("/api/action_rate", {"max_rate_hz": 15}).json()
    assert (answer["max_rate_hz"], answer["words"], answer["acting_hz"]) == (15.0, "15 per second, as in training",
                                                                              15.0)
    assert console_server.bridge.action_rate == 15.0
    assert api.request("PUT", "/api/action_rate", json_body={"max_rate_hz": 40}).json()["words"] == \
        "40 per second (the camera gives 30: every frame)"


def test_decisions_slower_than_navigations_autonomous_timeout_are_refused_with_what_to_choose(api, console_server):
    reply = api.post("/api/action_rate", {"max_rate_hz": 3})
    assert reply.status == 409
    reason = reply.json()["reason"]
    assert "the model would decide only 3 times a second" in reason
    assert "set inference_node.max_rate_hz above 4 per second" in reason
    assert console_server.bridge.action_rate == 0.0
    assert "set_action_rate_hz" not in console_server.bridge.call_names()


def test_the_rate_does_not_change_while_the_car_is_started(api, console_server):
    bridge = console_server.bridge
    bridge.set_drive_mode("manual")
    bridge.set_navigation_started(True)
    reply = api.post("/api/action_rate", {"max_rate_hz": 15})
    assert (reply.status, reply.json()["reason"]) == (409, RATE_WHILE_STARTED)
    assert bridge.action_rate == 0.0
    bridge.set_navigation_started(False)
    assert api.post("/api/action_rate", {"max_rate_hz": 15}).status == 200


@pytest.mark.parametrize("body", [{}, {"max_rate_hz": "15"}, {"max_rate_hz": -1}, {"max_rate_hz": 10**400},
                                  {"max_rate_hz": True}, {"max_rate_hz": 1001}])
def test_a_value_that_is_not_a_rate_is_refused_with_the_allowed_range(api, console_server, body):
    reply = api.post("/api/action_rate", body)
    assert reply.status == 400 and "max_rate_hz must be" in reply.json()["reason"] and "[0, 1000]" in \
        reply.json()["reason"]
    assert console_server.bridge.action_rate == 0.0


def test_an_inference_node_that_does_not_answer_is_a_503_with_the_reason(api, console_server):
    console_server.bridge.unavailable.add("action_rate_hz")
    reply = api.get("/api/action_rate")
    assert reply.status == 503 and "action_rate_hz is not available" in reply.json()["reason"]
