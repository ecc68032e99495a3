"""The simulator node as a real process over real DDS, fed through a FAKE sysfs PWM tree (a temporary folder in
the DeepRacer's layout, written by the servo package's real sysfs backend: no PWM hardware here). It moves the
car by what the files say, publishes the pose and the race state, and its reset service puts the car back."""

from __future__ import annotations

import math
import time

from rosgraph_msgs.msg import Clock
from std_srvs.srv import Trigger

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.stamps import to_ns
from deepracer_common_pkg.vocabulary import AUTONOMOUS
from deepracer_interfaces_pkg.msg import ModelState, NavigationState, SimPose, SimState
from servo_pkg.backends.sysfs import DEEPRACER_CHANNELS, SysfsBackend
from servo_pkg.pwm_math import Calibration, duty_ns
from sim_pkg.pwm_files import CHIP
from sim_pkg.tracks import REINVENT, load_track
from support.rosgraph import NodeProcess, wait_for

CALIBRATION = Calibration()
START = load_track(REINVENT).point_at(0.0)
_NS = 1_000_000_000


def _backend(root) -> SysfsBackend:
    for number in DEEPRACER_CHANNELS.values():
        (root / CHIP / f"pwm{number}").mkdir(parents=True)
        for name in ("period", "duty_cycle", "enable"):
            (root / CHIP / f"pwm{number}" / name).write_text("0")
    (root / "gpio" / "gpio436").mkdir(parents=True)
    for name in ("direction", "value"):
        (root / "gpio" / "gpio436" / name).write_text("")
    backend = SysfsBackend(CALIBRATION.neutral(), pwm_root=root / CHIP, gpio_root=root / "gpio", enable_gpio=436)
    backend.activate()
    return backend


def test_the_node_drives_the_car_by_the_pwm_files_and_resets_it(tmp_path, ros_probe):
    backend = _backend(tmp_path / "pwm")
    states = ros_probe.subscribe(SimState, names.SIM_STATE, qos.LATCHED)
    poses = ros_probe.subscribe(SimPose, names.SIM_POSE, qos.LATEST)
    with NodeProcess("sim_pkg", "sim_node", {"pwm_dir": str(tmp_path / "pwm"),
                                             "calibration_path": str(tmp_path / "calibration.json")}) as node:
        still = states.wait_for(lambda s: s.track == REINVENT, 30, f"the race state\n{node.output()}")
        assert (still.x, still.y, still.speed_m_s) == (START[0], START[1], 0.0)  # neutral on the wires: no motion
        poses.wait_for(lambda p: p.track == REINVENT, 10, "the pose")

        # half throttle forward, wheels a little to the left: the car drives off and turns counter-clockwise
        backend.write({"steering": duty_ns(0.3, CALIBRATION.steering), "throttle": duty_ns(0.5, CALIBRATION.throttle)})
        moving = states.wait_for(lambda s: s.speed_m_s > 0.5 and s.yaw > 0.05, 10, "the car driving and turning left")
        assert moving.x > START[0] and moving.on_track

        backend.write({"steering": CALIBRATION.steering.mid_ns, "throttle": CALIBRATION.throttle.mid_ns})
        ros_probe.call(Trigger, names.SIM_RESET, Trigger.Request(), 10)
        back = states.wait_for(lambda s: math.hypot(s.x - START[0], s.y - START[1]) < 1e-6, 10, "the car reset")
        assert (back.laps, back.off_track, back.speed_m_s) == (0, 0, 0.0)


def test_lockstep_time_keeps_to_the_wall_clock_while_a_run_drives_and_no_camera_reads(tmp_path, ros_probe):
    """A run drives (navigation started in autonomous mode, the model running: told here as those nodes tell it) but
    nothing reads the simulator's camera yet: a camera whose subscription DDS has not matched on a loaded machine.
    No frame can be answered, so there is nothing to wait for: time moves with the wall clock, as an idle
    simulator's does. It raced instead, as fast as the CPU stepped it: 5.5 s of simulated time in 0.3 s of wall time
    right after a Start, and navigation, hearing the servo node's heartbeats (0.2 s apart in simulated time) that
    far apart, stopped the run as "servo_node silent for 5.5 s" (test_sim_closed_loop, once under a full suite)."""
    _backend(tmp_path / "pwm")
    clock = ros_probe.subscribe(Clock, names.CLOCK, qos.COMMAND)
    with NodeProcess("sim_pkg", "sim_node", {"pwm_dir": str(tmp_path / "pwm"), "clock_mode": "lockstep",
                                             "calibration_path": str(tmp_path / "calibration.json")}) as node:
        clock.wait_for(timeout=30, what=lambda: f"the simulator's clock\n{node.output()}")
        navigation = ros_probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
        model = ros_probe.publisher(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
        model.publish(ModelState(state="loaded", model_name="model", running=True))
        navigation.publish(NavigationState(mode=AUTONOMOUS, started=True, model_name="model", model_ready=True))
        for lens_topic in names.SIM_CAMERA.values():
            assert ros_probe.node.count_subscribers(lens_topic) == 0  # nobody reads a lens

        def sim_ns() -> int:
            return to_ns(clock.latest().clock)

        begun_wall, begun_ns = time.monotonic(), sim_ns()
        wait_for(lambda: sim_ns() - begun_ns >= 3 * _NS, 30, lambda: f"3 s of simulated time\n{node.output()}")
        wall_s = time.monotonic() - begun_wall
        # Time keeps to the wall clock or falls behind it (a busy machine): 3 s of it take at least 2 s of wall time.
        assert wall_s >= 2.0, f"3 s of simulated time passed in {wall_s:.2f} s of wall time\n{node.output()}"
        assert "nobody reads its camera" in node.output()
