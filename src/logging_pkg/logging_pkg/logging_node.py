"""Logging node: records each autonomous run as a ROS 2 bag (rclpy shell around RunRecorder).

Its name is the community car logger's, `/logging_pkg/bag_log_node`, wherever it is hosted: DeepRacer Event Manager
asks that node for `output_path` (`ros2 param get`) before it collects the bags.

Every recorded topic is a raw subscription: the node gets the CDR bytes DDS delivered and hands them to the
bag as they are, so recording a frame costs no deserialization. Only the small state topics it acts on (drive
state, model, race) are decoded, and what it is told: the console's current racer and the USB stick's folder.
Subscriptions on the frame path are best effort whatever the publisher offers: a reliable publisher then never
waits for, or resends to, the logger. The process runs niced (`niceness`), so on a busy CPU the frame path's
processes go first.

Parameter changes apply from the next bag on; `niceness` and `check_period_s` are read at start.
"""

from __future__ import annotations

import importlib
import os
import time

from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message
from std_msgs.msg import String
from std_srvs.srv import Trigger

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_interfaces_pkg.msg import ModelState, NavigationState
from logging_pkg.bag_format import TopicSpec
from logging_pkg.config import LoggingConfig
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.recorder import RunRecorder
from logging_pkg.topics import recorded_topics, type_class_path

# The logger's own reader keeps a few messages, so a chunk being compressed does not drop frames from the bag;
# the publisher's queue is its own (depth 1) and does not grow for it.
READER_DEPTH = 10


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


def lower_priority(niceness: int) -> None:
    """Every thread of this process at `niceness`: on Linux a niceness belongs to a thread (`os.nice` changes only
    the caller's), and DDS started its receive threads, which take every recorded message, before the node could
    read its parameters. Threads started later inherit it from the main thread."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), niceness)
        except ProcessLookupError:
            continue  # a thread that ended meanwhile


class LoggingNode(Node):
    def __init__(self) -> None:
        super().__init__(names.LOGGING_NODE_NAME, namespace=names.LOGGING_NODE_NAMESPACE)
        config = declare_config(self, LoggingConfig, self._on_config_change)
        try:
            lower_priority(config.niceness)
        except OSError as error:
            self.get_logger().warning(f"could not lower this process's priority ({error.strerror})")
        package_types = {f"deepracer_interfaces_pkg/msg/{n}" for n in ("SimPose", "SimState", "InferResultsArray")
                         if _message_class(f"deepracer_interfaces_pkg/msg/{n}") is not None}
        topics = recorded_topics(package_types, original_results=config.record_original_results)
        self.recorder = RunRecorder(config, topics, DefinitionLibrary(), log=self.get_logger().info,
                                    wall_ns=time.time_ns, monotonic=time.monotonic)
        self.recorder.recover_unclosed()
        for spec in topics:
            self.create_subscription(_message_class(spec.type_name), spec.name, self._recorder_for(spec.name),
                                     _reader_qos(spec), raw=True)
        self.create_subscription(String, names.SYSTEM_USB_LOGS_DIR,
                                 lambda message: self.recorder.on_usb_logs_dir(message.data), qos.LATCHED)
        self.create_subscription(String, names.CONSOLE_CURRENT_RACER,
                                 lambda message: self.recorder.on_racer(message.data), qos.LATCHED)
        self.create_service(Trigger, names.LOGGING_STOP_LOGGING, self._stop_logging)
        self._timer = self.create_timer(config.check_period_s, self.recorder.tick)
        self.get_logger().info(f"logging mode '{config.logging_mode}': runs go to {self.recorder.target_folder()} "
                               f"(output_path {self.recorder.output_path})")

    def _recorder_for(self, topic: str):
        on_message = self.recorder.on_message
        if topic == names.NAVIGATION_STATE:
            def on_state(data: bytes) -> None:
                state = deserialize_message(data, NavigationState)
                on_message(topic, data)
                self.recorder.on_navigation(state.mode, state.started, state.model_name, state.run_started_ns)
            return on_state
        if topic == names.INFERENCE_MODEL_STATE:
            def on_model(data: bytes) -> None:
                state = deserialize_message(data, ModelState)
                self.recorder.on_model(state.model_dir if state.state == "loaded" else "")
                on_message(topic, data)
            return on_model
        if topic == names.SIM_STATE:
            from deepracer_interfaces_pkg.msg import SimState  # present when the simulator's types are installed

            def on_sim(data: bytes) -> None:
                on_message(topic, data)
                self.recorder.on_laps(deserialize_message(data, SimState).laps)
            return on_sim
        return lambda data: on_message(topic, data)

    def _on_config_change(self, config: LoggingConfig) -> None:
        self.recorder.configure(config)

    def _stop_logging(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        response.message = self.recorder.stop_logging()
        response.success = True
        return response

    def on_shutdown(self) -> None:
        self.recorder.shutdown()


def main(args: list[str] | None = None) -> None:
    run_node(LoggingNode, args)


if __name__ == "__main__":
    main()
