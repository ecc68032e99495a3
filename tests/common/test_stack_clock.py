"""The stack's clock: the car's boot clock on the car (read as one C call, issue 23), the simulator's in simulation,
and the boot clock there until the simulator's first tick. Real rclpy nodes; no clock is faked."""

from __future__ import annotations

import time

from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.time import Time

from deepracer_common_pkg.stack_clock import USE_SIM_TIME, StackClock


def test_on_the_car_every_read_is_the_boot_clock_in_ns_and_in_s(context):
    clock = StackClock(Node("car_node", context=context))
    assert not clock.simulated and clock.ticking
    before = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    now_ns, now_s = clock.now_ns(), clock.now_s()
    after = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    assert isinstance(now_ns, int) and before <= now_ns <= after
    assert before / 1e9 <= now_s <= after / 1e9 + 1e-6
    assert clock.stamp().sec <= after // 1_000_000_000


def test_in_simulation_the_simulator_s_time_once_it_ticks_and_the_boot_clock_before(context):
    node = Node("sim_node_reader", context=context,
                parameter_overrides=[Parameter(USE_SIM_TIME, Parameter.Type.BOOL, True)])
    clock = StackClock(node)
    assert clock.simulated and not clock.ticking
    before = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    assert clock.now_ns() >= before  # no /clock yet: the boot clock, not 0
    node.get_clock().set_ros_time_override(Time(seconds=12, nanoseconds=5))
    assert clock.ticking
    assert clock.now_ns() == 12_000_000_005
    assert clock.now_s() == 12.000000005
