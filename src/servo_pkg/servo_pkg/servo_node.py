"""Servo node: drive commands and calibration in, duty cycles out (rclpy shell around ServoCore).

Every write is published on /servo_pkg/pwm_written with the command's capture stamp, so end-to-end latency
is `written - header.stamp`. On the car, navigation's drive commands come on a local socket
(deepracer_common_pkg.command_link: about 0.7 ms of CPU less per command than over DDS, measured here) and, from
anyone else or while that link is down, on the topic; a command that came both ways is written once. The link's
thread and the executor's callbacks take turns (`_serial`), so the core sees one caller at a time. Parameters are
read at start; changing them needs a restart, and command_timeout_s is refused at run time
(deepracer_common_pkg.timeout_chain: the actuation guard took it at start, navigation's repeat was checked against it).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

from rclpy.event_handler import PublisherEventCallbacks, QoSPublisherMatchedInfo
from rclpy.node import Node

from deepracer_common_pkg import command_link, names, qos, timeout_chain
from deepracer_common_pkg.driving_path import CONSOLE_NODE
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.newest_unread import NewestUnread
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import from_ns, header_at
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_common_pkg.telemetry_node import publish_telemetry
from deepracer_common_pkg.vocabulary import CALIBRATION
from deepracer_interfaces_pkg.msg import DriveCommand, Heartbeat, NavigationState, PwmWritten, PwmWrittenBatch, RawPwm
from deepracer_interfaces_pkg.srv import GetCalibration, GetLedColor, SetCalibration, SetLedColor
from servo_pkg.backends.factory import make_backend
from servo_pkg.calibration_files import load_calibration, load_led_color
from servo_pkg.config import ServoConfig
from servo_pkg.guard_link import GuardLink
from servo_pkg.led_color import LedColor
from servo_pkg.process_start import process_started_ns
from servo_pkg.pwm_math import ChannelCalibration
from servo_pkg.servo_core import GUARD_NOT_WATCHING, ServoCore, Written
from servo_pkg.write_batch import WriteBatch

# The watchdog is checked this many times per command_timeout_s: neutral comes within 1.25 timeouts.
WATCHDOG_CHECKS_PER_TIMEOUT = 4
_LOG_THROTTLE_S = 5.0
# A new Python process on a busy Pi can take seconds to import its backend; a guard that needs longer is broken.
GUARD_START_TIMEOUT_S = 30.0
# Made for every write the logger records, without the generated constructor's defaults (message_maker).
_written = maker(PwmWritten, "header", "written", "steering_ns", "throttle_ns", "enabled", "reason")

F = TypeVar("F", bound=Callable)


class WriteRecord(NamedTuple):
    """A write as the node keeps it until a reader takes it: the PwmWritten message is built only then, for a
    batch a few times a second in one warm loop. Built on each write, its three nested ROS messages were a fifth of
    the servo's Python per drive command, run cold after every inference on the car's two cores (issue 23)."""
    stamp_ns: int  # the command's capture time (0: a held command's repeat), or the write's for the node's own
    written_ns: int
    steering_ns: int
    throttle_ns: int
    enabled: bool
    reason: str

    def message(self) -> PwmWritten:
        return _written(header_at(self.stamp_ns), from_ns(self.written_ns), self.steering_ns, self.throttle_ns,
                        self.enabled, self.reason)


def serial(method: F) -> F:
    """One caller at a time in the node's state: the executor's callbacks and the command link's thread."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._serial:
            return method(self, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


class ServoNode(Node):
    def __init__(self) -> None:
        super().__init__("servo_node")
        self._serial = threading.RLock()
        self._link: command_link.CommandReceiver | None = None  # opened last, once every callback can run
        self.config = declare_config(self, ServoConfig, self._on_config_change,
                                     refuse=lambda new: timeout_chain.servo_change_refusal(self.config, new))
        calibration_path = Path(self.config.calibration_path).expanduser()
        led_path = Path(self.config.led_path).expanduser()
        calibration = load_calibration(calibration_path)
        led = load_led_color(led_path)
        for note in (calibration.note, led.note):
            if note:
                self.get_logger().warning(note)
        self._time = StackClock(self)
        self.core = ServoCore(make_backend(self.config, calibration.value.neutral()),
                              calibration=calibration.value, led=led.value, calibration_path=calibration_path,
                              led_path=led_path, command_timeout_s=self.config.command_timeout_s,
                              clock=self._time.now_s, booted_ns=self._came_up_ns())
        self.window = StageWindow("servo", clock=self._time.now_s)
        self._written_pub = self.create_publisher(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND,
                                                  event_callbacks=PublisherEventCallbacks(matched=self._on_reader))
        self._unread: NewestUnread[WriteRecord] = NewestUnread()
        self._batch_pub = self.create_publisher(PwmWrittenBatch, names.SERVO_PWM_WRITTEN_BATCH, qos.REPORTS)
        self._batch: WriteBatch[WriteRecord] = WriteBatch()
        self._watchdog = self._make_watchdog_timer(self.config.command_timeout_s)  # runs once spun, when needed
        self._watchdog_on = True  # whether that timer runs: asked on every command, kept here rather than asked of it
        self._watch_period_s = self.config.command_timeout_s / WATCHDOG_CHECKS_PER_TIMEOUT
        self._watch_due_s: float | None = None  # on the car: when the link's thread checks next (None: no need)
        # The guard watches before anything is written: from here on, a dead or hung node means neutral.
        self._clock_started = False  # in simulation: once /clock reached this node (on the car: at once)
        self._guard = GuardLink(self.config, calibration.value.neutral(), self.get_logger().error,
                                clock=self._time.now_s, clock_file=self._simulator_clock_file())
        try:
            if not self._guard.wait_ready(GUARD_START_TIMEOUT_S):
                raise RuntimeError(f"the actuation guard did not start within {GUARD_START_TIMEOUT_S:.0f} s: "
                                   "the servo node will not drive without it (see the guard's lines above)")
            self._publish(self.core.start(), None)
        except BaseException:
            self._guard.close()
            raise
        self.get_logger().info(f"actuation guard running (pid {self._guard.pid}): throttle neutral within "
                               f"{self.config.command_timeout_s * 1.25:.2f} s if this node hangs, at once if it dies")
        self.get_logger().info(f"servo output '{self.config.backend}' active; calibration {calibration_path}")

        self.create_subscription(DriveCommand, names.NAVIGATION_SERVO_CMD, self._on_command, qos.COMMAND)
        self.create_subscription(RawPwm, names.SERVO_RAW_PWM, self._on_raw, qos.COMMAND)
        self.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_state, qos.LATCHED)
        self.create_service(GetCalibration, names.SERVO_GET_CALIBRATION, self._get_calibration)
        self.create_service(SetCalibration, names.SERVO_SET_CALIBRATION, self._set_calibration)
        self.create_service(GetLedColor, names.SERVO_GET_LED_COLOR, self._get_led)
        self.create_service(SetLedColor, names.SERVO_SET_LED_COLOR, self._set_led)
        self._console_beats = None  # heard only in calibration mode: a held wheel move ends when the console goes
        publish_telemetry(self, self.window)
        self._applied = command_link.RecentCommands()
        self._link = self._open_command_link()
        with self._serial:
            self._follow_watch()  # the link's thread times the watchdog from here on, if it runs

    def _open_command_link(self) -> command_link.CommandReceiver | None:
        """Not in simulation: the simulator's clock reaches this node through its executor, so a command taken on
        the link's thread is timed by a clock that lags whenever the executor is behind (under load, deepracer-eval's
        lockstep saw this node "not run for 0.27 s" and the guard's fault stopped the run); over DDS the command
        and the clock come in order. The car's clock is read, not heard: the link is for the car."""
        if self._time.simulated:
            return None
        link_address = command_link.address(self.context.get_domain_id(), self.get_fully_qualified_name())
        try:
            return command_link.CommandReceiver(link_address, self._on_link_command, self.get_logger().error,
                                                lock=self._serial, due_in=self._watch_due_in,
                                                on_due=self._on_watch_due)
        except OSError as error:
            self.get_logger().warning(f"drive commands over DDS only: the local link is taken ({error}): is "
                                      "another servo node of this name running in this ROS domain?")
            return None

    def _make_watchdog_timer(self, timeout_s: float):
        return self._time.create_timer(timeout_s / WATCHDOG_CHECKS_PER_TIMEOUT, self._check_watchdog)

    def _came_up_ns(self) -> int:
        """When this node came up, on the stack's clock (ServoCore.booted_ns, compared with a run's Start): its
        process's start on the car; in simulation the simulated time now, or, before the simulator's first tick has
        reached it, its process's start on the boot clock, which the simulator's time starts from. (It was "later
        than any run" then: the servo node starts before the simulator, so it held the first run of a loaded machine,
        where navigation's "stopped" reached it after the Start, as a restarted node's: measured in deepracer-eval.)"""
        if not self._time.simulated or not self._time.ticking:
            return process_started_ns()
        return self._time.now_ns()

    def _simulator_clock_file(self) -> str:
        """In simulation, where the simulator writes its clock for the guard: beside the PWM files it reads."""
        if not (self._time.simulated and self.config.simulated_output_dir):
            return ""
        return str(Path(self.config.simulated_output_dir).expanduser() / names.SIM_CLOCK_FILE)

    @serial
    def _on_config_change(self, config: ServoConfig) -> None:
        restart_needed = [field.name for field in dataclasses.fields(config)
                          if getattr(config, field.name) != getattr(self.config, field.name)]
        if restart_needed:
            self.get_logger().warning(f"{', '.join(restart_needed)}: takes effect when the node restarts")
        self.config = config

    def _follow_watch(self, *, commanded: bool = False) -> None:
        """The watchdog runs, and the guard counts, only while something can time out (ServoCore.needs_watch).

        On the car the command link's thread times the checks (CommandReceiver.due_in): a drive command written
        starts the period again, so while commands come faster than it checks (30 a second against 16) no check
        runs and nothing wakes up for one; each cost the car a wake-up (issue 23). What the watchdog checks is the
        newest command's age, which cannot run out within a period of that command, so its bound is unchanged. The
        guard still hears from this node at least once a period: the thread that writes beats too.
        In simulation (no link: the simulator's clock reaches this node through its executor) an rclpy timer on
        that clock beats steadily, as the fault matrix and deepracer-eval measured it; so it does on the car if the
        link could not open or its thread stopped."""
        link = self._link
        timed_by_link = link is not None and link.alive
        if self.core.needs_watch:
            if timed_by_link:
                if commanded or self._watch_due_s is None:
                    idle = self._watch_due_s is None
                    self._watch_due_s = self._time.now_s() + self._watch_period_s
                    if idle:
                        link.wake()  # it may wait for a command with no check due: it must time this one
                self._run_watchdog_timer(False)
            else:
                self._run_watchdog_timer(True)
            return
        self._watch_due_s = None
        self._run_watchdog_timer(False)
        self._guard.rest()  # nothing left that a hang could keep moving

    def _run_watchdog_timer(self, on: bool) -> None:
        if on != self._watchdog_on:
            self._watchdog_on = on
            if on:
                self._watchdog.reset()
            else:
                self._watchdog.cancel()

    def _watch_due_in(self) -> float | None:
        """On the link's thread, holding `_serial`: seconds until the watchdog's next check (None: none needed)."""
        return None if self._watch_due_s is None else self._watch_due_s - self._time.now_s()

    def _on_watch_due(self) -> None:
        """On the link's thread, holding `_serial`: the check, the next one a period on (none if nothing is left
        to watch: `_follow_watch`)."""
        self._watch_due_s = self._time.now_s() + self._watch_period_s
        self._check_watchdog()

    def _publish(self, written: Written | None, source_ns: int | None) -> None:
        """Publish a write; stamp it with the command's capture time (ns), or with now for the node's own decisions."""
        self._follow_watch(commanded=written is not None and written.reason == "command")
        if written is None:
            return
        if not written.enabled and written.reason != "shutdown":
            self.get_logger().warning(f"output did not take the write: {self.core.problem}",
                                      throttle_duration_sec=_LOG_THROTTLE_S)
        now_ns = self._time.now_ns()
        record = WriteRecord(now_ns if source_ns is None else source_ns, now_ns, written.steering_ns,
                             written.throttle_ns, written.enabled, written.reason)
        read = self._written_pub.get_subscription_count() > 0
        if read:  # each write, for a reader that acts on it (lockstep)
            self._written_pub.publish(record.message())
        self._unread.sent(record, read, now_ns)
        if self._batch_pub.get_subscription_count() > 0:  # the same, a few times a second, for the logger
            records = self._batch.add(record, now_ns / 1e9, at_once=written.reason != "command")
            if records:
                self._batch_pub.publish(PwmWrittenBatch(writes=[r.message() for r in records]))
        else:
            self._batch.take()
        if source_ns is not None and source_ns > 0:
            self.window.record((now_ns - source_ns) / 1e6)

    @serial
    def _on_reader(self, info: QoSPublisherMatchedInfo) -> None:
        """A reader of the writes matched: the newest write made while none was goes out, if within a command timeout.
        Why: in lockstep the simulator waits for the write of each frame, and its reader can match this node's
        publisher after the run's first write (a stack just come up: discovery matches a pair of processes' topics
        one by one, the commands' reader here had matched); a write older than that is a past state of the wheels."""
        if info.current_count_change <= 0:
            return
        record = self._unread.take(self._time.now_ns(), lambda _, age_s: age_s <= self.config.command_timeout_s)
        if record is not None:
            self._written_pub.publish(record.message())

    @serial
    def _on_command(self, message: DriveCommand) -> None:
        stamp = message.header.stamp
        self._drive(command_link.Command(stamp.sec, stamp.nanosec, message.angle, message.throttle))

    @serial
    def _on_link_command(self, command: command_link.Command) -> None:
        """On the link's thread."""
        self._drive(command)

    def _drive(self, command: command_link.Command) -> None:
        """A command from the link or the topic; the same command (same stamp and values) twice is written once.
        Navigation's held-command repeats carry no stamp and are all alike: each counts (it keeps the watchdog fed)."""
        if command.sec or command.nanosec:
            if command in self._applied:
                return
            self._applied.add(command)
        self._write_command(command)

    def _write_command(self, command: command_link.Command) -> None:
        self._take_guard_word(moves=command.throttle != 0)
        stamp_ns = command.sec * 1_000_000_000 + command.nanosec
        try:
            written = self.core.command(command.angle, command.throttle, stamp_ns / 1e9)
        except ValueError as error:
            self.window.drop()
            self.get_logger().error(f"drive command refused: {error}", throttle_duration_sec=_LOG_THROTTLE_S)
            self._follow_watch()  # nothing moved: the guard, told to count before the write, rests again
            return
        if written is None and self.core.refusal:
            if self.core.hold_until_navigation(command, stamp_ns / 1e9):  # written when it comes (_on_state)
                self.get_logger().info(f"drive command held: {self.core.refusal}",
                                       throttle_duration_sec=_LOG_THROTTLE_S)
            else:
                self.window.drop()
                self.get_logger().warning(f"drive command not honoured: {self.core.refusal}",
                                          throttle_duration_sec=_LOG_THROTTLE_S)
        self._publish_guarded(written, stamp_ns)

    @serial
    def _on_raw(self, message: RawPwm) -> None:
        self._take_guard_word(moves=True)
        try:
            written = self.core.raw(message.channel, message.duty_ns)
        except ValueError as error:
            self.get_logger().error(f"raw PWM refused: {error}", throttle_duration_sec=_LOG_THROTTLE_S)
            self._follow_watch()
            return
        if written is None:
            why = GUARD_NOT_WATCHING if self.core.mode == CALIBRATION else "only honoured in calibration mode"
            self.get_logger().warning(f"raw PWM ignored: {why}", throttle_duration_sec=_LOG_THROTTLE_S)
        self._publish_guarded(written, None)

    @serial
    def _on_state(self, message: NavigationState) -> None:
        self._publish(self.core.follow_navigation(message.mode, message.started, message.run_started_ns), None)
        held = self.core.command_held_for_navigation()
        if isinstance(held, command_link.Command):
            self._write_command(held)
        self._listen_to_console(message.mode == CALIBRATION)

    def _listen_to_console(self, listen: bool) -> None:
        """The console's heartbeat keeps a held calibration wheel move alive (ServoCore.console_heard). Every node's
        beat comes on that topic, ten a second each: only calibration mode, where nothing drives, pays for them."""
        if listen and self._console_beats is None:
            self._console_beats = self.create_subscription(Heartbeat, names.HEARTBEAT, self._on_heartbeat,
                                                           qos.HEARTBEAT)
        elif not listen and self._console_beats is not None:
            self.destroy_subscription(self._console_beats)
            self._console_beats = None

    @serial
    def _on_heartbeat(self, message: Heartbeat) -> None:
        if message.node == CONSOLE_NODE:
            self._publish(self.core.console_heard(message.boot_id), None)

    def _take_guard_word(self, moves: bool) -> None:
        """Before acting: hear the guard, and before a write that can move the car, make sure it counts."""
        self._hear_guard(self._guard.fired())
        self.core.guard_watching = self._guard.count(self.core.calibration.neutral()) if moves else self._guard.ready
        if moves and self.core.guard_watching and \
                self._guard.quiet_s() >= self.config.command_timeout_s / WATCHDOG_CHECKS_PER_TIMEOUT:
            # The watchdog's timer beats on the executor's thread; a command on the link is taken on a thread of its
            # own, which may run while the executor's is behind: the thread that writes also beats, or `woke` would
            # take a late timer for a stalled node and stop the run.
            self._guard.beat(self.core.calibration.neutral())

    def _hear_guard(self, fired: str | None) -> None:
        if fired:
            self._discard_link_queue()
            self._guard_fired(fired)
            return
        if not self._clock_started:
            if not self._time.ticking:
                return  # in simulation before the first /clock: nothing to time a stall by yet
            self._clock_started = True
            self._guard.clock_started()
        # Stalled past the guard's wait: its word may come later than this node's next write (ServoCore.woke).
        woke = self.core.woke(self._guard.quiet_s())
        if woke is not None:
            self._discard_link_queue()
            self.get_logger().error(f"this node did not run for longer than its guard waits: {self.core.fault}")
            self._publish(woke, None)

    def _publish_guarded(self, written: Written | None, source_ns: int | None) -> None:
        """Publish a write that may move the car, hearing the guard once more right after it: this callback can be
        stopped between its check of the guard and its write (SIGSTOP, a starved CPU) for longer than the guard
        waits, and then its write lands after the guard's neutral, with a command that old; neutral again at once.
        Measured in the fault matrix: without this, a woken node drove for ~4 ms in about 1 run in 10."""
        if written is None:
            self._follow_watch()  # refused: nothing moved, and a guard left counting would fire on a live node
            return
        fired = self._guard.fired()
        self._publish(written, source_ns)
        self._hear_guard(fired)

    def _discard_link_queue(self) -> None:
        """This node was stopped or starved: what navigation sent on the link meanwhile is as old as the stall."""
        if self._link is not None and (dropped := self._link.discard_queued()):
            self.get_logger().warning(f"dropped {dropped} drive commands queued while this node did not run")

    def _guard_fired(self, why: str) -> None:
        self.get_logger().error(f"the actuation guard wrote neutral: {why}")
        self._publish(self.core.guard_fired(why), None)

    @serial
    def _check_watchdog(self) -> None:
        self._take_guard_word(moves=False)
        self._guard.beat(self.core.calibration.neutral())
        self._publish(self.core.check_watchdog(), None)

    @serial
    def heartbeat_fault(self) -> str:
        """What navigation must know (run_node's heartbeat carries it): why drive commands are not honoured."""
        return self.core.reported_fault

    @serial
    def _get_calibration(self, request: GetCalibration.Request, response: GetCalibration.Response):
        try:
            values = self.core.calibration.channel(request.channel)
        except ValueError as error:
            response.success, response.reason = False, str(error)
            return response
        response.success = True
        response.min_ns, response.mid_ns, response.max_ns = values.min_ns, values.mid_ns, values.max_ns
        response.polarity = values.polarity
        return response

    @serial
    def _set_calibration(self, request: SetCalibration.Request, response: SetCalibration.Response):
        try:
            values = ChannelCalibration(min_ns=request.min_ns, mid_ns=request.mid_ns, max_ns=request.max_ns,
                                        polarity=request.polarity)
            written = self.core.set_calibration(request.channel, values)
        except (ValueError, OSError) as error:
            response.success, response.reason = False, f"calibration not changed: {error}"
            return response
        self.get_logger().info(f"{request.channel} calibration saved: {values}")
        self._publish(written, None)
        response.success = True
        return response

    @serial
    def _get_led(self, request: GetLedColor.Request, response: GetLedColor.Response):
        response.red, response.green, response.blue = self.core.led.red, self.core.led.green, self.core.led.blue
        return response

    @serial
    def _set_led(self, request: SetLedColor.Request, response: SetLedColor.Response):
        try:
            lit = self.core.set_led(LedColor(red=request.red, green=request.green, blue=request.blue))
        except (ValueError, OSError) as error:
            response.success, response.reason = False, f"tail light not changed: {error}"
            return response
        response.success = True
        response.reason = "" if lit else f"saved, but the output did not take it: {self.core.problem}"
        return response

    def on_shutdown(self) -> None:
        """Throttle neutral and outputs off first (the hardware is what counts), then tell listeners:
        run_node keeps the context alive until this returns, also after SIGINT/SIGTERM."""
        try:
            link, self._link = self._link, None
            if link is not None:
                link.close()  # no command after the stop
            with self._serial:
                self._publish(self.core.stop(), None)
            self._written_pub.wait_for_all_acked(qos.SHUTDOWN_ACK_TIMEOUT)
            self._batch_pub.wait_for_all_acked(qos.SHUTDOWN_ACK_TIMEOUT)
        finally:
            self._guard.close()


def main(args: list[str] | None = None) -> None:
    run_node(ServoNode, args)


if __name__ == "__main__":
    main()
