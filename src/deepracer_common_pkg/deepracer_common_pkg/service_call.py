"""Call one of our nodes' services with a deadline: the one way the console, compat_node, the fleet link and the
system bridge ask another node for something.

Why one helper: a service call from a thread other than the executor's must never hang the caller (a phone's
request, DREM's `ros2 service call`, an organiser's command), and each copy of this code had its own gaps (one
waited without a deadline for the answer once the service was there, two never took back a request that timed
out). The caller's own executor spins in another thread and completes the future; here we only wait, bounded.

No rclpy import: the client is any rclpy client (`wait_for_service`, `call_async`, `remove_pending_request`).
"""

from __future__ import annotations

import threading
from typing import Any


class ServiceCallError(Exception):
    """The service gave no answer: it is not there, it did not answer in time, or the call failed. str() says
    which, naming the service and the node that owns it."""


def owner_of(service: str) -> str:
    """The node a service name belongs to, for messages: '/navigation_pkg/start_stop' -> 'navigation', and a node's
    parameter service '/inference_node/set_parameters' -> 'inference'."""
    package = service.strip("/").split("/")[0]
    return {"sim_pkg": "simulator"}.get(package, package.removesuffix("_pkg").removesuffix("_node"))


def call(client: Any, request: Any, timeout_s: float, *, available_within_s: float | None = None) -> Any:
    """The service's response, or ServiceCallError. `available_within_s` (default `timeout_s`) bounds the wait for
    the service to appear; `timeout_s` bounds the wait for its answer. A request that timed out is taken back, so
    a late answer is dropped instead of piling up in the client."""
    name = client.srv_name
    owner = owner_of(name)
    if not client.wait_for_service(timeout_sec=available_within_s if available_within_s is not None else timeout_s):
        raise ServiceCallError(f"{name} is not available: is the {owner} node running?")
    done = threading.Event()
    future = client.call_async(request)
    future.add_done_callback(lambda _: done.set())
    if not done.wait(timeout_s):
        client.remove_pending_request(future)
        raise ServiceCallError(f"{name} did not answer within {timeout_s:g} s: the {owner} node may be busy or stuck")
    if future.exception() is not None:
        raise ServiceCallError(f"{name} failed: {future.exception()}")
    return future.result()


def refusal(response: Any) -> str:
    """Why a response with a `success` flag says no ("" when it said yes): ours carry `reason`, std_srvs `message`."""
    if getattr(response, "success", True):
        return ""
    return getattr(response, "reason", "") or getattr(response, "message", "") or "refused, without a reason"
