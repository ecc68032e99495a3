"""Every client of a rule gives the rule's answer: the console, the original car's ROS interface (compat_node), the
fleet link and the USB watcher, against the stack started by our launcher, over real DDS. The fleet link's agent
(`RosCarActions`) runs in this process on the test's node, as fleet_node runs it, without the MQTT link
(tests/fleet has that); a folder put in the data dir's usb/ is an inserted stick (system_node's laptop default).

"The model is ready to start" (drive_rules.model_readiness): "loaded" only once navigation, whose Start needs it,
has taken the model's action space. Navigation, run alone in its process here, is stopped (SIGSTOP, a node the
machine starves) while a model loads, so the moment between the inference node's "loaded" and navigation's is as
long as the test needs; every client must say "loading" then.

"Never replace or delete the model that is driving" (drive_rules.model_change_refusal): while the car is started,
the console's delete, the fleet link's delete and install, and a stick's models/ all leave that model's folder as it
is, and say why.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import tarfile
import threading
from pathlib import Path

import psutil
import pytest
from std_srvs.srv import SetBool
from webserver.console_client import HttpClient

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import ModelState, NavigationState
from deepracer_interfaces_pkg.srv import GetModelLoadingStatusSrv
from fleet_pkg.agent import CommandRefused
from fleet_pkg.config import FleetConfig
from fleet_pkg.ros_actions import RosCarActions
from fleet_pkg.settings import FleetSettings
from support.rosgraph import wait_for
from support.stack import LaunchedStack, alone_in_its_process, console_login, installed_model_dir, temp_data_dir

STARTUP_S = 90.0
RACER = "racer7"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # Navigation in a process of its own (it shares the frame path's on the car), so it can be stopped alone.
    launched = LaunchedStack(temp_data_dir(), only="servo_node,navigation_node,inference_node,webserver_node,"
                                                    "compat_node,system_node",
                             graph=alone_in_its_process("navigation_node", tmp_path_factory.mktemp("graph")))
    yield launched
    if launched.process.poll() is None:
        launched.stop()


@pytest.fixture(scope="module")
def console(stack):
    _, password = console_login(stack, STARTUP_S)
    client = HttpClient(stack.url)
    assert wait_for(lambda: client.login(password).status == 200 or None, STARTUP_S, "a console login")
    return client


@pytest.fixture(scope="module")
def fleet(stack, ros_probe):
    """The fleet link's actions, fed the latched states as fleet_node feeds them."""
    actions = RosCarActions(ros_probe.node, FleetConfig(models_root=str(stack.data_dir / "models"),
                                                        service_timeout_s=10.0, load_timeout_s=60.0),
                            FleetSettings("127.0.0.1", name="car1"))
    subscriptions = [ros_probe.node.create_subscription(NavigationState, names.NAVIGATION_STATE,
                                                        actions.on_navigation, qos.LATCHED),
                     ros_probe.node.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, actions.on_model,
                                                        qos.LATCHED)]
    yield actions
    for subscription in subscriptions:
        ros_probe.node.destroy_subscription(subscription)
    actions.close()


def node_process(stack: LaunchedStack, module: str) -> psutil.Process:
    return wait_for(lambda: next((p for p in psutil.Process(stack.process.pid).children()
                                  if module in " ".join(p.cmdline())), None), STARTUP_S, f"the {module} process")


def compat_word(probe) -> str:
    return probe.call(GetModelLoadingStatusSrv, names.ORIGINAL_IS_MODEL_LOADING, GetModelLoadingStatusSrv.Request(),
                      STARTUP_S).model_loading_status


def console_word(console: HttpClient) -> str:
    return console.get("/api/isModelLoading").json()["isModelLoading"]


def test_every_client_says_loaded_only_once_navigation_can_start(stack, console, fleet, ros_probe):
    demo = installed_model_dir(stack, STARTUP_S)  # the demo model the inference node installs (and may have loaded)
    model: Path = stack.data_dir / "models" / RACER  # the next racer's model, dropped in as DREM does
    shutil.copytree(demo, model, ignore=shutil.ignore_patterns(".*"))
    states = ros_probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
    navigation = node_process(stack, "navigation_pkg.navigation_node")
    # First the demo model, with navigation running: every client has heard navigation and says "loaded".
    assert fleet.load_model(demo.name)["model"] == demo.name
    wait_for(lambda: (compat_word(ros_probe), console_word(console)) == ("loaded", "loaded"), 15,
             "compat_node and the console saying loaded for the demo model")
    answers: dict[str, object] = {}

    def fleet_load() -> None:
        try:
            answers["fleet"] = fleet.load_model(model.name)
        except CommandRefused as refused:
            answers["fleet"] = refused

    navigation.suspend()
    try:
        loader = threading.Thread(target=fleet_load, daemon=True)
        loader.start()  # the organiser's `load`: the agent calls the inference node and waits for the model
        states.wait_for(lambda s: s.state == "loaded" and s.model_name == model.name, STARTUP_S,
                        "the inference node's loaded")
        # What DREM polls before it starts the car, and the console's word, once each has heard the model.
        assert wait_for(lambda: {compat_word(ros_probe)} - {"idle"}, 15, "compat_node hearing the model") == \
            {"loading"}
        assert wait_for(lambda: {console_word(console)} - {"idle"}, 15, "the console hearing the model") == \
            {"loading"}
        loader.join(0.5)  # an observation window: the organiser has no answer while navigation cannot start
        assert loader.is_alive(), f"the fleet link answered {answers.get('fleet')!r} before navigation took the model"
    finally:
        navigation.resume()
    loader.join(STARTUP_S)
    assert answers["fleet"] == {"model": model.name, "load_seconds": pytest.approx(answers["fleet"]["load_seconds"])}
    wait_for(lambda: compat_word(ros_probe) == "loaded", 15, "compat_node's loaded once navigation took the model")
    assert console_word(console) == "loaded"
    assert fleet.status()["model"]["state"] == "loaded"



def racer_package(folder: Path, into: Path) -> Path:
    """The racer's model as the .tar.gz it came in: its metadata and graph files at the top."""
    package = into / f"{folder.name}.tar.gz"
    with tarfile.open(package, "w:gz") as tar:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.name != "checksum.txt":
                tar.add(path, arcname=path.name)
    return package


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    """An organiser's machine serving `folder` (on loopback: the event network here)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_no_client_replaces_or_deletes_the_model_driving_the_car(stack, console, fleet, ros_probe, tmp_path):
    model = stack.data_dir / "models" / RACER
    if not model.is_dir():  # this test alone: the previous one dropped and loaded it
        shutil.copytree(installed_model_dir(stack, STARTUP_S), model, ignore=shutil.ignore_patterns(".*"))
    fleet.load_model(RACER)
    package = racer_package(model, tmp_path)
    md5 = hashlib.md5(package.read_bytes(), usedforsecurity=False).hexdigest()
    server = serve(tmp_path)
    url = f"http://127.0.0.1:{server.server_address[1]}/{package.name}"
    assert ros_probe.call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=True), STARTUP_S).success
    # Each client hears navigation's latched state on its own subscription: the console and the fleet link say when
    # they have; the system node has long heard it by the time the stick is put in, after them.
    wait_for(lambda: console.get("/api/navigation_state").json()["started"], 15, "the console hearing the start")
    wait_for(lambda: fleet.status()["started"], 15, "the fleet link hearing the start")
    inode = model.stat().st_ino  # a replaced model is another folder swapped in
    try:
        deleted = console.post("/api/deleteModels", {"filenames": [RACER]})
        assert deleted.status == 409 and "the car is driving" in deleted.json()["reason"], deleted.body
        uploaded = console.upload("/api/uploadModels?on_conflict=replace", package.name, package.read_bytes())
        assert uploaded.status == 409 and "the car is driving" in uploaded.json()["reason"], uploaded.body
        with pytest.raises(CommandRefused, match=f"{RACER} is the model driving the car: stop the car first; "
                                                 "nothing was deleted"):
            fleet.delete_models([RACER])
        with pytest.raises(CommandRefused, match=f"{RACER} is the model driving the car: stop the car first; "
                                                 "nothing was installed"):
            fleet.install_model(url, md5, RACER)
        stick = tmp_path / "stick"
        (stick / "models").mkdir(parents=True)
        shutil.copy(package, stick / "models")
        (stack.data_dir / "usb").mkdir(exist_ok=True)
        stick.rename(stack.data_dir / "usb" / "stick1")  # inserted whole, as a mounted stick appears
        line = wait_for(lambda: next((text for text in stack.output().splitlines() if "USB stick" in text and
                                      "installed" in text), None), 30,
                        lambda: f"the system node's word on the stick\n{stack.output()[-3000:]}")
        assert f"{RACER}.tar.gz not installed: {RACER} is the model driving the car: stop the car first; the " \
               "installed one was kept" in line, line
        assert model.stat().st_ino == inode
    finally:
        assert ros_probe.call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=False), STARTUP_S).success
    # Stopped, the same install goes through: the rule, not a broken path, refused it.
    assert fleet.install_model(url, md5, RACER)["model"] == RACER
    assert model.stat().st_ino != inode
    server.shutdown()
