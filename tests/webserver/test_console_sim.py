"""The simulator's console API over real HTTP, against the in-process robot (the sim node's own behaviour is
tested in tests/sim): state and track for the map, Reset with CSRF, and a clear 404 when no simulator runs."""

from __future__ import annotations

from webserver_pkg.robot.bridge import SimStateView

RACING = SimStateView(track="reinvent_base", laps=2, lap_times_s=(10.52, 9.87), off_track=1, progress=42.25,
                      on_track=True, x=3.25, y=0.71, yaw=0.05, speed_m_s=1.4)


def test_without_a_simulator_every_route_answers_404_with_the_reason(console_server):
    client = console_server.logged_in_client()
    for reply in (client.get("/api/sim/state"), client.get("/api/sim/track"), client.post("/api/sim/reset")):
        assert reply.status == 404
        assert reply.json()["success"] is False and "no simulator runs" in reply.json()["reason"]
    assert console_server.bridge.calls_to("sim_reset") == []


def test_state_has_the_race_and_the_pose(console_server):
    console_server.bridge.sim = RACING
    state = console_server.logged_in_client().get("/api/sim/state").json()
    assert state == {"success": True, "track": "reinvent_base", "laps": 2, "lap_times_s": [10.52, 9.87],
                     "last_lap_s": 9.87, "best_lap_s": 9.87, "off_track": 1, "progress": 42.2, "on_track": True,
                     "pose": {"x": 3.25, "y": 0.71, "yaw": 0.05}, "speed_m_s": 1.4}


def test_track_outline_is_the_real_reinvent_track(console_server):
    console_server.bridge.sim = RACING
    track = console_server.logged_in_client().get("/api/sim/track").json()
    assert track["name"] == "reinvent_base" and abs(track["length_m"] - 17.71) < 0.01
    assert len(track["centre"]) == len(track["inner"]) == len(track["outer"]) == 119
    assert track["centre"][0] == track["centre"][-1]


def test_reset_needs_the_csrf_token_and_then_reaches_the_simulator(console_server):
    console_server.bridge.sim = RACING
    client = console_server.logged_in_client()
    assert client.post("/api/sim/reset", csrf=False).status == 403
    assert console_server.bridge.calls_to("sim_reset") == []
    assert client.post("/api/sim/reset").status == 200
    assert console_server.bridge.calls_to("sim_reset") == [()]
    assert client.get("/api/sim/state").json()["laps"] == 0
