"""Start real nodes as real processes and watch them over real DDS, waiting on conditions, never sleeping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.subscription import Subscription

DEFAULT_TIMEOUT = 15.0
RESEND_AFTER_S = 2.0  # an unanswered service request is sent again after this


def wait_for(condition: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT,
             what: str | Callable[[], str] = "condition", interval: float = 0.01) -> Any:
    """Poll `condition` every `interval` seconds until it returns something truthy; fail with `what` after
    `timeout` seconds (a callable `what` is asked then, so a process's log shows what it printed up to the
    failure, not up to the call). A condition that costs the system under test (an HTTP request to its
    console) is polled at a longer interval, so the polling does not load what it watches."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def wait_for_any(condition: Callable[[], Any], seconds: float) -> bool:
    """Whether `condition` held at any moment of an observation window of `seconds` (to show something does NOT
    happen: the window is the claim, not a synchronisation)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _param_arg(name: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "[" + ",".join(repr(v) if isinstance(v, str) else str(v) for v in value) + "]"
    else:
        text = str(value)
    return f"{name}:={text}"


def stop_process(process: subprocess.Popen, sig: int, timeout: float, output: Callable[[], str]) -> int:
    """Signal a process and wait for its exit code; kill it and fail, showing its output, if it ignores us."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"{' '.join(map(str, process.args[:3]))} ignored signal {sig}:\n{output()}") from None
    return process.returncode


class NodeProcess:
    """One node of the stack in its own process: `python -m <package>.<executable>` with parameters."""

    def __init__(self, package: str, executable: str, parameters: dict[str, Any] | None = None,
                 *, name: str | None = None, env: dict[str, str] | None = None) -> None:
        args = [sys.executable, "-m", f"{package}.{executable}", "--ros-args"]
        if name:
            args += ["-r", f"__node:={name}"]
        for key, value in (parameters or {}).items():
            args += ["-p", _param_arg(key, value)]
        self.log_path = Path(tempfile.mkstemp(prefix=f"{executable}-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})})

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
        """Signal the node and wait for it to exit; return its exit code."""
        try:
            return stop_process(self.process, sig, timeout, self.output)
        finally:
            self._log.close()

    def __enter__(self) -> NodeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Collector:
    """Messages received on one subscription, readable from the test thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[float, Any]] = []
        self.subscription: Any = None  # set by RosProbe.subscribe: get_publisher_count() tells it is matched

    def _add(self, message: Any) -> None:
        with self._lock:
            self._messages.append((time.monotonic(), message))

    @property
    def messages(self) -> list[Any]:
        with self._lock:
            return [m for _, m in self._messages]

    def timed(self) -> list[tuple[float, Any]]:
        """(monotonic receive time, message) pairs."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def latest(self) -> Any | None:
        with self._lock:
            return self._messages[-1][1] if self._messages else None

    def wait_for(self, predicate: Callable[[Any], bool] = lambda m: True, timeout: float = DEFAULT_TIMEOUT,
                 what: str | Callable[[], str] = "a matching message") -> Any:
        """Wait for a received message matching `predicate` and return the first one."""
        def find() -> Any:
            for message in self.messages:
                if predicate(message):
                    return message
            return None
        return wait_for(find, timeout, what)


class RosProbe:
    """A test-side rclpy node spun in a background thread."""

    def __init__(self, domain_id: int | None = None) -> None:
        """`domain_id`: a ROS domain of its own (with a stack started in the same one), away from every other
        node the test session has started."""
        self._context = rclpy.Context()
        rclpy.init(context=self._context, domain_id=domain_id)
        self.node = Node(f"test_probe_{os.getpid()}", context=self._context)
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._executor.spin, daemon=True)
        self._thread.start()
        self._lock = threading.Lock()
        self._owned: list[Any] = []  # subscriptions and publishers, oldest first (`release`)

    def subscribe(self, msg_type: Any, topic: str, qos: QoSProfile) -> Collector:
        collector = Collector()
        with self._lock:
            collector.subscription = self.node.create_subscription(msg_type, topic, collector._add, qos)
            self._owned.append(collector.subscription)
        return collector

    def mark(self) -> int:
        """Where `release` will start from."""
        with self._lock:
            return len(self._owned)

    def release(self, mark: int) -> None:
        """Destroy the subscriptions and publishers made since `mark`. Why: a session's probe that keeps every
        reader of every test is a reader for every later stack: each of its frames and writes deserialised and kept
        once per leftover subscription in this process (CPU the stacks under test lose on 2 cores), and nodes that
        work only for a reader (compat's rl_results, display streams, heartbeats over DDS) working for nobody."""
        with self._lock:
            entities, self._owned[mark:] = self._owned[mark:], []
            for entity in entities:  # already gone when a test destroyed it itself: then a no-op
                if isinstance(entity, Subscription):
                    self.node.destroy_subscription(entity)
                else:
                    self.node.destroy_publisher(entity)

    def publisher(self, msg_type: Any, topic: str, qos: QoSProfile, *, wait_for_subscribers: int = 1,
                  timeout: float = DEFAULT_TIMEOUT) -> Any:
        with self._lock:
            publisher = self.node.create_publisher(msg_type, topic, qos)
            self._owned.append(publisher)
        if wait_for_subscribers:
            wait_for(lambda: publisher.get_subscription_count() >= wait_for_subscribers, timeout,
                     f"a subscriber on {topic}")
        return publisher

    def call(self, srv_type: Any, name: str, request: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Call a service, waiting for it to appear first; return the response.

        A server killed earlier stays discovered until its DDS lease runs out, so "ready" can mean a dead
        server, and a request sent before the new one matched is lost: unanswered requests are sent again.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise AssertionError(f"service {name} did not appear within {timeout} s")
            while True:
                future = client.call_async(request)
                remaining = deadline - time.monotonic()
                try:
                    wait_for(future.done, min(RESEND_AFTER_S, max(remaining, 0.0)), f"an answer from {name}")
                    return future.result()
                except AssertionError:
                    client.remove_pending_request(future)
                    if time.monotonic() >= deadline:
                        raise AssertionError(f"no answer from {name} within {timeout} s") from None
        finally:
            with self._lock:
                self.node.destroy_client(client)

    def close(self) -> None:
        self._executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self._context)
        self._thread.join(timeout=5)
