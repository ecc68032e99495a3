"""The original car's drive command is the original type, by the hash DDS matches on.

A ROS 2 reader and writer match only when their types' RIHS01 hashes agree (REP 2011): the hash covers the type
name and every field's name and type, not comments. An AWS sample app builds `ServoCtrlMsg` from its own copy of
deepracer_interfaces_pkg, where it is `float32 angle`, `float32 throttle` and nothing else; the expected hash here
is computed from that definition, independently of rosidl, and compared with what our type announces on the graph.
"""

from __future__ import annotations

import hashlib
import json

from deepracer_common_pkg import qos
from deepracer_interfaces_pkg.msg import DriveCommand, ServoCtrlMsg
from support.rosgraph import wait_for

FIELD_TYPE_FLOAT = 10  # type_description_interfaces/msg/FieldType: float32


def rihs01(type_name: str, fields: list[tuple[str, int]]) -> str:
    """REP 2011's type hash of a message with plain fields: sha256 of the type description in its canonical JSON
    (fields in order, default values left out, `, ` and `: ` separators)."""
    description = {
        "type_description": {"type_name": type_name, "fields": [
            {"name": name, "type": {"type_id": type_id, "capacity": 0, "string_capacity": 0, "nested_type_name": ""}}
            for name, type_id in fields]},
        "referenced_type_descriptions": [],
    }
    return "RIHS01_" + hashlib.sha256(json.dumps(description, separators=(", ", ": ")).encode()).hexdigest()


def announced_hash(probe, msg_type, topic: str) -> str:
    probe.publisher(msg_type, topic, qos.LATEST, wait_for_subscribers=0)
    infos = wait_for(lambda: probe.node.get_publishers_info_by_topic(topic), 5, f"our publisher on {topic}")
    return "RIHS01_" + infos[0].topic_type_hash.value.hex()


def test_servo_ctrl_msg_has_the_original_hash_so_a_sample_apps_copy_matches(ros_probe):
    original = rihs01("deepracer_interfaces_pkg/msg/ServoCtrlMsg",
                      [("angle", FIELD_TYPE_FLOAT), ("throttle", FIELD_TYPE_FLOAT)])
    assert announced_hash(ros_probe, ServoCtrlMsg, "/test_types/servo_ctrl_msg") == original
    assert sorted(ServoCtrlMsg.get_fields_and_field_types()) == ["angle", "throttle"]


def test_our_drive_command_carries_the_stamp_as_a_type_of_its_own(ros_probe):
    fields = DriveCommand.get_fields_and_field_types()
    assert fields == {"header": "std_msgs/Header", "angle": "float", "throttle": "float"}
    assert announced_hash(ros_probe, DriveCommand, "/test_types/drive_command") != \
        announced_hash(ros_probe, ServoCtrlMsg, "/test_types/servo_ctrl_msg_2")
