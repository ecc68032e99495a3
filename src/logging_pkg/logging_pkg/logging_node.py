"""Logging node: records each autonomous run as a ROS 2 bag (rclpy shell around RunRecorder).

Its name is the community car logger's, `/logging_pkg/bag_log_node`, wherever it is hosted: DeepRacer Event Manager
asks that node for `output_path` (`ros2 param get`) before it collects the bags.

Every recorded topic is a raw subscription: the node gets the CDR bytes DDS delivered and hands them to the
bag as they are, so recording a frame costs no deserialization. The servo node's writes are the exception: read
as the servo sends them for this reader, a few batches a second (PwmWrittenBatch), not one message per write, and
each goes into the bag as the PwmWritten it is, at the time it was written. Only the small state topics it acts on
(drive state, model, race) are decoded, and what it is told: the console's current racer and the USB stick's folder.
Subscriptions on the frame path are best effort whatever the publisher offers: a reliable publisher then never
waits for, or resends to, the logger.

Threads: one writer thread owns the recorder and does all its work (writes, compression, disk checks) at
`niceness`, so on a busy CPU the frame path goes first; callbacks only queue what arrived, with its arrival time.
When the camera, inference and navigation share this process, their frames, results and commands come in-process
on the capture thread (deepracer_common_pkg.hosted_topics), riding along: frames and results flow exactly while the
policy runs, and all are serialised on the writer thread, off the frame path. The few that can arrive before this
node has heard the Start that opens the bag (inference heard it first) are kept and written first into it. There the
original rl_results (DREM's video tool reads them from bags) are made here too, from the camera's colour pictures,
which the camera hands on while a run drives, and the policy's outputs (compat_pkg.rl_results): read back from
compat_node over DDS, they cost the car two more trips between processes per picture and a busy compat_node.

Topics whose mere reader makes another node work, and those that come once per frame, are subscribed only while the
car is in autonomous mode (WHILE_AUTONOMOUS: matched before the racer presses Start), the original rl_results only
while a run drives (WHILE_DRIVING): an idle car pays nothing for the logger. The node has an executor of its own
(`OWN_EXECUTOR`): its stop_logging service waits for the writer's answer.

Parameter changes apply from the next bag on; `niceness` and `check_period_s` are read at start.
"""

from __future__ import annotations

import importlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import CompressedImage
from std_msgs.msg import String
from std_srvs.srv import Trigger

from compat_pkg.rl_results import RlResultsPairing
from deepracer_common_pkg import hosted_topics, names, qos
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import to_ns
from deepracer_common_pkg.thread_names import name_this_thread
from deepracer_interfaces_pkg.msg import ModelState, NavigationState, PwmWrittenBatch
from logging_pkg.bag_format import TopicSpec
from logging_pkg.cdr_encoding import encoder_for
from logging_pkg.config import LoggingConfig
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.recorder import AUTONOMOUS, RunRecorder
from logging_pkg.topics import recorded_topics, type_class_path

# The logger's own reader keeps a few messages, so a chunk being compressed does not drop frames from the bag;
# the publisher's queue is its own (depth 1) and does not grow for it.
READER_DEPTH = 10
# How long stop_logging waits for the writer to close the bag (a slow USB stick can take seconds).
STOP_ANSWER_TIMEOUT_S = 10.0
# Subscribed only in autonomous mode: a reader of these makes another node do work (the camera sends frames over
# DDS only while read), or they come once per frame (each message costs a wake-up; nothing of them is kept outside a
# run). Topics handed on in-process are not among them: they cost nothing while nobody drives.
WHILE_AUTONOMOUS = frozenset({names.CAMERA_FRAMES, names.INFERENCE_RESULTS, names.NAVIGATION_SERVO_CMD,
                              names.SERVO_PWM_WRITTEN, names.SIM_POSE})
# Subscribed only while a run drives: its reader makes compat_node pair colour pictures with policy outputs and the
# camera send its JPEG stream, 15 pictures a second that an idle car in autonomous mode has no use for. It starts
# within a moment of the Start (compat_node hears the reader at once, the camera the same), a few frames into the run.
WHILE_DRIVING = frozenset({names.ORIGINAL_RL_RESULTS})
# After the writer has emptied its inbox it pauses this long before it waits again, so a run's messages (about 100 a
# second) are taken in four wake-ups a second, not one each: each wake-up of a thread cost ~0.1 ms of CPU here, and
# ~0.3 ms held to the car's budget (issue 23). The writer is niced and off the frame path: a message waits at most
# this long to be written (a killed logger loses the chunk being filled anyway, about a second of frames).
DRAIN_PAUSE_S = 0.25
# In-process messages kept while no bag is open, for the bag the run's Start is about to open.
EARLY_KEPT = 32
_STOP = object()


def _reader_qos(spec: TopicSpec) -> QoSProfile:
    latched = spec.durability == "transient_local"
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST, depth=1 if latched else READER_DEPTH,
        # Latched state must be reliable to get the value published before we joined; the rest best effort.
        reliability=ReliabilityPolicy.RELIABLE if latched else ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE,
    )


def _message_class(type_name: str) -> type | None:
    module, name = type_class_path(type_name)
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


WRITER_THREAD = "logging-writer"  # its name in top -H and /proc/<pid>/task/<tid>/comm


def lower_thread_priority(niceness: int) -> None:
    """The calling thread at `niceness` (on Linux a niceness belongs to a thread, not to the process), and named
    so it can be told apart from the frame path's threads of the process it shares."""
    name_this_thread(WRITER_THREAD)
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


class LoggingNode(Node):
    OWN_EXECUTOR = staticmethod(EventsExecutor)

    def __init__(self) -> None:
        super().__init__(names.LOGGING_NODE_NAME, namespace=names.LOGGING_NODE_NAMESPACE)
        self._config = declare_config(self, LoggingConfig, self._on_config_change)
        package_types = {f"deepracer_interfaces_pkg/msg/{n}" for n in ("SimPose", "SimState", "InferResultsArray")
                         if _message_class(f"deepracer_interfaces_pkg/msg/{n}") is not None}
        self._topics = recorded_topics(package_types, original_results=self._config.record_original_results)
        self._clock = StackClock(self)
        self.recorder = RunRecorder(self._config, self._topics, DefinitionLibrary(), log=self.get_logger().info,
                                    # Messages are logged at wall-clock times (a bag's dates); a run's idle end
                                    # is timed on the stack's clock, as the run itself.
                                    wall_ns=time.time_ns, monotonic=self._clock.now_s)
        self.recorder.recover_unclosed()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._early: deque[tuple[str, Any, int]] = deque(maxlen=EARLY_KEPT)  # writer thread only
        self._on_demand: dict[str, Any] = {}  # topic -> subscription, while in autonomous mode
        self._run_driving = False  # read by the camera's thread: it sends its pictures here only while True
        self._encoders: dict[type, Callable[[Any], bytes]] = {}  # CDR writers by message type; writer thread only
        # The original rl_results, made here from the camera's pictures and the policy's outputs when both are handed
        # on in-process (writer thread only), instead of read back from compat_node over DDS.
        self._pairing = RlResultsPairing() if any(spec.name == names.ORIGINAL_RL_RESULTS for spec in self._topics) \
            and hosted_topics.in_process(names.CAMERA_DISPLAY) and hosted_topics.in_process(names.INFERENCE_RESULTS) \
            else None
        if self._pairing is not None:
            hosted_topics.subscribe(self, CompressedImage, names.CAMERA_DISPLAY, self._arrival(names.CAMERA_DISPLAY),
                                    qos.LATEST, wanted=lambda: self._run_driving)
        for spec in self._topics:
            if hosted_topics.in_process(spec.name):
                hosted_topics.subscribe(self, _message_class(spec.type_name), spec.name, self._arrival(spec.name),
                                        _reader_qos(spec), raw=True)
            elif not self._made_here(spec.name) and spec.name not in WHILE_AUTONOMOUS | WHILE_DRIVING:
                self._subscribe(spec)
        self.create_subscription(String, names.SYSTEM_USB_LOGS_DIR,
                                 lambda message: self._inbox.put((self.recorder.on_usb_logs_dir, message.data)),
                                 qos.LATCHED)
        self.create_subscription(String, names.CONSOLE_CURRENT_RACER,
                                 lambda message: self._inbox.put((self.recorder.on_racer, message.data)), qos.LATCHED)
        self.create_service(Trigger, names.LOGGING_STOP_LOGGING, self._stop_logging)
        self._writer = threading.Thread(target=self._write, name=WRITER_THREAD, daemon=True)
        self._writer.start()
        self.get_logger().info(f"logging mode '{self._config.logging_mode}': runs go to "
                               f"{self.recorder.target_folder()} (output_path {self.recorder.output_path})")

    # --- what arrives ------------------------------------------------------------------------------
    def _subscribe(self, spec: TopicSpec):
        if spec.name == names.SERVO_PWM_WRITTEN:  # read batched, a few a second (servo_pkg.write_batch)
            return self.create_subscription(PwmWrittenBatch, names.SERVO_PWM_WRITTEN_BATCH, self._on_written,
                                            qos.REPORTS)
        return self.create_subscription(_message_class(spec.type_name), spec.name, self._arrival(spec.name),
                                        _reader_qos(spec), raw=True)

    def _on_written(self, batch: PwmWrittenBatch) -> None:
        """Each write goes into the bag as the PwmWritten it is, logged when it was written, not when it came."""
        arrived_ns, now_ns = time.time_ns(), self._clock.now_ns()
        for write in batch.writes:
            self._inbox.put((names.SERVO_PWM_WRITTEN, write, arrived_ns - max(0, now_ns - to_ns(write.written))))

    def _arrival(self, topic: str) -> Callable[[Any], None]:
        """Queue a message (CDR bytes, or a message object handed on in-process) with its arrival time."""
        put = self._inbox.put
        if topic == names.NAVIGATION_STATE:
            def on_state(data: bytes) -> None:
                put((topic, data, time.time_ns()))
                self._follow_state(deserialize_message(data, NavigationState))
            return on_state
        return lambda data: put((topic, data, time.time_ns()))

    def _made_here(self, topic: str) -> bool:
        """Handed on in-process, or made here from what is: no reader over DDS."""
        return hosted_topics.in_process(topic) or (topic == names.ORIGINAL_RL_RESULTS and self._pairing is not None)

    def _follow_state(self, state: NavigationState) -> None:
        """On this node's executor: the on-demand readers exist exactly while their mode or run is on."""
        autonomous = state.mode == AUTONOMOUS
        self._run_driving = autonomous and state.started
        for spec in self._topics:
            if self._made_here(spec.name):
                continue
            if spec.name in WHILE_AUTONOMOUS:
                self._want(spec, autonomous)
            elif spec.name in WHILE_DRIVING:
                self._want(spec, autonomous and state.started)

    def _want(self, spec: TopicSpec, wanted: bool) -> None:
        if wanted and spec.name not in self._on_demand:
            self._on_demand[spec.name] = self._subscribe(spec)
        elif not wanted and spec.name in self._on_demand:
            self.destroy_subscription(self._on_demand.pop(spec.name))

    def _on_config_change(self, config: LoggingConfig) -> None:
        self._inbox.put((self.recorder.configure, config))

    def _stop_logging(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        answered = threading.Event()
        answer: list[str] = []

        def stop() -> None:
            answer.append(self.recorder.stop_logging())
            answered.set()

        self._inbox.put((stop,))
        response.success = answered.wait(STOP_ANSWER_TIMEOUT_S)
        response.message = answer[0] if answer else (f"the logger did not finish the bag within "
                                                     f"{STOP_ANSWER_TIMEOUT_S:g} s (a slow disk?); try again")
        return response

    # --- the writer thread: all recorder work ----------------------------------------------------------
    def _write(self) -> None:
        try:
            lower_thread_priority(self._config.niceness)
        except OSError as error:
            self.get_logger().warning(f"could not lower the logger's priority ({error.strerror})")
        period = self._config.check_period_s
        next_check = time.monotonic() + period
        while True:
            try:
                item = self._inbox.get(timeout=max(0.0, next_check - time.monotonic()))
            except queue.Empty:
                item = None
            while item is not None:  # what came meanwhile, in one wake-up
                if item is _STOP:
                    self.recorder.shutdown()
                    return
                self._handle(item)
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    item = None
                    time.sleep(DRAIN_PAUSE_S)  # the next messages gather meanwhile: see DRAIN_PAUSE_S
            if time.monotonic() >= next_check:
                self.recorder.tick()
                next_check = time.monotonic() + period

    def _handle(self, item: tuple) -> None:
        if len(item) != 3 or not isinstance(item[0], str):
            function, *args = item
            function(*args)
            return
        topic, data, received_ns = item
        recorder = self.recorder
        if not isinstance(data, bytes):  # handed on in-process
            if recorder.recording is None:
                self._early.append(item)
            else:
                self._record_handed(topic, data, received_ns)
            return
        if topic == names.NAVIGATION_STATE:
            state = deserialize_message(data, NavigationState)
            recorder.on_message(topic, data, received_ns)
            was = recorder.recording
            recorder.on_navigation(state.mode, state.started, state.model_name, state.run_started_ns)
            if recorder.recording is not None and recorder.recording != was:
                for early_topic, message, early_ns in self._early:
                    self._record_handed(early_topic, message, early_ns)
            if not (state.mode == AUTONOMOUS and state.started):
                self._early.clear()
        elif topic == names.INFERENCE_MODEL_STATE:
            state = deserialize_message(data, ModelState)
            recorder.on_model(state.model_dir if state.state == "loaded" else "")
            recorder.on_message(topic, data, received_ns)
        elif topic == names.SIM_STATE:
            from deepracer_interfaces_pkg.msg import SimState  # present when the simulator's types are installed

            recorder.on_message(topic, data, received_ns)
            recorder.on_laps(deserialize_message(data, SimState).laps)
        else:
            recorder.on_message(topic, data, received_ns)

    def _record_handed(self, topic: str, message: Any, received_ns: int) -> None:
        """A message handed on in-process, serialised here, off the frame path. A camera picture is not recorded
        itself: with the policy output of its capture it makes the original rl_results (as compat_node would)."""
        if topic != names.CAMERA_DISPLAY:
            self.recorder.on_message(topic, self._cdr(message), received_ns)
        if self._pairing is None:
            return
        if topic == names.CAMERA_DISPLAY:
            paired = self._pairing.picture(message)
        elif topic == names.INFERENCE_RESULTS:
            paired = self._pairing.result(message)
        else:
            return
        if paired is not None:
            self.recorder.on_message(names.ORIGINAL_RL_RESULTS, self._cdr(paired), received_ns)

    def _cdr(self, message: Any) -> bytes:
        """The message's CDR bytes: this package's encoding (cdr_encoding.py: about half of rclpy's CPU here), or
        rclpy's for a type it does not write."""
        encode = self._encoders.get(type(message))
        if encode is None:
            encode = self._encoders[type(message)] = encoder_for(type(message)) or serialize_message
        return encode(message)

    def on_shutdown(self) -> None:
        self._inbox.put(_STOP)
        self._writer.join(STOP_ANSWER_TIMEOUT_S)


def main(args: list[str] | None = None) -> None:
    run_node(LoggingNode, args)


if __name__ == "__main__":
    main()
