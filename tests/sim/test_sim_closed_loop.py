"""The loop closed, end to end: our launcher starts every node as its own process over real DDS, the camera
renders what the simulated car sees, the real trained sample model (deepracer-utils' model_48) drives it
through inference, navigation and the servo node, and the simulator moves the car by the duty cycles the servo
node wrote into its sysfs-shaped PWM files. Everything is driven as a user drives it, through the console's
HTTP API. Stand-ins: the camera device and the PWM hardware (a rendered camera, a folder of PWM files),
because neither exists on this machine.

Both directions of the pair are what proves the loop is closed: with the car's true calibration the model
laps the track; with the steering polarity inverted in the console it leaves the track within a lap. In between,
the servo node is killed while the car drives: the simulator, reading only the PWM files, sees the neutral the
actuation guard writes and the car stops.

Speed: the simulator's top speed is raised to 4 m/s (the real car's class) and the console's maximum speed set
to a moderate 50 %, so the model's actions drive at 0.8 x (1 m/s actions) to 1.0 x (2 m/s actions) the speeds it
was trained at, and two laps take ~20 s instead of ~40 s at the default 2 m/s. The camera runs at the trained
15 fps. (Measured offline with the same renderer and model: the laps hold with up to 0.07-0.1 s between a frame and
its duty cycle reaching the car; on an idle 2-core machine this loop takes 25-45 ms (the pipeline's ~4 ms plus
up to one 20 ms simulator step on each side); a machine loaded far beyond its cores can exceed that.)
"""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest
from webserver.console_client import HttpClient

from support.rosgraph import wait_for
from support.stack import REPO, LaunchedStack, console_login, temp_data_dir

pytestmark = pytest.mark.real_model

MODEL = "deepracer-sample-model-48"
STARTUP_S = 90.0
MAX_SPEED_PERCENT = 50
LAPS = 2
LAP_DEADLINE_S = 40.0  # per lap; the run here takes ~10 s a lap


@pytest.fixture(scope="module")
def console():
    data_dir = temp_data_dir()
    installed = subprocess.run([sys.executable, str(REPO / "tools" / "install_sample_model.py"),
                                "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=600)
    assert (data_dir / "models" / MODEL / "model.pb").is_file(), installed.stderr
    assert (data_dir / "models" / "demo").is_dir(), "the sample model goes in beside the demo model, not instead"
    stack = LaunchedStack(data_dir, sets=["sim_node.top_speed_m_s=4.0"])
    try:
        address, password = console_login(stack, STARTUP_S)
        client = HttpClient(address)
        assert client.login(password).status == 200
        wait_for(lambda: client.get("/api/sim/state").status == 200, STARTUP_S,
                 f"the simulator's state in the console\n{stack.output()}")
        yield client, stack
    finally:
        if stack.process.poll() is None:
            stack.stop()


def _ok(reply) -> dict:
    assert reply.status == 200, reply.body
    return reply.json()


def _start(client: HttpClient, *, load: bool = True) -> None:
    """What a racer does on the Control page: autonomous mode, load the model, maximum speed, Reset, and Start
    once the page shows the car ready (navigation has the model)."""
    _ok(client.post("/api/drive_mode", {"drive_mode": "auto"}))
    if load:
        _ok(client.request("PUT", f"/api/models/{MODEL}/model.pb"))
        loading = wait_for(lambda: (lambda s: s if s["isModelLoading"] in ("loaded", "error") else None)(
            _ok(client.get("/api/isModelLoading"))), STARTUP_S, "the model loaded")
        assert loading["isModelLoading"] == "loaded", loading["reason"]
    wait_for(lambda: (lambda s: s["mode"] == "autonomous" and s["model_ready"])(
        _ok(client.get("/api/navigation_state"))), STARTUP_S, "navigation ready with the model")
    _ok(client.post("/api/max_nav_throttle", {"throttle": MAX_SPEED_PERCENT}))
    _ok(client.post("/api/sim/reset"))
    assert _ok(client.get("/api/sim/state"))["laps"] == 0
    _ok(client.post("/api/start_stop", {"start_stop": "start"}))


def _state(client: HttpClient) -> dict:
    return _ok(client.get("/api/sim/state"))


def test_the_real_model_laps_the_track_and_inverted_steering_leaves_it(console):
    client, stack = console
    _start(client)
    done = wait_for(lambda: (lambda s: s if s["laps"] >= LAPS or s["off_track"] else None)(_state(client)),
                    LAPS * LAP_DEADLINE_S, f"{LAPS} laps or an off-track\n{stack.output()[-3000:]}")
    assert done["off_track"] == 0, f"left the track with the true calibration: {done}"
    assert done["laps"] >= LAPS and len(done["lap_times_s"]) == done["laps"]
    assert all(t > 0 for t in done["lap_times_s"]) and done["best_lap_s"] == min(done["lap_times_s"])
    print(f"\nlaps with the true calibration: {done['lap_times_s']} s")

    # The servo node dies while the car drives: the simulator reads what the actuation guard left on the wires.
    assert _state(client)["speed_m_s"] > 0.5
    servo = next(p for p in psutil.Process(stack.process.pid).children()
                 if "servo_pkg.servo_node" in " ".join(p.cmdline()))
    servo.kill()
    stopped = wait_for(lambda: (lambda s: s if s["speed_m_s"] < 0.05 else None)(_state(client)), 5,
                       f"the simulated car stopping after the servo node died\n{stack.output()[-3000:]}")
    print(f"servo node killed: the car coasted to {stopped['speed_m_s']} m/s")
    _ok(client.post("/api/start_stop", {"start_stop": "stop"}))
    wait_for(lambda: client.get("/api/get_calibration/angle").status == 200, STARTUP_S,
             f"the restarted servo node answering\n{stack.output()[-3000:]}")

    # The technician's mistake: steering polarity inverted in the calibration wizard.
    _ok(client.post("/api/set_calibration_mode"))
    steering = _ok(client.get("/api/get_calibration/angle"))
    _ok(client.post("/api/set_calibration/angle", {"min": steering["min"], "mid": steering["mid"],
                                                   "max": steering["max"], "polarity": -steering["polarity"]}))
    _start(client, load=False)  # the model stays loaded
    left = wait_for(lambda: (lambda s: s if s["laps"] >= 1 or s["off_track"] else None)(_state(client)),
                    LAP_DEADLINE_S, f"an off-track or a lap\n{stack.output()[-3000:]}")
    _ok(client.post("/api/start_stop", {"start_stop": "stop"}))
    assert left["off_track"] >= 1 and left["laps"] == 0, f"inverted steering did not leave the track: {left}"
    print(f"inverted steering: off the track at {left['progress']} % of the first lap")
