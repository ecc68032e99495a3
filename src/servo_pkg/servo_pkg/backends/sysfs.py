"""The DeepRacer's own PWM hardware through the Linux sysfs PWM and GPIO interfaces.

Hardware assumptions (the original car): one PWM chip, `/sys/class/pwm/pwmchip0`, channel 0 the ESC
(throttle), 1 the steering servo, 2/3/4 the tail light's red/green/blue; every channel at the 50 Hz servo
period (20,000,000 ns; the tail light too, where 10,000,000 ns is full brightness). A GPIO (436) switches
the servo power and is active low: writing 0 powers the servo and ESC, 1 cuts them.

sysfs protocol: writing N to `<chip>/export` makes the kernel create `<chip>/pwmN/` with `period`,
`duty_cycle` and `enable`; a channel already exported (by an earlier run) is not exported again, since
the kernel answers that with EBUSY. The GPIO works the same way under `/sys/class/gpio`
(`export`, `gpioN/direction`, `gpioN/value`). Values are written as decimal text. The PWM outputs are
switched on only after neutral is written, and the servo power only after the outputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from servo_pkg.backends.base import TAIL_BLUE, TAIL_GREEN, TAIL_RED, BackendError, PwmBackend
from servo_pkg.pwm_math import PWM_PERIOD_NS, STEERING, THROTTLE

DEEPRACER_CHANNELS = {THROTTLE: 0, STEERING: 1, TAIL_RED: 2, TAIL_GREEN: 3, TAIL_BLUE: 4}
SERVO_POWER_ON = "0"
SERVO_POWER_OFF = "1"


def write_attribute(path: Path | str, value: int | str, *, regular_file: bool = False) -> None:
    """One sysfs write: open, write the decimal text, close (sysfs acts on each write). With the bare system calls:
    Python's file object around them cost more than the write itself (a duty cycle per channel per frame).

    `regular_file`: the simulator's tree of ordinary files (simulated_output_dir), which a truncating open made cost
    0.24 ms a write on ext4: the value is written over the old one and the file cut to its length instead (a no-op
    when the length is the same, as a duty cycle's mostly is). Never on sysfs, which has no length to cut."""
    data = str(value).encode("ascii")
    if regular_file:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, data)
            os.ftruncate(descriptor, len(data))
        finally:
            os.close(descriptor)
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


class SysfsBackend(PwmBackend):
    def __init__(self, neutral: Mapping[str, int], *, pwm_root: Path, gpio_root: Path, enable_gpio: int,
                 channels: Mapping[str, int] = DEEPRACER_CHANNELS, period_ns: int = PWM_PERIOD_NS,
                 regular_files: bool = False) -> None:
        """`regular_files`: the tree is the simulator's ordinary files, not sysfs (write_attribute)."""
        super().__init__(neutral)
        self._regular_files = regular_files
        self._pwm_root = Path(pwm_root)
        self._gpio_root = Path(gpio_root)
        self._gpio = enable_gpio
        self._channels = dict(channels)
        self._period_ns = period_ns
        # Written for every drive command: the paths made once (building them cost more than the write).
        self._duty_paths = {channel: str(self._pwm(channel) / "duty_cycle") for channel in self._channels}
        # What each duty_cycle file holds, as this backend last wrote it (no entry: unknown). A channel that would
        # get the value it holds is not written again: the PWM chip keeps a duty cycle until it is changed, and a
        # policy's discrete actions repeat frame after frame, so most commands change one channel or none; each
        # write is an open, a write and a close (90 us of a command's time in the car's budget, measured). The
        # only other writer, the actuation guard, writes the throttle's neutral, after which this node writes it too.
        self._on_output: dict[str, int] = {}

    def _pwm(self, channel: str) -> Path:
        return self._pwm_root / f"pwm{self._channels[channel]}"

    @property
    def _gpio_dir(self) -> Path:
        return self._gpio_root / f"gpio{self._gpio}"

    def _setup(self, path: Path, value: int | str) -> None:
        try:
            write_attribute(path, value)
        except OSError as error:
            raise BackendError(f"cannot write {value} to {path}: {error} (the servo node needs write "
                               f"access to the PWM and GPIO sysfs files; run with backend:=simulated on a "
                               f"laptop)") from error

    def _export(self, root: Path, number: int, expected: Path) -> None:
        if expected.is_dir():
            return
        export = root / "export"
        if not export.exists():
            raise BackendError(f"expected {export} (sysfs root {root}), found nothing: is this the car? "
                               f"set the sysfs root parameters, or backend:=simulated on a laptop")
        self._setup(export, number)
        if not expected.is_dir():
            raise BackendError(f"exported {number} through {export}, but {expected} did not appear")

    def _open(self) -> None:
        for channel in self._channels:
            pwm = self._pwm(channel)
            self._export(self._pwm_root, self._channels[channel], pwm)
            self._setup(pwm / "period", self._period_ns)
        self._export(self._gpio_root, self._gpio, self._gpio_dir)
        # "high" = output, starting high (power off) without the glitch "out" (starting low = on) would give.
        self._setup(self._gpio_dir / "direction", "high")

    def _write(self, duties: dict[str, int]) -> bool:
        on_output = self._on_output
        try:
            for channel, ns in duties.items():
                if on_output.get(channel) == ns:
                    continue
                on_output.pop(channel, None)  # unknown until this write succeeded
                write_attribute(self._duty_paths[channel], ns, regular_file=self._regular_files)
                on_output[channel] = ns
        except OSError as error:
            self.problem = f"sysfs PWM write failed: {error}"
            return False
        self.problem = None
        return True

    def _power(self, on: bool) -> None:
        """On: PWM outputs, then servo power. Off: the reverse, so power never meets an undriven input."""
        self._on_output.clear()  # outputs switched: every value is written again from here
        enables = [self._pwm(channel) / "enable" for channel in self._channels]
        if on:
            for path in enables:
                self._setup(path, 1)
            self._setup(self._gpio_dir / "value", SERVO_POWER_ON)
        else:  # every step is tried even if one fails: cutting power matters more than a clean report
            failures = []
            for path, value in [(self._gpio_dir / "value", SERVO_POWER_OFF), *((path, 0) for path in enables)]:
                try:
                    self._setup(path, value)
                except BackendError as error:
                    failures.append(str(error))
            if failures:
                raise BackendError("; ".join(failures))

    def _close(self) -> None:
        pass
