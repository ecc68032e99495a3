"""ROS time stamps <-> integer nanoseconds, the unit cores work in."""

from builtin_interfaces.msg import Time

_NS = 1_000_000_000


def to_ns(stamp: Time) -> int:
    return stamp.sec * _NS + stamp.nanosec


def from_ns(ns: int) -> Time:
    return Time(sec=ns // _NS, nanosec=ns % _NS)
