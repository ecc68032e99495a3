"""DeepRacer Event Manager's log fetch after each race, against the real logging node over real DDS (issue 24,
item 4), with DREM v3.2.0's commands as its lambda sends them (deepracer-facts.md, "Corrections and additions"):

    export HOME=/root
    source /opt/aws/deepracer/lib/setup.bash
    ros2 service call /logging_pkg/stop_logging std_srvs/srv/Trigger
    logs_folder=$(ros2 param get /logging_pkg/bag_log_node output_path --hide-type --no-daemon) || ...
    cd $logs_folder
    find . -mindepth 1 -maxdepth 1 -type d -newermt "<laterThan>" -name "<racer>*" -exec tar -rvf <tar> {} +
    [ -e <tar> ] || tar -cvf <tar> --files-from /dev/null
    gzip <tar>

There is no `ros2` command line here (it is not on PyPI): the two ros2 lines are made as the ros2 CLI makes them,
with rclpy (a Trigger call; the node's `get_parameters` service, printed as `--hide-type` prints a string); the rest
runs verbatim in bash, then the fetched archive is unpacked and its bags read back with `rosbags`. The curl upload
is left out (no traffic leaves this machine). Racers and models are as DREM makes them: the model folder
`<username>-<file name>`, the racer's name with everything but letters, digits and `-` removed.

Stands in for the car's other nodes: this test publishes navigation's latched state and the camera's frames, as
navigation and the camera do.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from rcl_interfaces.msg import ParameterType
from rcl_interfaces.srv import GetParameters
from rclpy.duration import Duration
from rosbags.highlevel import AnyReader
from std_srvs.srv import Trigger

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import CameraFrames, NavigationState
from logging_pkg.bag_format import COMPLETE, STATE_KEY
from support.rosgraph import NodeProcess, RosProbe, wait_for

STARTUP_S = 30.0
FRAME_PERIOD_S = 1 / 15  # the camera's pace: publishing, not synchronisation
DREM_NODE = "/logging_pkg/bag_log_node"


@pytest.fixture
def car(tmp_path):
    """The logging node as the car runs it, and a probe in the roles of navigation and the camera."""
    logs = tmp_path / "logs"
    logger = NodeProcess("logging_pkg", "logging_node", {"output_path": str(logs), "chunk_kb": 16,
                                                         "check_period_s": 0.1})
    probe = RosProbe()
    try:
        yield logs, logger, probe
    finally:
        probe.close()  # its latched "started" state leaves with it
        logger.stop()


def _drive(publisher, started: bool, model: str, run_started_ns: int) -> None:
    publisher.publish(NavigationState(mode="autonomous", started=started, model_name=model, model_ready=True,
                                      run_started_ns=run_started_ns if started else 0))
    assert publisher.wait_for_all_acked(Duration(seconds=10)), "the logger did not take navigation's state"


def _frames(publisher, count: int) -> None:
    message = CameraFrames()
    for sequence in range(count):
        message.sequence = sequence
        message.header.stamp.sec, message.header.stamp.nanosec = divmod(time.time_ns(), 1_000_000_000)
        publisher.publish(message)
        time.sleep(FRAME_PERIOD_S)


def _run_folders(logs: Path) -> list[Path]:
    return sorted(p for p in logs.iterdir() if p.is_dir()) if logs.is_dir() else []


def _new_run(logs: Path, known: list[Path], logger: NodeProcess) -> Path:
    return wait_for(lambda: next((p for p in _run_folders(logs) if p not in known), None), STARTUP_S,
                    lambda: f"a new run folder in {logs}\n{logger.output()[-2000:]}")


def _drem_time(moment: datetime) -> str:
    """An AWSDateTime as DREM passes `laterThan`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ros2_param_get_hide_type(probe: RosProbe, node: str, name: str) -> str:
    """`ros2 param get <node> <name> --hide-type`: the node's get_parameters service; a string prints as itself."""
    answer = probe.call(GetParameters, f"{node}/get_parameters", GetParameters.Request(names=[name]), STARTUP_S)
    [value] = answer.values
    assert value.type == ParameterType.PARAMETER_STRING, f"{node} has no string parameter {name} (DREM falls back)"
    return value.string_value


def drem_fetch(probe: RosProbe, racer: str, later_than: str, work: Path) -> Path:
    """One fetch as DREM's lambda runs it; returns the unpacked archive's folder."""
    stopped = probe.call(Trigger, names.LOGGING_STOP_LOGGING, Trigger.Request(), STARTUP_S)
    assert stopped.success, stopped.message
    logs_folder = ros2_param_get_hide_type(probe, DREM_NODE, "output_path")
    racer_name = re.sub("[^0-9a-zA-Z-]+", "", racer)  # DREM's own cleaning of the racer's name
    archive = work / f"car_{racer_name}"
    script = "\n".join([
        "set -e",
        f"logs_folder='{logs_folder}'",
        "echo Using folder $logs_folder",
        "cd $logs_folder",
        f'find . -mindepth 1 -maxdepth 1 -type d -newermt "{later_than}" -name "{racer_name}*" '
        f"-exec tar -rvf {archive}.tar {{}} +",
        f"[ -e {archive}.tar ] || tar -cvf {archive}.tar --files-from /dev/null",
        f"gzip {archive}.tar",
    ])
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    unpacked = work / f"unpacked_{racer_name}"
    with tarfile.open(f"{archive}.tar.gz") as tar:
        tar.extractall(unpacked, filter="data")
    return unpacked


def _bag(folder: Path) -> tuple[str, int]:
    info = yaml.safe_load((folder / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    with AnyReader([folder]) as reader:
        frames = sum(c.msgcount for c in reader.connections if c.topic == names.CAMERA_FRAMES)
    return info["custom_data"][STATE_KEY], frames


def test_drems_fetch_after_a_race_gets_that_racers_run_and_the_next_racers_run_is_recorded_and_fetched(
        car, tmp_path):
    logs, logger, probe = car
    state = probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED, timeout=STARTUP_S)
    _drive(state, False, "", 0)  # the car in autonomous mode: the logger reads the camera from now on
    camera = probe.publisher(CameraFrames, names.CAMERA_FRAMES, qos.LATEST, timeout=STARTUP_S)
    event_start = datetime.now(UTC)

    # Alice's race: her model as DREM uploads it (username "alice", file fast.tar.gz).
    _drive(state, True, "alice-fast", 1)
    alice = _new_run(logs, [], logger)
    _frames(camera, 20)
    _drive(state, False, "alice-fast", 1)  # the race ends: the car stops
    # The race is submitted and DREM fetches at once: well within the logger's 15 s idle time.
    fetched = drem_fetch(probe, "alice", _drem_time(event_start), tmp_path)
    assert [p.name for p in fetched.iterdir()] == [alice.name]
    status, frames = _bag(fetched / alice.name)
    assert status == COMPLETE and frames >= 10

    # Bob, next: his username has an underscore, which DREM keeps in the model folder and drops from the racer's
    # name it finds runs by. He starts seconds after the fetch, within the idle time of Alice's stop.
    bob_race_start = datetime.now(UTC)
    _drive(state, True, "bob_smith-fast", 2)
    bob = _new_run(logs, [alice], logger)
    _frames(camera, 20)
    _drive(state, False, "bob_smith-fast", 2)
    fetched = drem_fetch(probe, "bob_smith", _drem_time(event_start), tmp_path)  # since the event began: the
    assert [p.name for p in fetched.iterdir()] == [bob.name]  # racer's name alone tells the runs apart
    status, frames = _bag(fetched / bob.name)
    assert status == COMPLETE and frames >= 10
    # And by the race's start time alone, as DREM passes it: Bob's run only.
    fetched = drem_fetch(probe, "", _drem_time(bob_race_start), tmp_path)
    assert [p.name for p in fetched.iterdir()] == [bob.name]
