"""Simulator node: the simulated car, its camera, and the stack's clock.

It reads the PWM files the servo node wrote, never a command topic: only the files stand for what reached the
hardware, so it also sees what the servo node's guard writes after the node itself died. It renders what the car's
camera sees (JPEG, as a USB camera delivers it) for the camera node's `sim` source, only while that is read; it
publishes the pose at every step, the race state a few times a second (latched, for the console and
deepracer-eval); /sim_pkg/reset puts the car back on the start line.

It is the clock: every other node runs on the simulated time it publishes on /clock (graph.with_clock), and it
writes the same time into `<pwm_dir>/clock`, where the servo node's actuation guard, which is no ROS node, reads it.
Time moves on a thread of its own (world_clock.py), from the car's boot clock at the start:
- realtime: it is the car's boot clock (a starved simulator pauses the world rather than making the car jump), so a
  simulated car and a real one read the same time, and a tool stamping with the boot clock is right in both;
- lockstep: while a run drives (navigation started in autonomous mode, the inference node running the model), time
  stands still after each frame until the stack has answered it (the servo node's write stamped with that frame's
  time); the answer reaches the car `actuation_latency_s` later. Otherwise time
  moves with the wall clock, so an idle simulator does not spin, and no frame is rendered (none would be answered);
  so it does while a run drives and nobody reads the camera (a camera not yet matched by DDS), rather than race.
  The same run then gives the same laps on any machine, at any load.
  A Start is heard by the stack and by this node at different moments: /sim_pkg/hold (true) parks time between
  two frames, and releasing it (false) waits until this node has heard the run begin, so no frame falls between
  the two (deepracer-eval starts every run so).
Parameters are read at start; changing them needs a restart.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import cv2
from rclpy.node import Node
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CompressedImage
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_common_pkg.stamps import from_ns, to_ns
from deepracer_common_pkg.vocabulary import AUTONOMOUS
from deepracer_interfaces_pkg.msg import ModelState, NavigationState, PwmWritten, SimPose, SimState
from servo_pkg.backends.sysfs import write_attribute
from servo_pkg.calibration_files import load_calibration
from sim_pkg.actuation import Actuators
from sim_pkg.camera_view import CameraView
from sim_pkg.config import SimConfig
from sim_pkg.pwm_files import PwmReader
from sim_pkg.simulation import MAX_STEP_S, SimSnapshot, Simulation
from sim_pkg.tracks import load_track
from sim_pkg.vehicle import VehicleParams
from sim_pkg.world_clock import DutyDelay, FrameSchedule, lockstep_step_ns

JPEG_QUALITY = 90
# The lens of each camera view across the car, metres right of its centre line: a stereo pair's are 6 cm apart.
LENS_OFFSETS_M = {"centre": 0.0, "left": -0.03, "right": 0.03}
_NS = 1_000_000_000
# How long releasing a hold waits for navigation's state to arrive here (wall clock).
HOLD_RELEASE_WAIT_S = 5.0


def state_message(snapshot: SimSnapshot, now_ns: int, unanswered: int, held: bool = False) -> SimState:
    race = snapshot.race
    return SimState(track=snapshot.track, laps=race.laps, lap_times_s=list(race.lap_times_s),
                    lap_off_track=list(race.lap_off_track), off_track=race.off_track, sim_time_s=now_ns / _NS,
                    unanswered_frames=unanswered, held=held, progress=race.progress, on_track=race.on_track,
                    x=snapshot.x, y=snapshot.y, yaw=snapshot.yaw, speed_m_s=snapshot.speed_m_s)


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("sim_node")
        self.config = config = declare_config(self, SimConfig)
        calibration_path = Path(config.calibration_path).expanduser()
        calibration = load_calibration(calibration_path)
        if calibration.note:
            self.get_logger().info(calibration.note)
        vehicle = VehicleParams(servo_slew_rad_s=math.radians(config.servo_slew_deg_s),
                                esc_time_constant_s=config.esc_time_constant_s)
        self.track = load_track(config.track)
        self._lock = threading.Lock()  # the simulation: the time thread steps it, the reset service restarts it
        self.simulation = Simulation(self.track, Actuators(calibration.value, config.top_speed_m_s), boot_ns() / _NS,
                                     vehicle=vehicle, reset_pause_s=config.reset_pause_s)
        self.reader = PwmReader(Path(config.pwm_dir).expanduser())
        self.reader.root.mkdir(parents=True, exist_ok=True)  # the servo node may not have made its files yet
        self._clock_file = self.reader.root / names.SIM_CLOCK_FILE
        self._now_ns = self._stepped_ns = boot_ns()
        self._unanswered = 0
        self._reported = (0, 0)
        self._view: CameraView | None = None
        self._clock_pub = self.create_publisher(Clock, names.CLOCK, qos.COMMAND)
        self._pose_pub = self.create_publisher(SimPose, names.SIM_POSE, qos.LATEST)
        self._state_pub = self.create_publisher(SimState, names.SIM_STATE, qos.LATCHED)
        self._camera_pubs = {lens: self.create_publisher(CompressedImage, topic, qos.SIM_PICTURES)
                             for lens, topic in names.SIM_CAMERA.items()}
        self.create_service(Trigger, names.SIM_RESET, self._on_reset)
        # lockstep: what the stack is doing (which answers a frame gets), the answers, and the hold.
        self._answer = threading.Condition()
        self._servo_answered_ns = -1
        self._navigation: NavigationState | None = None
        self._policy_runs = False
        self._hold = False
        self._release_by = 0.0
        if config.clock_mode == "lockstep":
            self.create_subscription(PwmWritten, names.SERVO_PWM_WRITTEN, self._on_written, qos.REPORTS)
            self.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_navigation, qos.LATCHED)
            self.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self._on_model, qos.LATCHED)
        self.create_service(SetBool, names.SIM_HOLD, self._on_hold)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-time", daemon=True)
        self.get_logger().info(
            f"simulating {self.track.name} ({self.track.length:.1f} m, {self.track.width:.2f} m wide), time "
            f"{config.clock_mode}; camera {config.camera_fps:g} fps; reading PWM under {self.reader.root}; car "
            f"calibration from {calibration_path}")
        self._publish_time(self._now_ns)
        self._thread.start()

    # --- the run, as lockstep needs to know it ------------------------------------------------------------------

    def _on_navigation(self, message: NavigationState) -> None:
        with self._answer:
            self._navigation = message
            self._answer.notify_all()

    def _on_model(self, message: ModelState) -> None:
        with self._answer:
            self._policy_runs = message.running
            self._answer.notify_all()

    def _run_drives(self) -> bool:
        """A run the policy drives: navigation started in autonomous mode, the inference node running the model
        (it runs only then): every frame gets the policy's answer and the servo node's write."""
        navigation = self._navigation
        return navigation is not None and navigation.mode == AUTONOMOUS and navigation.started and self._policy_runs

    def _on_written(self, message: PwmWritten) -> None:
        if message.reason != "command":
            return
        with self._answer:
            self._servo_answered_ns = max(self._servo_answered_ns, to_ns(message.header.stamp))
            self._answer.notify_all()

    def _await_answer(self, frame_ns: int) -> None:
        """The servo node's write for the frame: the policy's result came before it. (The result alone is published
        best effort, and one lost on a busy machine held time for the whole wait: the servo's report is reliable.)"""
        def answered() -> bool:
            return self._stopping.is_set() or self._servo_answered_ns >= frame_ns
        with self._answer:
            done = self._answer.wait_for(answered, self.config.lockstep_wait_s)
        if not done:
            self._unanswered += 1
            self.get_logger().warning(f"the stack did not answer the frame of {frame_ns / _NS:.3f} s within "
                                      f"{self.config.lockstep_wait_s:g} s: time goes on without it (this run is not "
                                      "reproducible)", throttle_duration_sec=5.0)

    def _on_hold(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        """Answered at once (the executor must go on delivering answers): the time thread parks at its next step, no
        frame unanswered, and says so in SimState.held; released, it goes on once the run a Start made while time
        stood is heard here (navigation started, the model running), so the first frame after it is awaited."""
        if self.config.clock_mode != "lockstep":
            response.message = "time is held only in lockstep (clock_mode), where it waits for the stack"
            return response
        with self._answer:
            self._hold = request.data
            self._release_by = time.monotonic() + HOLD_RELEASE_WAIT_S
            self._answer.notify_all()
        response.success = True
        response.message = "time parks at the next step (SimState.held)" if request.data else "time goes on"
        return response

    def _park_while_held(self) -> None:
        with self._answer:
            if not self._hold:
                return
        self._state_pub.publish(self._state(held=True))
        with self._answer:
            self._answer.wait_for(lambda: not self._hold or self._stopping.is_set())
            self._answer.wait_for(lambda: self._stopping.is_set() or self._run_drives(),
                                  max(0.0, self._release_by - time.monotonic()))
        self._state_pub.publish(self._state(held=False))

    # --- time -----------------------------------------------------------------------------------------------------

    def _run(self) -> None:
        config = self.config
        lockstep = config.clock_mode == "lockstep"
        step_ns = lockstep_step_ns(config.rate_hz, config.camera_fps) if lockstep else round(_NS / config.rate_hz)
        state_every = max(1, round(_NS / step_ns / config.state_rate_hz))
        frames = FrameSchedule(config.camera_fps, self._now_ns)
        delay = DutyDelay(round(config.actuation_latency_s * _NS) if lockstep else 0)
        anchor_wall, anchor_ns = time.monotonic(), self._now_ns
        step = 0
        unseen = False  # the driving run's last frame had no reader: nothing will answer it
        while not self._stopping.is_set():
            if lockstep:
                self._park_while_held()
            now = self._now_ns
            waits = lockstep and self._run_drives()
            # lockstep renders only the frames a run answers: a picture taken before the Start and still on its way
            # through the camera would be acted on at a moment the wall clock picks (runs differed by 0.2 s a lap).
            if frames.due(now) and (waits or not lockstep):
                seen = self._take_frames(now)
                if waits and seen:
                    self._await_answer(now)
                if waits and unseen != (not seen):
                    self._say_unseen(not seen)
                unseen = waits and not seen
            delay.read(now, self.reader.read())
            end = max(now + 1, boot_ns()) if not lockstep else now + step_ns
            with self._lock:
                for change_ns in delay.changes_until(end):
                    self._step_to(change_ns, delay.current)
                self._step_to(end, delay.current)
                snapshot = self.simulation.snapshot()
            self._publish_time(end)
            self._publish_pose(snapshot, end)
            step += 1
            if step % state_every == 0:
                self._state_pub.publish(self._state(snapshot))
            self._log_events(snapshot)
            if not lockstep:  # the next step one step of the boot clock from this one
                self._stopping.wait(max(0.0, (end + step_ns - boot_ns()) / _NS))
            elif not waits or unseen:  # nothing to wait for: it keeps to the wall clock rather than race
                behind = time.monotonic() - (anchor_wall + (end - anchor_ns) / _NS)
                if behind > MAX_STEP_S:
                    anchor_wall, anchor_ns = time.monotonic(), end
                elif behind < 0:
                    self._stopping.wait(-behind)
            else:
                anchor_wall, anchor_ns = time.monotonic(), end

    def _say_unseen(self, unseen: bool) -> None:
        """Why a driving run's time keeps to the wall clock: a frame nobody reads is never answered, and without the
        wait time raced (the servo node's heartbeats, 0.2 s apart in simulated time, then came seconds apart, and
        navigation stopped the run for a silent node)."""
        if unseen:
            self.get_logger().warning("a run drives but nobody reads its camera: time keeps to the wall clock until "
                                      "a camera subscribes (is camera_node's source `sim`?)")
        else:
            self.get_logger().info("the camera reads the simulator again: time waits for the stack's answers")

    def _state(self, snapshot: SimSnapshot | None = None, held: bool = False) -> SimState:
        if snapshot is None:
            with self._lock:
                snapshot = self.simulation.snapshot()
        return state_message(snapshot, self._now_ns, self._unanswered, held)

    def _step_to(self, at_ns: int, wires) -> None:
        """Under the lock: the car moved on to `at_ns`, by a gap taken exactly from the integer clock."""
        self.simulation.step(at_ns / _NS, wires, gap_s=(at_ns - self._stepped_ns) / _NS)
        self._stepped_ns = at_ns

    def _publish_time(self, now_ns: int) -> None:
        self._now_ns = now_ns
        write_attribute(self._clock_file, now_ns, regular_file=True)
        self._clock_pub.publish(Clock(clock=from_ns(now_ns)))

    def _publish_pose(self, snapshot: SimSnapshot, now_ns: int) -> None:
        """Every step, while someone reads it (the logger during a run): in lockstep four a frame for nobody, else."""
        if self._pose_pub.get_subscription_count() == 0:
            return
        pose = SimPose(track=snapshot.track, x=snapshot.x, y=snapshot.y, yaw=snapshot.yaw)
        pose.header.stamp = from_ns(now_ns)
        pose.header.frame_id = snapshot.track
        self._pose_pub.publish(pose)

    def _take_frames(self, now_ns: int) -> bool:
        """Render and send each camera view someone reads, from the pose at `now_ns`; whether any was sent."""
        lenses = [lens for lens, publisher in self._camera_pubs.items() if publisher.get_subscription_count() > 0]
        if not lenses:
            return False
        if self._view is None:
            self._view = CameraView(self.track, self.config.camera_width, self.config.camera_height)
        with self._lock:
            snapshot = self.simulation.snapshot()
        for lens in lenses:
            image = self._view.render(snapshot.x, snapshot.y, snapshot.yaw, LENS_OFFSETS_M[lens])
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                continue
            message = CompressedImage(format="jpeg", data=encoded.tobytes())
            message.header.stamp = from_ns(now_ns)
            message.header.frame_id = f"camera_{lens}"
            self._camera_pubs[lens].publish(message)
        return True

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

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        with self._lock:
            self.simulation.reset(self._now_ns / _NS)
            self._stepped_ns = self._now_ns
            snapshot = self.simulation.snapshot()
        self._reported = (0, 0)
        self._state_pub.publish(self._state(snapshot))
        self.get_logger().info("car reset to the start line")
        response.success = True
        response.message = "car back on the start line; laps and off-track count cleared"
        return response

    def on_shutdown(self) -> None:
        with self._answer:
            self._stopping.set()
            self._answer.notify_all()
        self._thread.join(5.0)


def main(args: list[str] | None = None) -> None:
    run_node(SimNode, args)


if __name__ == "__main__":
    main()
