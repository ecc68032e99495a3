"""The one "call a service with a deadline" helper, over real DDS against a real service in this process: an answer,
a service that is not there, one that does not answer in time (its request taken back), and a refusal in words.
The console's bridges, compat_node and the fleet link all call it, so they say the same thing for the same fault."""

from __future__ import annotations

import threading
import time

import pytest
import rclpy
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import service_call
from deepracer_interfaces_pkg.srv import SetDriveMode


@pytest.fixture(scope="module")
def node():
    context = rclpy.Context()
    rclpy.init(context=context)
    node = Node("service_call_test", context=context)
    executor = MultiThreadedExecutor(num_threads=2, context=context)
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    yield node
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown(context=context)
    thread.join(5)


def test_an_answer_comes_back(node):
    node.create_service(SetBool, "/navigation_pkg/answers", lambda request, response: SetBool.Response(
        success=request.data, message="stopped"))
    client = node.create_client(SetBool, "/navigation_pkg/answers")
    assert service_call.call(client, SetBool.Request(data=True), 5.0).success
    refused = service_call.call(client, SetBool.Request(data=False), 5.0)
    assert service_call.refusal(refused) == "stopped"


def test_a_missing_service_names_the_node_to_look_at(node):
    client = node.create_client(Trigger, "/servo_pkg/nobody_here")
    started = time.monotonic()
    with pytest.raises(service_call.ServiceCallError, match=r"^/servo_pkg/nobody_here is not available: is the "
                                                              r"servo node running\?$"):
        service_call.call(client, Trigger.Request(), 5.0, available_within_s=0.0)
    assert time.monotonic() - started < 1.0  # not the answer deadline: the service was never there


def test_a_stuck_service_is_given_up_on_and_its_request_taken_back(node):
    release = threading.Event()

    def stuck(request, response):
        release.wait(10)
        return response

    node.create_service(Trigger, "/sim_pkg/stuck", stuck, callback_group=ReentrantCallbackGroup())
    client = node.create_client(Trigger, "/sim_pkg/stuck")
    try:
        with pytest.raises(service_call.ServiceCallError, match=r"did not answer within 0\.3 s: the simulator node "
                                                                r"may be busy or stuck"):
            service_call.call(client, Trigger.Request(), 0.3)
        assert not client._pending_requests  # a late answer has nowhere to go
    finally:
        release.set()


def test_a_refusal_reads_ours_and_std_srvs_alike():
    assert service_call.refusal(SetDriveMode.Response(success=False, reason="unknown mode")) == "unknown mode"
    assert service_call.refusal(Trigger.Response(success=False, message="latched")) == "latched"
    assert service_call.refusal(Trigger.Response(success=False)) == "refused, without a reason"
    assert service_call.refusal(Trigger.Response(success=True, message="ok")) == ""
