"""Running nmcli and reading its terse (-t) output.

Terse output is nmcli's documented interface for scripts (nmcli(1), "-t, --terse"): one record a line, fields
separated by ':', and a ':' or '\\' inside a value escaped with a backslash (BSSIDs come out as 31\\:23\\:...).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

NMCLI = "nmcli"


@dataclass(frozen=True)
class NmcliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error(self) -> str:
        """nmcli's own message without its 'Error: ' prefix."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        message = text[-1] if text else f"nmcli exited with {self.returncode}"
        return message.removeprefix("Error: ").strip()


def split_terse(line: str) -> list[str]:
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def terse_rows(text: str, fields: int) -> list[list[str]]:
    """The lines of `text` with exactly `fields` fields each (anything else is not a record and is skipped)."""
    rows = [split_terse(line) for line in text.splitlines() if line]
    return [row for row in rows if len(row) == fields]


class NmcliRunner:
    """Runs nmcli with a deadline; `program` lets tests name a stub."""

    def __init__(self, program: str = NMCLI, timeout_s: float = 10.0) -> None:
        self.program = program
        self.timeout_s = timeout_s

    def __call__(self, args: Sequence[str], *, timeout_s: float | None = None) -> NmcliResult:
        from system_pkg.network.base import NetworkError

        deadline = timeout_s if timeout_s is not None else self.timeout_s
        try:
            done = subprocess.run([self.program, *args], capture_output=True, text=True, timeout=deadline,
                                  check=False)
        except FileNotFoundError as error:
            raise NetworkError("nmcli is not installed: the car's network is managed by NetworkManager "
                               "(apt install network-manager), or set network_backend to simulated") from error
        except subprocess.TimeoutExpired as error:
            raise NetworkError(f"NetworkManager did not answer within {deadline:.0f} s (nmcli "
                               f"{' '.join(args[:3])})") from error
        return NmcliResult(done.returncode, done.stdout, done.stderr)
