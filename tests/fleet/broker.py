"""A real Mosquitto (Debian's package) for the fleet tests, started from the repo's sample configuration.

The sample is used as shipped except for what must differ on a test machine: it listens on a free loopback
port only, reads a password file and the sample ACL from a temporary folder, and runs as the current user.
"""

from __future__ import annotations

import getpass
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from support.rosgraph import stop_process, wait_for
from support.stack import REPO, free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SAMPLE = REPO / "launch" / "fleet"
ORGANISER = ("organiser", "organiser-secret")


def car_credentials(car: str) -> tuple[str, str]:
    return car, f"{car}-secret"


def test_config(sample: str, port: int, folder: Path) -> str:
    """The sample configuration with the test's port, files and user."""
    text = re.sub(r"(?m)^listener 1883$", f"listener {port} 127.0.0.1", sample)
    text = text.replace("/etc/mosquitto/deepracer/passwords", str(folder / "passwords"))
    text = text.replace("/etc/mosquitto/deepracer/acl", str(folder / "acl"))
    return text + f"\nuser {getpass.getuser()}\n"


class Broker:
    def __init__(self, cars: list[str], port: int | None = None) -> None:
        if not Path(MOSQUITTO).exists():
            raise AssertionError("Debian's mosquitto is missing: run tools/bootstrap_test.sh (apt-get install "
                                 "mosquitto mosquitto-clients)")
        self.folder = Path(tempfile.mkdtemp(prefix="fleet-broker-"))
        self.port = port or free_port()
        passwords = self.folder / "passwords"
        passwords.touch()
        for user, password in [ORGANISER, *(car_credentials(car) for car in cars)]:
            subprocess.run(["mosquitto_passwd", "-b", str(passwords), user, password], check=True,
                           capture_output=True)
        shutil.copy(SAMPLE / "acl", self.folder / "acl")
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text(test_config((SAMPLE / "mosquitto.conf").read_text(), self.port, self.folder))
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.log = (self.folder / "mosquitto.log").open("ab")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_for(self._accepting, 15, f"mosquitto listening on 127.0.0.1:{self.port}\n{self.output()}")

    def _accepting(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"mosquitto exited with {self.process.returncode}:\n{self.output()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.folder / "mosquitto.log").read_text(errors="replace")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process, 15, 10, self.output)
        self.log.close()
