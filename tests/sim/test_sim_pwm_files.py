"""Reading what reached the hardware: the servo package's real sysfs backend writes a FAKE sysfs tree (a
temporary folder laid out as the car's pwmchip0, since this machine has no PWM hardware); the simulator reads
the same files back."""

from __future__ import annotations

from pathlib import Path

from servo_pkg.backends.sysfs import DEEPRACER_CHANNELS, SysfsBackend, write_attribute
from servo_pkg.pwm_math import Calibration
from sim_pkg.pwm_files import CHIP, PwmReader

NEUTRAL = Calibration().neutral()


def _tree(root: Path) -> tuple[Path, Path]:
    """pwmchip0 with its channels already exported (no kernel here to create them) and the servo-power GPIO."""
    pwm, gpio = root / CHIP, root / "gpio"
    for number in DEEPRACER_CHANNELS.values():
        (pwm / f"pwm{number}").mkdir(parents=True)
        for name in ("period", "duty_cycle", "enable"):
            (pwm / f"pwm{number}" / name).write_text("0")
    (gpio / "gpio436").mkdir(parents=True)
    for name in ("direction", "value"):
        (gpio / "gpio436" / name).write_text("")
    return pwm, gpio


def test_reads_what_the_sysfs_backend_wrote(tmp_path):
    pwm, gpio = _tree(tmp_path)
    reader = PwmReader(tmp_path)
    assert reader.read().steering_ns is None  # outputs not enabled yet: nothing drives the wires
    backend = SysfsBackend(NEUTRAL, pwm_root=pwm, gpio_root=gpio, enable_gpio=436)
    backend.activate()
    assert (reader.read().steering_ns, reader.read().throttle_ns) == (NEUTRAL["steering"], NEUTRAL["throttle"])
    backend.write({"steering": 1_650_000, "throttle": 1_350_000})
    reading = reader.read()
    assert (reading.steering_ns, reading.throttle_ns) == (1_650_000, 1_350_000)
    backend.deactivate()
    assert reader.read().throttle_ns is None  # outputs off: the ESC gets no pulses


def test_a_read_between_truncation_and_write_keeps_the_last_value(tmp_path):
    pwm, _ = _tree(tmp_path)
    throttle = pwm / f"pwm{DEEPRACER_CHANNELS['throttle']}"
    write_attribute(throttle / "enable", 1)
    write_attribute(throttle / "duty_cycle", 1_400_000)
    reader = PwmReader(tmp_path)
    assert reader.read().throttle_ns == 1_400_000
    (throttle / "duty_cycle").write_text("")  # what open(..., "w") leaves before the write lands
    assert reader.read().throttle_ns == 1_400_000
    write_attribute(throttle / "duty_cycle", 1_446_000)
    assert reader.read().throttle_ns == 1_446_000


def test_no_tree_at_all_reads_as_nothing_driven(tmp_path):
    reading = PwmReader(tmp_path / "missing").read()
    assert (reading.steering_ns, reading.throttle_ns) == (None, None)
