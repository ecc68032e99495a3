"""A folder laid out like the DeepRacer's sysfs PWM and GPIO trees: the simulated car's "hardware".

Why: the simulator (sim_pkg) must see what reached the wheels, not what anyone meant to send, including the neutral
that the actuation guard writes after the servo node died. With the simulated output in this layout, the servo node
drives it through the real sysfs backend code, the guard writes the same `duty_cycle` file it would write on the
car, and the simulator reads it back. The channels start exported (there is no kernel here to create `pwmN/` on
`export`); existing files are kept, so a restarted servo node finds what the guard left.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from servo_pkg.backends.sysfs import DEEPRACER_CHANNELS

PWM_CHIP = "pwmchip0"
GPIO_DIR = "gpio"


def _touch(path: Path, value: str) -> None:
    if not path.exists():
        path.write_text(value, encoding="ascii")


def build_sysfs_tree(root: Path, *, enable_gpio: int,
                     channels: Mapping[str, int] = DEEPRACER_CHANNELS) -> tuple[Path, Path]:
    """Create (if missing) `<root>/pwmchip0/pwmN/{period,duty_cycle,enable}` and `<root>/gpio/gpioN/{direction,
    value}`; returns the PWM chip folder and the GPIO folder, as the sysfs backend takes them."""
    pwm_root, gpio_root = root / PWM_CHIP, root / GPIO_DIR
    for number in channels.values():
        folder = pwm_root / f"pwm{number}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("period", "duty_cycle", "enable"):
            _touch(folder / name, "0")
    (pwm_root / "export").touch()
    gpio = gpio_root / f"gpio{enable_gpio}"
    gpio.mkdir(parents=True, exist_ok=True)
    _touch(gpio / "direction", "in")
    _touch(gpio / "value", "1")
    (gpio_root / "export").touch()
    return pwm_root, gpio_root


def pwm_file(root: Path, channel: str, name: str = "duty_cycle",
             channels: Mapping[str, int] = DEEPRACER_CHANNELS) -> Path:
    """Where a channel's attribute lives in a tree built by build_sysfs_tree (for readers: simulator, tests)."""
    return root / PWM_CHIP / f"pwm{channels[channel]}" / name
