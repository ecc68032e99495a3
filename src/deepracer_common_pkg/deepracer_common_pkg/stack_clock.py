"""The one clock every node of the stack reads: the car's boot clock on the car, the simulator's in simulation.

Why one: a capture stamp, a command's age, a timeout, the Start of a run and a lap are compared across nodes and
processes; read from different clocks they disagree (a wall clock NTP steps, a simulator running faster or slower
than the wall). On the car the stack reads CLOCK_BOOTTIME (car_clock.py: only moves forward, the same in every
process); in simulation (the ROS parameter `use_sim_time`, which the graph sets on every node while the simulator
is in it, graph.with_clock) it reads the simulator's /clock, as ROS 2 tools do, so a simulated run is the same
whatever the machine's speed: time stands still while the stack thinks (sim_pkg, lockstep).

Timers follow the same clock: a steady one on the car (a periodic timer must not jump with the wall clock), the
simulator's in simulation. Cores never read a clock: nodes pass `now_ns`/`now_s` in.
"""

from __future__ import annotations

from collections.abc import Callable

from builtin_interfaces.msg import Time
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.timer import Timer

from deepracer_common_pkg.car_clock import boot_ns, boot_s
from deepracer_common_pkg.stamps import from_ns

USE_SIM_TIME = "use_sim_time"  # rclpy's own parameter: declared by every node


def uses_sim_time(node: Node) -> bool:
    return bool(node.get_parameter(USE_SIM_TIME).value)


class StackClock:
    def __init__(self, node: Node) -> None:
        self.simulated = uses_sim_time(node)
        self._node = node
        self._ros = node.get_clock()
        self._timer_clock = self._ros if self.simulated else Clock(clock_type=ClockType.STEADY_TIME)
        if not self.simulated:  # the boot clock read directly: one C call a read, no Python frame (car_clock.py)
            self.now_ns = boot_ns
            self.now_s = boot_s

    def now_ns(self) -> int:
        """Nanoseconds: since the board booted, or of simulated time. Before the simulator's first tick reaches this
        node, the boot clock, which the simulator starts from: a heartbeat heard then is not dated 0, hours before
        the next (navigation stopped a run for "webserver_node silent for 12984 s")."""
        if not self.simulated:
            return boot_ns()
        return self._ros.now().nanoseconds or boot_ns()

    @property
    def ticking(self) -> bool:
        """Whether this node reads the stack's clock itself yet (on the car always; in simulation once /clock came)."""
        return not self.simulated or self._ros.now().nanoseconds > 0

    def now_s(self) -> float:
        return self.now_ns() / 1e9

    def stamp(self) -> Time:
        return from_ns(self.now_ns())

    def create_timer(self, period_s: float, callback: Callable[[], None], **kwargs) -> Timer:
        return self._node.create_timer(period_s, callback, clock=self._timer_clock, **kwargs)
