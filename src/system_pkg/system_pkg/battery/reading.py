"""What every battery backend answers: a level on the original 0-11 scale, or -1 with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from system_pkg.battery.levels import UNKNOWN


@dataclass(frozen=True)
class BatteryReading:
    level: int
    source: str
    problem: str = ""

    @classmethod
    def failed(cls, source: str, problem: str) -> BatteryReading:
        return cls(UNKNOWN, source, problem)

    def is_low(self, low_level: int) -> bool:
        return 0 <= self.level <= low_level


class BatteryBackend(Protocol):
    def read(self) -> BatteryReading: ...

    def close(self) -> None: ...
