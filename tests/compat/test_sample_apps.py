"""The AWS sample apps move the car unchanged: each app's publisher as it is on the wire (its own process, its topic,
the original two-field ServoCtrlMsg, best effort; tests/compat/sample_app.py) against servo, navigation and
compat_node started by our launcher, over real DDS. What is checked is the duty cycle in the PWM files the servo
node writes (the simulated output lays them out as the car's sysfs PWM, the one stand-in: there is no PWM
hardware here), against the original car's maths for the default calibration.

The apps switch the car with /ctrl_pkg/vehicle_state 3 and /ctrl_pkg/enable_state, as DREM and the apps' own
consoles do; their commands then drive under our external-mode rules (README "Safety").
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import DriveCommand
from deepracer_interfaces_pkg.srv import ActiveStateSrv, EnableStateSrv
from support.duty_watch import DutyWatch
from support.rosgraph import wait_for
from support.stack import LaunchedStack, temp_data_dir

STARTUP_S = 60.0
APP = Path(__file__).with_name("sample_app.py")
EXTERNAL_TIMEOUT_S = 0.5  # navigation_node.external_timeout_s default
MANUAL, EXTERNAL = 0, 3  # the original vehicle_state numbers

# The default calibration (ns), as the original car ships it: steering polarity +1, throttle polarity -1.
STEERING = {"min": 1_200_000, "mid": 1_450_000, "max": 1_700_000, "polarity": 1}
THROTTLE = {"min": 1_311_000, "mid": 1_446_000, "max": 1_603_500, "polarity": -1}

# (namespace, node, topic) as each app's launch file and constants name them; auto_drive and servo_msg are the
# original ctrl_pkg's own inputs, which teleop tools and other apps publish to.
APPS = {
    "follow-the-leader": ("ftl_navigation_pkg", "ftl_navigation_node", "ftl_drive"),
    "offroad": ("deepracer_offroad_navigation_pkg", "deepracer_offroad_navigation_node", "offroad_drive"),
    "auto_drive": ("deepracer_navigation_pkg", "deepracer_navigation_node", "auto_drive"),
    "servo_msg": ("ctrl_pkg", "teleop_node", "servo_msg"),
}


def original_duty(value: float, cal: dict[str, int]) -> int:
    """The original servo maths on the float32 the message carries."""
    adj = float(np.float32(value)) * cal["polarity"]
    if adj < 0:
        return round(cal["mid"] + adj * (cal["mid"] - cal["min"]))
    return round(cal["mid"] + adj * (cal["max"] - cal["mid"])) if adj > 0 else cal["mid"]


@pytest.fixture(scope="module")
def stack():
    launched = LaunchedStack(temp_data_dir(), only="servo_node,navigation_node,compat_node")
    yield launched
    if launched.process.poll() is None:
        launched.stop()


@pytest.fixture(scope="module")
def duty(stack):
    chip = stack.data_dir / "sim_pwm" / "pwmchip0"
    watches = {"throttle": DutyWatch(chip / "pwm0" / "duty_cycle"), "steering": DutyWatch(chip / "pwm1" / "duty_cycle")}
    wait_for(lambda: all(w.value() > 0 for w in watches.values()), STARTUP_S,
             lambda: f"the servo node's first duty cycles\n{stack.output()[-3000:]}")
    yield watches
    for watch in watches.values():
        watch.close()


class SampleApp:
    def __init__(self, app: str, angle: float, throttle: float) -> None:
        namespace, node, topic = APPS[app]
        self.process = subprocess.Popen([sys.executable, str(APP), namespace, node, topic, str(angle), str(throttle)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def kill(self) -> float:
        """The app crashes: no word, no last message. Returns when it was gone."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        return time.monotonic()


def call(probe, srv_type, name, request) -> int:
    return probe.call(srv_type, name, request, STARTUP_S).error


def switch(probe, state: int, active: bool) -> None:
    assert call(probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE, ActiveStateSrv.Request(state=state)) == 0
    assert call(probe, EnableStateSrv, names.ORIGINAL_ENABLE_STATE, EnableStateSrv.Request(is_active=active)) == 0


def wait_duty(duty, channel: str, ns: int, what: str, stack, timeout: float = 15.0) -> None:
    wait_for(lambda: abs(duty[channel].value() - ns) <= 1, timeout,
             lambda: f"{what}: {channel} duty {ns} ns, last {duty[channel].value()}\n{stack.output()[-2000:]}")


@pytest.mark.parametrize("app", list(APPS))
def test_a_sample_app_drives_the_wheels_through_its_own_topic(stack, duty, ros_probe, app):
    angle, throttle = (0.5, 0.3) if app != "offroad" else (-0.4, 0.3)
    switch(ros_probe, EXTERNAL, True)
    sample = SampleApp(app, angle, throttle)
    try:
        steering_ns, throttle_ns = original_duty(angle, STEERING), original_duty(throttle, THROTTLE)
        wait_duty(duty, "steering", steering_ns, f"{app} steering", stack, timeout=20)
        wait_duty(duty, "throttle", throttle_ns, f"{app} throttle", stack)
    finally:
        gone = sample.kill()
    # The app died: neutral within the external timeout (plus the watchdog period and a loaded machine's margin).
    assert duty["throttle"].first_after(gone, THROTTLE["mid"], 5) < EXTERNAL_TIMEOUT_S + 0.4
    switch(ros_probe, MANUAL, False)


def test_a_mode_change_centres_the_steering_as_the_original_ctrl_did(stack, duty, ros_probe):
    commands = ros_probe.subscribe(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND)
    switch(ros_probe, EXTERNAL, True)
    sample = SampleApp("follow-the-leader", 0.9, 0.3)  # the app's "fast left, forward"
    try:
        wait_duty(duty, "steering", original_duty(0.9, STEERING), "the app steering", stack)
        commands.clear()
        changed = time.monotonic()
        assert call(ros_probe, ActiveStateSrv, names.ORIGINAL_VEHICLE_STATE,
                    ActiveStateSrv.Request(state=MANUAL)) == 0
        commands.wait_for(lambda m: m.throttle == 0.0 and m.angle == 0.0, 5,
                          lambda: f"navigation's centred neutral: {[(m.angle, m.throttle) for m in commands.messages]}")
        wait_duty(duty, "steering", STEERING["mid"], "centred steering", stack, timeout=5)
        # The app still publishes; nothing may move (an observation window, not a synchronisation).
        assert duty["steering"].others_during(0.3, STEERING["mid"]) == []
        assert duty["throttle"].since(changed)[-1][1] == THROTTLE["mid"]
    finally:
        sample.kill()
