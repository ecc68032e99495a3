"""Console test fixtures: the real app, served by cheroot over real HTTP on 127.0.0.1, in front of the
in-process robot (`webserver_pkg.robot.in_process`: navigation's and the model package's real cores; the ROS
graph itself is not needed to test the console, and test_console_node runs the real node). The browser
tests in browser/ use `console_server` too."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from webserver.console_client import ConsoleTestServer, ManualClock

from inference_pkg.demo_model import write_package
from webserver_pkg.app import create_app
from webserver_pkg.config import ConsoleConfig
from webserver_pkg.context import EXTENSION
from webserver_pkg.robot.in_process import InProcessRobot
from webserver_pkg.server import ConsoleServer
from webserver_pkg.services import credentials

TEST_PASSWORD = "racer-asset-tag-42"
TEST_SERIAL = "DRCHASSIS0042"


@pytest.fixture
def start_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], ConsoleTestServer]]:
    """Start the console on a free port, with the console folder `tmp_path/console` as the test left it
    (so a test can damage its files first), a fresh models folder and in-process robot; stopped at the end.

    The password comes from a fake chassis asset tag file (so the asset-tag path is exercised too),
    hashed with a cheap scrypt cost so hundreds of logins keep the suite fast.
    """
    monkeypatch.setattr(credentials, "PASSWORD_HASH", "scrypt:1024:8:1")
    asset_tag = tmp_path / "chassis_asset_tag"
    asset_tag.write_text(TEST_PASSWORD + "\n")
    chassis_serial = tmp_path / "chassis_serial"  # stands in for /sys/class/dmi/id/chassis_serial
    chassis_serial.write_text(TEST_SERIAL + "\n")
    config = ConsoleConfig(host="127.0.0.1", port=0, console_dir=str(tmp_path / "console"),
                           models_root=str(tmp_path / "models"), runs_root=str(tmp_path / "logs"),
                           asset_tag_path=str(asset_tag), chassis_serial_path=str(chassis_serial),
                           system_log_path=str(tmp_path / "syslog"), max_upload_mb=64)
    running: list[tuple[object, ConsoleServer]] = []

    def start() -> ConsoleTestServer:
        bridge, clock = InProcessRobot(), ManualClock()
        app = create_app(config, bridge, clock=clock)
        app.extensions[EXTENSION].frames.keepalive_s = 0.1  # closed viewers are noticed within tenths of a second
        server = ConsoleServer(app, config.host, config.port, poll_s=0.02)
        server.start()
        running.append((app, server))
        return ConsoleTestServer(url=f"http://127.0.0.1:{server.port}", password=TEST_PASSWORD, bridge=bridge,
                                 models_root=config.models_path, console_dir=config.console_path, clock=clock,
                                 app=app)

    yield start
    for app, server in running:
        app.extensions[EXTENSION].close()
        server.stop()


@pytest.fixture
def console_server(start_console: Callable[[], ConsoleTestServer]) -> ConsoleTestServer:
    """The console with a fresh console folder, models folder and in-process robot."""
    return start_console()


@pytest.fixture(scope="session")
def model_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model package (.tar.gz of the inference package's demo network, ~20 MB), built once."""
    folder = tmp_path_factory.mktemp("model-package")
    write_package(folder / "package")
    archive = folder / "demo-model.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(folder / "package", arcname=".")
    return archive
