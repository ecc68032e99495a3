"""The fleet link end to end: a real Mosquitto started from the sample configuration (per-car credentials and
ACLs), two whole car stacks started by our launcher, each in a ROS domain of its own with its own data dir and
fleet.txt, and the organisers' `deepracer-fleet` as a real process. One module fixture serves every case:
starting two stacks is the slow part.

Faked, because it cannot exist here: the PWM hardware, as in the fault matrix (the servo node's sysfs backend
over a temporary folder with the car's pwmchip0 files; the throttle's duty_cycle file read every 2 ms by
support.duty_watch) and the camera (the synthetic one). The model installed is the real trained sample model
from deepracer-utils.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from fleet.broker import ORGANISER, Broker, car_credentials

from fleet_pkg.file_server import FileServer
from fleet_pkg.organiser import FleetClient
from fleet_pkg.settings import FleetSettings
from inference_pkg import demo_model
from servo_pkg.backends.sysfs_tree import build_sysfs_tree, pwm_file
from servo_pkg.pwm_math import DEFAULT_THROTTLE
from support.duty_watch import DutyWatch
from support.rosgraph import wait_for
from support.stack import REPO, LaunchedStack, temp_data_dir

CARS = ("car1", "car2")
NODES = "servo_node,navigation_node,inference_node,camera_node,fleet_node"
NEUTRAL = DEFAULT_THROTTLE.mid_ns  # no calibration file: the original car's default calibration
STARTUP_S = 120.0
CLI = Path(sys.executable).with_name("deepracer-fleet")
SAMPLE = REPO / ".cache" / "deepracer-sample-model"


class Car:
    def __init__(self, name: str, broker: Broker, domain: int, sysfs: Path) -> None:
        self.name = name
        self.data_dir = temp_data_dir()
        user, password = car_credentials(name)
        (self.data_dir / "fleet.txt").write_text(
            f"# written by the test\nbroker: 127.0.0.1\nport: {broker.port}\nusername: {user}\n"
            f"password: '{password}'\nname: Car {name[-1]}\n")
        pwm_root, gpio_root = build_sysfs_tree(sysfs, enable_gpio=436)
        self.stack = LaunchedStack(self.data_dir, only=NODES, env={"ROS_DOMAIN_ID": str(domain)}, sets=[
            "servo_node.backend=sysfs", f"servo_node.sysfs_pwm_root={pwm_root}",
            f"servo_node.sysfs_gpio_root={gpio_root}", "camera_node.source=synthetic",
            "fleet_node.status_period_s=1.0", f"fleet_node.restart_command=touch {self.data_dir / 'restarted'}"])
        self.throttle = DutyWatch(pwm_file(sysfs, "throttle"))

    @property
    def models(self) -> dict[str, str]:
        """Installed model name -> checksum.txt, as on disk."""
        root = self.data_dir / "models"
        return {p.name: (p / "checksum.txt").read_text().strip() for p in sorted(root.iterdir())
                if p.is_dir() and not p.name.startswith(".") and (p / "checksum.txt").is_file()}


class Fleet:
    def __init__(self, broker: Broker, cars: list[Car]) -> None:
        self.broker = broker
        self.cars = cars

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        command = [str(CLI), "--broker", self.broker.address, "--username", ORGANISER[0], *args]
        env = {**os.environ, "DEEPRACER_FLEET_PASSWORD": ORGANISER[1]}
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)

    def statuses(self) -> dict[str, dict]:
        result = self.cli("--json", "list")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def all_ok(self, *args: str) -> subprocess.CompletedProcess:
        result = self.cli(*args)
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
        assert all(f"{car.name}  ok" in result.stdout for car in self.cars), result.stdout
        return result

    def client(self) -> FleetClient:
        return FleetClient(FleetSettings("127.0.0.1", self.broker.port, username=ORGANISER[0],
                                         password=ORGANISER[1]))

    def output(self) -> str:
        return "\n".join(f"--- {car.name}\n{car.stack.output()[-4000:]}" for car in self.cars) + \
            f"\n--- broker\n{self.broker.output()[-2000:]}"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    broker = Broker(list(CARS))
    base = int(os.environ["ROS_DOMAIN_ID"])
    cars = [Car(name, broker, (base - 1 + 33 * (index + 1)) % 100 + 1, tmp_path_factory.mktemp(f"sys-{name}"))
            for index, name in enumerate(CARS)]
    fleet = Fleet(broker, cars)
    try:
        wait_for(lambda: all(s.get("online") and "demo" in {m["name"] for m in s.get("models", [])}
                             and s.get("mode") for s in (fleet.statuses().get(c) or {} for c in CARS)),
                 STARTUP_S, f"both cars online with the demo model and a navigation state\n{fleet.output()}")
        yield fleet
    finally:
        for car in cars:
            car.throttle.close()
            if car.stack.process.poll() is None:
                car.stack.stop()
        broker.stop()


def drive_all(fleet: Fleet) -> None:
    """What an organiser does before a heat, all through the fleet link."""
    fleet.all_ok("load", "demo", "--all")
    fleet.all_ok("mode", "autonomous", "--all")
    fleet.all_ok("max-speed", "100", "--all")
    fleet.all_ok("start", "--all")
    for car in fleet.cars:
        wait_for(lambda car=car: car.throttle.value() not in (NEUTRAL, -1), 30,
                 f"{car.name}'s throttle driving\n{fleet.output()}")


def package(folder: Path, name: str) -> Path:
    """A model package as a racer downloads it: model_metadata.json and model.pb in a .tar.gz."""
    archive = folder / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        if (SAMPLE / "model_15.pb").is_file():
            tar.add(SAMPLE / "model_15.pb", arcname="model.pb")
            tar.add(SAMPLE / "model_metadata.json", arcname="model_metadata.json")
        else:  # no sample models fetched: the generated DeepRacer-shaped model instead
            source = demo_model.write_package(folder / f"{name}-src")
            for path in sorted(source.iterdir()):
                tar.add(path, arcname=path.name)
    return archive


def test_estop_all_stops_every_car(fleet: Fleet) -> None:
    drive_all(fleet)
    sent = time.monotonic()
    result = fleet.all_ok("estop", "--all")
    answered = time.monotonic()
    wait_for(lambda: time.monotonic() - answered > 1.0, 5, "an observation window")
    for car in fleet.cars:  # latched: the policy keeps running on frames, the wheels stay at neutral
        samples = car.throttle.since(sent)
        assert {ns for t, ns in samples if t >= answered} == {NEUTRAL}, car.name
        # Stopped for good = the first neutral sample after the last driving one (2 ms resolution); the CLI's
        # own start-up (a Python process) is included.
        last_driving = max((t for t, ns in samples if ns != NEUTRAL), default=sent)
        stopped = next(t for t, ns in samples if t > last_driving and ns == NEUTRAL)
        print(f"{car.name}: throttle neutral for good {stopped - sent:.3f} s after the CLI was started")
    print(result.stderr.strip().splitlines()[-1])
    wait_for(lambda: all(s["emergency_stop"] and not s["started"] for s in (fleet.statuses()[c] for c in CARS)),
             10, f"the cars' statuses saying emergency stop\n{fleet.statuses()}")
    refused = fleet.cli("start", "--all")  # the latch is navigation's: a start is refused until reset
    assert refused.returncode == 1 and refused.stdout.count("FAILED") == 2, refused.stdout
    fleet.all_ok("reset-estop", "--all")


def test_push_all_installs_a_real_model_with_its_md5(fleet: Fleet, tmp_path: Path) -> None:
    archive = package(tmp_path, "racer7")
    graph_md5 = hashlib.md5((SAMPLE / "model_15.pb").read_bytes()).hexdigest() \
        if (SAMPLE / "model_15.pb").is_file() else None
    result = fleet.all_ok("push", str(archive), "--all")
    for car in fleet.cars:
        assert "racer7" in car.models, car.models
        if graph_md5:
            assert car.models["racer7"] == graph_md5
    assert hashlib.md5(archive.read_bytes()).hexdigest() in result.stdout
    wait_for(lambda: all(any(m["name"] == "racer7" and m["md5"] == fleet.cars[0].models["racer7"]
                             for m in s["models"]) for s in fleet.statuses().values()), 15, "racer7 in the status")
    fleet.all_ok("load", "racer7", "--all")


def test_a_wrong_md5_is_refused_and_nothing_changes(fleet: Fleet, tmp_path: Path) -> None:
    archive = package(tmp_path, "racer7")  # the same name as an installed model: it must stay as it was
    before = {car.name: (car.models, sorted(p.stat().st_mtime_ns for p in (car.data_dir / "models").rglob("*")))
              for car in fleet.cars}
    server = FileServer("127.0.0.1", serve=archive)
    client = fleet.client()
    try:
        outcome = client.wait(client.send("install", {"url": server.url(archive.name), "md5": "0" * 32,
                                                      "name": "racer7"}), 120, everyone=True)
    finally:
        client.close()
        server.close()
    assert set(outcome.replies) == set(CARS)
    for reply in outcome.replies.values():
        assert not reply.ok and "md5" in reply.reason and "nothing was installed" in reply.reason, reply
    after = {car.name: (car.models, sorted(p.stat().st_mtime_ns for p in (car.data_dir / "models").rglob("*")))
             for car in fleet.cars}
    assert after == before
    for car in fleet.cars:
        assert not [p for p in car.data_dir.iterdir() if p.name.startswith(".fleet-download-")]


def test_a_stalled_then_killed_broker_leaves_the_cars_driving_under_their_own_rules_and_they_come_back(
        fleet: Fleet) -> None:
    drive_all(fleet)
    pids = {car.name: car.stack.process.pid for car in fleet.cars}
    fleet.broker.process.send_signal(signal.SIGSTOP)  # stalled: connections open, nothing read or answered
    stalled = time.monotonic()
    try:
        wait_for(lambda: time.monotonic() - stalled > 2.0, 10, "a broker stall of 2 s")
    finally:
        fleet.broker.process.send_signal(signal.SIGCONT)
    for car in fleet.cars:
        assert any(ns != NEUTRAL for _, ns in car.throttle.since(stalled + 1.0)), car.name
    fleet.broker.kill()
    killed = time.monotonic()
    wait_for(lambda: time.monotonic() - killed > 3.0, 10, "a broker outage of 3 s")
    for car in fleet.cars:  # the link going away changes nothing on the car: it drives as it was told
        assert car.stack.process.poll() is None
        samples = [ns for _, ns in car.throttle.since(killed + 2.0)]
        # Still driving at the end of the outage (a moment at neutral is the stack's own timeouts on a loaded
        # machine, which is what they are for), and nothing of the stack restarted.
        assert samples and any(ns != NEUTRAL for ns in samples), (car.name, set(samples))
        print(f"{car.name}: {sum(ns != NEUTRAL for ns in samples)}/{len(samples)} samples driving in the last "
              "second of the outage")
        assert "exited with code" not in car.stack.output(), car.stack.output()[-3000:]
    fleet.broker.start()
    wait_for(lambda: all((fleet.statuses().get(c) or {}).get("online") for c in CARS), 60,
             f"both cars back online\n{fleet.output()}")
    assert {car.name: car.stack.process.pid for car in fleet.cars} == pids
    fleet.all_ok("stop", "--all")
    # A start dated before the outage, as a replaying broker or client would deliver it: not acted on.
    client = fleet.client()
    try:
        outcome = client.wait(client.send("start", sent_at=time.time() - 60.0), 15, everyone=True)
    finally:
        client.close()
    assert set(outcome.replies) == set(CARS)
    for reply in outcome.replies.values():
        assert not reply.ok and "not acted on late" in reply.reason, reply
    statuses = fleet.statuses()
    assert not any(statuses[c]["started"] for c in CARS), statuses
    for car in fleet.cars:
        assert car.throttle.value() == NEUTRAL


def test_colour_logs_delete_and_restart_through_the_cli(fleet: Fleet, tmp_path: Path) -> None:
    fleet.all_ok("color", "#ff8000", "--all")
    wait_for(lambda: all(s["color"] == [255, 128, 0] for s in fleet.statuses().values()), 15, "the colour in status")
    for car in fleet.cars:  # a run folder as the logging node leaves one (a real bag is not needed to move it)
        run = car.data_dir / "logs" / "racer7-20261201-101500"
        run.mkdir(parents=True, exist_ok=True)
        (run / "metadata.yaml").write_text(f"car: {car.name}\n")
    fleet.all_ok("logs", "--run", "racer7-20261201-101500", "--all", "--into", str(tmp_path))
    for car in fleet.cars:
        with tarfile.open(tmp_path / car.name / "racer7-20261201-101500.tar.gz") as tar:
            assert tar.extractfile("racer7-20261201-101500/metadata.yaml").read() == f"car: {car.name}\n".encode()
    missing = fleet.cli("delete", "--models", "racer7,nope", "--all")  # all or nothing
    assert missing.returncode == 1 and missing.stdout.count("no model named 'nope'") == 2, missing.stdout
    assert all("racer7" in car.models for car in fleet.cars)
    fleet.all_ok("delete", "--models", "racer7", "--all")
    assert all("racer7" not in car.models and "demo" in car.models for car in fleet.cars)
    fleet.all_ok("restart", "--all")  # the car's own restart command (here: touch a file)
    for car in fleet.cars:
        wait_for((car.data_dir / "restarted").exists, 15, f"{car.name}'s restart command run")


def test_no_password_reaches_a_log_line(fleet: Fleet) -> None:
    for car in fleet.cars:
        output = car.stack.output()
        assert f"connected to 127.0.0.1:{fleet.broker.port} as {car.name}" in output
        assert car_credentials(car.name)[1] not in output and ORGANISER[1] not in output
    assert ORGANISER[1] not in fleet.broker.output()
