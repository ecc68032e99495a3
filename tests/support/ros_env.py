"""Keep DDS traffic on loopback and in a domain of its own (ROS_LOCALHOST_ONLY is ignored by Kilted)."""

from __future__ import annotations

import os
from collections.abc import MutableMapping


def isolate_ros_environment(env: MutableMapping[str, str], *, log_dir: str) -> None:
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    env.pop("ROS_STATIC_PEERS", None)
    # Domains 1-100 keep Fast DDS ports valid; derive from the pid so parallel sessions differ.
    env.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
    env["ROS_LOG_DIR"] = log_dir
    env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")
    env["PYTHONUNBUFFERED"] = "1"
