"""Navigation node: policy outputs and drive-pad commands in, one servo command stream out.

A thin shell around DriveControl: every message and service call becomes a core call, and the core's
answer becomes a DriveCommand (stamped with its source stamp) and, when the state changed, a latched
NavigationState. A watchdog asks the core whether the driving source went quiet; it runs only while the car is
started or still driving (nothing can go quiet otherwise, and every wake-up costs the car's CPU), and on the car only
once inputs stop (deepracer_common_pkg.deadline_thread).

Policy outputs arrive on the camera's capture thread when inference shares this process
(deepracer_common_pkg.hosted_topics), everything else on the executor's: one lock keeps each core call and the
messages it yields together, in order.

Commands reach the servo node on a local socket when it listens there (deepracer_common_pkg.command_link), and over
DDS while it does not, or when somebody else reads them. The console of the same car takes a sample of them for the
Control page's readout on a local socket of its own (readout_sampler), so an open page adds no reader over DDS.
"""

from __future__ import annotations

import dataclasses
import threading

from rclpy.event_handler import PublisherEventCallbacks, QoSPublisherMatchedInfo
from rclpy.node import Node
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import (
    action_space_msg,
    command_link,
    heartbeat,
    hosted_topics,
    names,
    picture_link,
    qos,
    timeout_chain,
)
from deepracer_common_pkg.action_space import ActionSpaceError
from deepracer_common_pkg.deadline_thread import DeadlineThread
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.newest_unread import NewestUnread
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import header_at, to_ns
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_common_pkg.telemetry_node import publish_telemetry
from deepracer_interfaces_pkg.msg import (
    DriveCommand,
    Heartbeat,
    InferenceResult,
    ModelState,
    NavigationState,
    ServoCtrlMsg,
)
from deepracer_interfaces_pkg.srv import SetDriveMode, SetMaxSpeed
from navigation_pkg.config import NavigationConfig
from navigation_pkg.drive_control import AUTONOMOUS, EXTERNAL, MANUAL, REPEAT, DriveControl, DriveState, Outcome
from navigation_pkg.readout_sampler import ReadoutSampler

STATE_PERIOD_S = 1.0
SERVO_NODE = "servo_node"  # the node the commands are for, in this node's namespace (launch/graph.yaml)
# Made for every frame's command without the generated constructor's defaults (message_maker).
_command = maker(DriveCommand, "header", "angle", "throttle")


class NavigationNode(Node):
    def __init__(self) -> None:
        super().__init__("navigation_node")
        self._config = declare_config(self, NavigationConfig, on_change=self._on_config, refuse=self._refuse_change)
        self._checked = self._config  # what the launcher checked the chain's links with (timeout_chain)
        self._time = StackClock(self)  # timeouts and stamps alike: the car's boot clock, or simulated time
        self._control = DriveControl(self._config, monotonic_ns=self._time.now_ns, stamp_ns=self._time.now_ns)
        self._window = StageWindow("navigation", clock=self._time.now_s)
        self._last_state: DriveState | None = None
        self._lock = threading.RLock()

        self._servo_pub = hosted_topics.HandOff(self, DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND,
                                                PublisherEventCallbacks(matched=self._on_servo_matched))
        self._undelivered: NewestUnread[DriveCommand] = NewestUnread()
        servo = f"{self.get_namespace().rstrip('/')}/{SERVO_NODE}"
        self._servo_link = command_link.CommandSender(command_link.address(self.context.get_domain_id(), servo),
                                                      clock=self._time.now_s)
        self._readout = picture_link.open_server(
            command_link.readout_address(self.context.get_domain_id(), self.get_fully_qualified_name()),
            self.get_logger(), "the console's readout of the commands", "navigation")
        self._readout_sampler = ReadoutSampler()
        self._state_pub = self.create_publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
        hosted_topics.subscribe(self, InferenceResult, names.INFERENCE_RESULTS, self._on_policy, qos.LATEST)
        self.create_subscription(DriveCommand, names.MANUAL_DRIVE, self._on_manual, qos.COMMAND)
        for topic in names.EXTERNAL_DRIVE_TOPICS:
            self.create_subscription(ServoCtrlMsg, topic, self._on_external, qos.ORIGINAL_DRIVE)
        self.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self._on_model_state, qos.LATCHED)
        heartbeat.listen(self, self._on_heartbeat, in_process=self._on_heartbeat_in_process)
        self.create_service(SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE, self._on_set_drive_mode)
        self.create_service(SetBool, names.NAVIGATION_START_STOP, self._on_start_stop)
        self.create_service(SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED, self._on_set_max_speed)
        self.create_service(Trigger, names.NAVIGATION_EMERGENCY_STOP, self._on_emergency_stop)
        self.create_service(Trigger, names.NAVIGATION_RESET_EMERGENCY_STOP, self._on_reset_emergency_stop)
        # The watchdog: on the car a thread of its own that sleeps until a check can decide something (see _apply);
        # in simulation, where time stands still while the stack thinks, a timer on the simulator's clock.
        self._watch_due_s: float | None = None  # on the car: when the next check is due (None: none needed)
        self._watchdog = None if not self._time.simulated else \
            self._time.create_timer(self._config.watchdog_period_s, self._on_watchdog)
        logger = self.get_logger()
        self._deadline = None if self._time.simulated else DeadlineThread(
            "nav-watchdog", self._time.now_s, lambda: self._watch_due_s, self._on_deadline,
            lambda text: logger.error(text, throttle_duration_sec=5.0))
        self._time.create_timer(STATE_PERIOD_S, self._republish_state)
        publish_telemetry(self, self._window)
        self._republish_state()
        self.get_logger().info(f"navigation ready: {self._config}")

    def _now_ns(self) -> int:
        return self._time.now_ns()

    def _refuse_change(self, candidate: NavigationConfig) -> str:
        return timeout_chain.navigation_change_refusal(self._checked, candidate)

    def _on_config(self, config: NavigationConfig) -> None:
        with self._lock:  # never a timer being destroyed while another callback uses it
            if self._watchdog is not None and config.watchdog_period_s != self._config.watchdog_period_s:
                self.destroy_timer(self._watchdog)
                self._watchdog = self._time.create_timer(config.watchdog_period_s, self._on_watchdog)
            self._config = config
            self._control.configure(config)

    # --- inputs --------------------------------------------------------------------------------------

    def _on_policy(self, msg: InferenceResult) -> None:
        with self._lock:
            self._apply(self._control.on_policy(list(msg.outputs), to_ns(msg.header.stamp), msg.model_name))

    def _on_manual(self, msg: DriveCommand) -> None:
        with self._lock:
            self._apply(self._control.on_manual(msg.angle, msg.throttle, to_ns(msg.header.stamp)))

    def _on_external(self, msg: ServoCtrlMsg) -> None:
        with self._lock:
            self._apply(self._control.on_external(msg.angle, msg.throttle))

    def _on_model_state(self, msg: ModelState) -> None:
        with self._lock:
            self._take_model_state(msg)

    def _take_model_state(self, msg: ModelState) -> None:
        if msg.state != "loaded":
            detail = f": {msg.reason}" if msg.reason else ""
            outcome = self._control.set_model(None, msg.model_name,
                                              f"inference model state is {msg.state!r}{detail}")
        else:
            try:
                spec = action_space_msg.from_msg(msg.action_space)
            except ActionSpaceError as error:
                outcome = self._control.set_model(
                    None, msg.model_name, f"model {msg.model_name!r} has an unusable action space: {error}")
            else:
                outcome = self._control.set_model(spec, msg.model_name)
        self._apply(outcome, log=True)

    def _on_heartbeat_in_process(self, msg: Heartbeat) -> None:
        self._on_heartbeat(msg, in_process=True)

    def _on_heartbeat(self, msg: Heartbeat, in_process: bool = False) -> None:
        """Five a second from each node on the path while started: only a beat that stops the run changes anything
        to publish. The beats of nodes in this process come in-process (heartbeat.listen), and only while news."""
        with self._lock:
            outcome = self._control.on_heartbeat(msg.node, msg.boot_id, msg.fault, in_process)
            if outcome.command is not None:
                self._apply(outcome, log=True)

    def _on_watchdog(self) -> None:
        with self._lock:
            outcome = self._control.tick()
            if outcome.command is not None:
                self._apply(outcome, log=outcome.command.source != REPEAT)

    def _on_deadline(self) -> None:
        """On the watchdog's thread (the car): a check, the next one a period on unless nothing is left to watch."""
        with self._lock:
            self._watch_due_s = self._time.now_s() + self._config.watchdog_period_s
            self._on_watchdog()
            # A check that decided nothing publishes nothing: whether one is still needed is settled here (a stop
            # taken while this thread waited for the lock must leave it asleep, not checking every period).
            self._follow_watchdog(self._control.state())

    # --- services ------------------------------------------------------------------------------------

    def _on_set_drive_mode(self, request: SetDriveMode.Request, response: SetDriveMode.Response):
        with self._lock:
            outcome = self._apply(self._control.set_mode(request.mode), log=True)
        response.success, response.reason = outcome.accepted, outcome.reason
        return response

    def _on_start_stop(self, request: SetBool.Request, response: SetBool.Response):
        with self._lock:
            outcome = self._control.start() if request.data else self._control.stop()
            self._apply(outcome, log=True)
        if not outcome.accepted:  # in the log too: a client that shows only a code (DREM, the sample apps) says nothing
            self.get_logger().warning(f"{'start' if request.data else 'stop'} refused: {outcome.reason}")
        response.success, response.message = outcome.accepted, outcome.reason
        return response

    def _on_set_max_speed(self, request: SetMaxSpeed.Request, response: SetMaxSpeed.Response):
        with self._lock:
            outcome = self._apply(self._control.set_max_speed(request.max_speed), log=True)
        response.success, response.reason = outcome.accepted, outcome.reason
        return response

    def _on_emergency_stop(self, request: Trigger.Request, response: Trigger.Response):
        with self._lock:
            outcome = self._apply(self._control.trigger_emergency_stop(), log=True)
        response.success, response.message = outcome.accepted, outcome.reason
        return response

    def _on_reset_emergency_stop(self, request: Trigger.Request, response: Trigger.Response):
        with self._lock:
            outcome = self._apply(self._control.reset_emergency_stop(), log=True)
        response.success, response.message = outcome.accepted, outcome.reason
        return response

    # --- outputs -------------------------------------------------------------------------------------

    def _apply(self, outcome: Outcome, *, log: bool = False) -> Outcome:
        """Publish what the core decided, count drops, and announce a changed state."""
        if outcome.dropped:
            self._window.drop()
            self.get_logger().warning(outcome.reason, throttle_duration_sec=5.0)
        elif log and outcome.command is not None:
            self.get_logger().info(outcome.reason)
        if outcome.command is not None:
            command = outcome.command
            message = _command(header_at(command.stamp_ns), command.angle, command.throttle)
            sent = command_link.Command(message.header.stamp.sec, message.header.stamp.nanosec, command.angle,
                                        command.throttle)
            linked = self._servo_link.send(sent)
            # On the link, the servo node has it; its DDS reader (counted when matched) need not get it again.
            self._servo_pub.publish(message, outside=not linked or self._servo_pub.outside_readers() > 1)
            taken = linked or self._servo_pub.outside_readers() > 0
            self._undelivered.sent(message, taken, self._now_ns())
            if self._readout is not None:
                now_s = self._time.now_s()
                if self._readout_sampler.due(now_s, command.throttle) and self._readout.consoles():
                    self._readout.send(command_link.command_bytes(sent))
                    self._readout_sampler.sent(now_s, command.throttle)
            if command.source in (MANUAL, AUTONOMOUS, EXTERNAL):
                self._window.record((self._now_ns() - command.stamp_ns) / 1e6)
                # A fresh input: nothing for the watchdog to decide before DriveControl.quiet_after_input_s (the
                # driving path's nodes are checked on each input), so while inputs come it sleeps; it wakes when
                # they stop, which is what it is for. On the car: in simulation its timer keeps its beat.
                if self._deadline is not None:
                    self._watch_due_s = self._time.now_s() + self._control.quiet_after_input_s()
        self._publish_state()
        return outcome

    def _on_servo_matched(self, info: QoSPublisherMatchedInfo) -> None:
        """A reader of the commands matched: the newest command sent while nobody could take it goes out now, if it
        still stands (neutral always; a drive command within command_repeat_s, after which a newer one is due).
        Why: over DDS (simulation, or the car before the servo node's link is up) a command published before the
        servo node's reader matched reached nobody; the first of a run was lost when the stack had just come up,
        and in lockstep time waited for its answer (deepracer-eval beside busy neighbours: 3 runs in 24 had a frame
        unanswered for 5 s, an unreproducible run)."""
        if info.current_count_change <= 0:
            return
        with self._lock:
            message = self._undelivered.take(self._now_ns(), lambda command, age_s: command.throttle == 0.0
                                             or age_s <= self._config.command_repeat_s)
            if message is not None:
                self._servo_pub.publish_outside(message)

    def _follow_watchdog(self, state: DriveState) -> None:
        needed = state.started or not state.neutral_reason  # started, or a command still on the wheels
        if self._deadline is not None:
            if not needed:
                self._watch_due_s = None
            elif self._watch_due_s is None:
                self._watch_due_s = self._time.now_s() + self._config.watchdog_period_s
                self._deadline.poke()  # it may be sleeping with nothing due
            return
        if needed and self._watchdog.is_canceled():
            self._watchdog.reset()
        elif not needed and not self._watchdog.is_canceled():
            self._watchdog.cancel()

    def _republish_state(self) -> None:
        """While started and held at neutral, once a second: the console shows how long the command source has been
        quiet (last_command_age_s, shown only then). A car driving or not started has nothing new to say, and its
        ten readers in three processes would each pay a wake-up for it: the state is latched, so a reader that
        comes gets it anyway."""
        with self._lock:
            state = self._control.state()
            self._publish_state(force=state.started and bool(state.neutral_reason))

    def _publish_state(self, *, force: bool = False) -> None:
        state = self._control.state()
        self._follow_watchdog(state)
        if state == self._last_state and not force:  # the age aside (DriveState), asked on every frame
            return
        self._last_state = state
        self._state_pub.publish(NavigationState(**dataclasses.asdict(state)))

    def on_shutdown(self) -> None:
        """Neutral on the way out, and wait (briefly) until the servo node has it."""
        if self._deadline is not None:
            self._deadline.close()  # the last word is the shutdown's neutral, not a check after it
        with self._lock:
            self._apply(self._control.shutdown(), log=True)
        self._servo_pub.wait_for_all_acked(qos.SHUTDOWN_ACK_TIMEOUT)
        with self._lock:  # the capture thread may still hand a policy output on
            self._servo_link.close()  # after the neutral: it is read from the socket's queue even once closed
            if self._readout is not None:
                self._readout.close()


def main(args: list[str] | None = None) -> None:
    run_node(NavigationNode, args)


if __name__ == "__main__":
    main()
