"""SIGINT and SIGTERM leave the motor stopped: the node runs as a real process on the sysfs backend against a
FAKE sysfs (a temporary folder with the car's pwmchip0/pwmN and gpio436 files, already exported, since no
kernel is there to create them), and the files show what the hardware would have been left with."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from servo_pkg.backends.sysfs_tree import build_sysfs_tree
from support.rosgraph import NodeProcess

THROTTLE_MID = 1_446_000  # the default calibration (no calibration file in this test)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_leaves_throttle_neutral_and_outputs_off(servo_topics, tmp_path: Path, sig: signal.Signals) -> None:
    pwm, gpio = build_sysfs_tree(tmp_path / "sys", enable_gpio=436)
    parameters = {"backend": "sysfs", "sysfs_pwm_root": str(pwm), "sysfs_gpio_root": str(gpio),
                  "calibration_path": str(tmp_path / "calibration.json"), "led_path": str(tmp_path / "led.json"),
                  # Long enough that the watchdog cannot be what stops the motor here.
                  "command_timeout_s": 10.0}
    with NodeProcess("servo_pkg", "servo_node", parameters) as node:
        full = servo_topics.drive(1.0, 1.0)
        assert full.throttle_ns == 1_311_000
        assert (pwm / "pwm0/duty_cycle").read_text() == "1311000"
        assert (gpio / "gpio436/value").read_text() == "0"  # servo power on (active low)
        assert (pwm / "pwm0/enable").read_text() == "1"

        servo_topics.written.clear()
        assert node.stop(sig) == 0, node.output()

    # The last word on the topic too: run_node keeps the context alive for on_shutdown after a signal.
    last = servo_topics.written.wait_for(lambda m: m.reason == "shutdown", 5, "the shutdown write on the topic")
    assert (last.throttle_ns, last.enabled) == (THROTTLE_MID, False)
    assert (pwm / "pwm0/duty_cycle").read_text() == str(THROTTLE_MID)
    assert (pwm / "pwm1/duty_cycle").read_text() == "1450000"
    assert (gpio / "gpio436/value").read_text() == "1"
    assert [(pwm / f"pwm{n}/enable").read_text() for n in range(5)] == ["0"] * 5
    assert [(pwm / f"pwm{n}/duty_cycle").read_text() for n in (2, 3, 4)] == ["0"] * 3
