"""Simulator node: reads the PWM files the servo node wrote, moves the simulated car, publishes where it is.

It never listens to the navigation node or to /servo_pkg/pwm_written: only the files stand for what reached
the hardware, so it also sees what the servo node's guard writes after the node itself died. The pose goes
out at every step (the camera's `sim` source renders from it), the race state a few times a second
(latched, for the console); /sim_pkg/reset puts the car back on the start line. Parameters are read at
start; changing them needs a restart.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from rclpy.node import Node
from std_srvs.srv import Trigger

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_interfaces_pkg.msg import SimPose, SimState
from servo_pkg.calibration_files import load_calibration
from sim_pkg.actuation import Actuators
from sim_pkg.config import SimConfig
from sim_pkg.pwm_files import PwmReader
from sim_pkg.simulation import SimSnapshot, Simulation
from sim_pkg.tracks import load_track
from sim_pkg.vehicle import VehicleParams


def state_message(snapshot: SimSnapshot) -> SimState:
    race = snapshot.race
    return SimState(track=snapshot.track, laps=race.laps, lap_times_s=list(race.lap_times_s),
                    off_track=race.off_track, progress=race.progress, on_track=race.on_track, x=snapshot.x,
                    y=snapshot.y, yaw=snapshot.yaw, speed_m_s=snapshot.speed_m_s)


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("sim_node")
        self.config = declare_config(self, SimConfig)
        calibration_path = Path(self.config.calibration_path).expanduser()
        calibration = load_calibration(calibration_path)
        if calibration.note:
            self.get_logger().info(calibration.note)
        actuators = Actuators(calibration.value, self.config.top_speed_m_s)
        vehicle = VehicleParams(servo_slew_rad_s=math.radians(self.config.servo_slew_deg_s),
                                esc_time_constant_s=self.config.esc_time_constant_s)
        track = load_track(self.config.track)
        self.simulation = Simulation(track, actuators, time.monotonic(), vehicle=vehicle,
                                     reset_pause_s=self.config.reset_pause_s)
        self.reader = PwmReader(Path(self.config.pwm_dir).expanduser())
        self._pose_pub = self.create_publisher(SimPose, names.SIM_POSE, qos.LATEST)
        self._state_pub = self.create_publisher(SimState, names.SIM_STATE, qos.LATCHED)
        self.create_service(Trigger, names.SIM_RESET, self._on_reset)
        self._reported = (0, 0)
        self.create_timer(1.0 / self.config.rate_hz, self._step)
        self.create_timer(1.0 / self.config.state_rate_hz, self._publish_state)
        self.get_logger().info(
            f"simulating {track.name} ({track.length:.1f} m, {track.width:.2f} m wide); reading PWM under "
            f"{self.reader.root}; car calibration from {calibration_path}")
        self._step()
        self._publish_state()

    def _step(self) -> None:
        self.simulation.step(time.monotonic(), self.reader.read())
        snapshot = self.simulation.snapshot()
        pose = SimPose(track=snapshot.track, x=snapshot.x, y=snapshot.y, yaw=snapshot.yaw)
        pose.header.stamp = self.get_clock().now().to_msg()
        pose.header.frame_id = snapshot.track
        self._pose_pub.publish(pose)
        self._log_events(snapshot)

    def _log_events(self, snapshot: SimSnapshot) -> None:
        race = snapshot.race
        laps, off = self._reported
        if race.laps > laps:
            self.get_logger().info(f"lap {race.laps}: {race.lap_times_s[-1]:.2f} s")
        if race.off_track > off:
            # With the step gaps: a car that left the track because this process was starved says so.
            self.get_logger().info(f"off track ({race.off_track} so far) at {race.progress:.0f} % of lap "
                                   f"{race.laps + 1}; simulator steps: {self.simulation.step_gaps.stats()}")
        self._reported = (race.laps, race.off_track)

    def _publish_state(self) -> None:
        self._state_pub.publish(state_message(self.simulation.snapshot()))

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.simulation.reset(time.monotonic())
        self._reported = (0, 0)
        self._publish_state()
        self.get_logger().info("car reset to the start line")
        response.success = True
        response.message = "car back on the start line; laps and off-track count cleared"
        return response


def main(args: list[str] | None = None) -> None:
    run_node(SimNode, args)


if __name__ == "__main__":
    main()
