"""The rosbag2 folder layout around an MCAP file: metadata.yaml, file names, QoS text, our state marker.

Source: rosbag2's metadata.yaml (version 8, what ROS 2 Jazzy writes and Kilted reads; `rosbags` reads 1-9):
`rosbag2_bagfile_information` with the storage id `mcap`, the relative file paths, start and duration in
nanoseconds, per-topic metadata (name, type `pkg/msg/Type`, serialization `cdr`, offered QoS as a YAML
string with rmw's enum numbers, RIHS01 type hash) and message counts, and `custom_data` (strings only).
MCAP side (rosbag2's mcap plugin): profile `ros2`, schemas `ros2msg`, channels `cdr` with the offered QoS and
type hash in the channel metadata.

`custom_data["deepracer.state"]` says what happened to the bag: `recording` (the logger has it open, or died
with it open), `complete`, or `incomplete` (recovered after the logger died: readable up to its last
complete chunk) with the reason in `deepracer.reason`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from deepracer_common_pkg.small_files import atomic_write_bytes

METADATA_FILE = "metadata.yaml"
METADATA_VERSION = 8
STORAGE_ID = "mcap"
PROFILE = "ros2"
SCHEMA_ENCODING = "ros2msg"
MESSAGE_ENCODING = "cdr"
MCAP_MAGIC = b"\x89MCAP0\r\n"

STATE_KEY = "deepracer.state"
REASON_KEY = "deepracer.reason"
MODEL_KEY = "deepracer.model"
RACER_KEY = "deepracer.racer"  # who drove, as the console's event queue named them; absent when it did not
LAPS_KEY = "deepracer.laps"  # laps the simulator counted during the run; absent when no simulator ran
RECORDING, COMPLETE, INCOMPLETE = "recording", "complete", "incomplete"

# rmw's numbers for the QoS policies, as rosbag2 writes them; "infinite" deadline/lifespan as rosbag2 spells it.
_RELIABILITY = {"reliable": 1, "best_effort": 2}
_DURABILITY = {"transient_local": 1, "volatile": 2}
_INFINITE = {"sec": 9223372036, "nsec": 854775807}


@dataclass(frozen=True)
class TopicSpec:
    """One recorded topic and the QoS its publisher offers (recorded so a replay can offer the same)."""
    name: str
    type_name: str                 # "deepracer_interfaces_pkg/msg/CameraFrames"
    reliability: str = "best_effort"
    durability: str = "volatile"
    depth: int = 1


def mcap_file_name(folder: Path) -> str:
    return f"{folder.name}_0.mcap"


def offered_qos_yaml(topic: TopicSpec) -> str:
    profile = {
        "history": 1, "depth": topic.depth,
        "reliability": _RELIABILITY[topic.reliability], "durability": _DURABILITY[topic.durability],
        "deadline": dict(_INFINITE), "lifespan": dict(_INFINITE),
        "liveliness": 1, "liveliness_lease_duration": dict(_INFINITE),
        "avoid_ros_namespace_conventions": False,
    }
    return yaml.safe_dump([profile], sort_keys=False).strip()


def metadata_document(folder: Path, topics: list[tuple[TopicSpec, str, int]], start_ns: int, end_ns: int,
                      compression: str, custom: dict[str, str]) -> dict[str, Any]:
    """metadata.yaml's content; `topics` = (spec, type hash, message count)."""
    count = sum(n for _, _, n in topics)
    duration = max(0, end_ns - start_ns)
    name = mcap_file_name(folder)
    return {"rosbag2_bagfile_information": {
        "version": METADATA_VERSION,
        "storage_identifier": STORAGE_ID,
        "relative_file_paths": [name],
        "starting_time": {"nanoseconds_since_epoch": start_ns},
        "duration": {"nanoseconds": duration},
        "message_count": count,
        "topics_with_message_count": [
            {"topic_metadata": {"name": spec.name, "type": spec.type_name, "serialization_format": MESSAGE_ENCODING,
                                "offered_qos_profiles": offered_qos_yaml(spec), "type_description_hash": type_hash},
             "message_count": n}
            for spec, type_hash, n in topics
        ],
        # Chunks are compressed inside the MCAP file (zstd or lz4); rosbag2's own compression is off.
        "compression_format": "",
        "compression_mode": "",
        "files": [{"path": name, "starting_time": {"nanoseconds_since_epoch": start_ns},
                   "duration": {"nanoseconds": duration}, "message_count": count}],
        "custom_data": dict(custom),
        "ros_distro": "kilted",
    }}


def write_metadata(folder: Path, document: dict[str, Any]) -> None:
    """Atomically: a crash mid-write leaves the previous metadata.yaml, never a torn one."""
    atomic_write_bytes(folder / METADATA_FILE, yaml.safe_dump(document, sort_keys=False).encode())


def read_metadata(folder: Path) -> dict[str, Any]:
    """The bag information mapping; ValueError in plain words when the file is missing or not a bag's."""
    path = folder / METADATA_FILE
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{METADATA_FILE} is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{METADATA_FILE} cannot be read ({error})") from None
    except yaml.YAMLError:
        raise ValueError(f"{METADATA_FILE} is not valid YAML") from None
    info = document.get("rosbag2_bagfile_information") if isinstance(document, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("topics_with_message_count"), list):
        raise ValueError(f"{METADATA_FILE} does not describe a rosbag2 bag")
    return info


def mcap_is_closed(path: Path) -> bool:
    """A finished MCAP file ends with the magic bytes after its footer; a killed writer's file does not."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            if size < 2 * len(MCAP_MAGIC):
                return False
            handle.seek(size - len(MCAP_MAGIC))
            return handle.read() == MCAP_MAGIC
    except OSError:
        return False
