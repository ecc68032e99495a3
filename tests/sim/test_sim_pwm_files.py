"""Reading what reached the hardware: the servo package's real sysfs backend writes a FAKE sysfs tree (a
temporary folder laid out as the car's pwmchip0, since this machine has no PWM hardware); the simulator reads
the same files back."""

from __future__ import annotations

from servo_pkg.backends.sysfs import SysfsBackend, write_attribute
from servo_pkg.backends.sysfs_tree import build_sysfs_tree, pwm_file
from servo_pkg.pwm_math import Calibration
from sim_pkg.pwm_files import PwmReader

NEUTRAL = Calibration().neutral()


def test_reads_what_the_sysfs_backend_wrote(tmp_path):
    pwm, gpio = build_sysfs_tree(tmp_path, enable_gpio=436)
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
    build_sysfs_tree(tmp_path, enable_gpio=436)
    throttle = pwm_file(tmp_path, "throttle").parent
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
