"""Output for laptops and tests: remembers every write instead of driving hardware.

Same lifecycle and checks as the real backends (the base class does them), so code that works against
this works against the car, minus the wires.
"""

from __future__ import annotations

from servo_pkg.backends.base import PwmBackend


class SimulatedBackend(PwmBackend):
    def __init__(self, neutral: dict[str, int]) -> None:
        super().__init__(neutral)
        self.writes: list[dict[str, int]] = []
        self.values: dict[str, int] = {}
        self.powered = False

    def _open(self) -> None:
        pass

    def _write(self, duties: dict[str, int]) -> bool:
        self.writes.append(dict(duties))
        self.values.update(duties)
        return True

    def _power(self, on: bool) -> None:
        self.powered = on

    def _close(self) -> None:
        pass
