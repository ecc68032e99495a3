"""ROS time stamps <-> integer nanoseconds, the unit cores work in."""

from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from deepracer_common_pkg.message_maker import maker

_NS = 1_000_000_000
_time = maker(Time, "sec", "nanosec")
_header = maker(Header, "stamp", "frame_id")


def to_ns(stamp: Time) -> int:
    return stamp.sec * _NS + stamp.nanosec


def from_ns(ns: int) -> Time:
    return _time(ns // _NS, ns % _NS)


def stamped_header(stamp: Time, frame_id: str = "") -> Header:
    """A message's header (the frame path's messages carry their capture's stamp)."""
    return _header(stamp, frame_id)


def header_at(ns: int, frame_id: str = "") -> Header:
    return _header(from_ns(ns), frame_id)
