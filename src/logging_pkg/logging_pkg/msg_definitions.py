"""Full message definitions for a bag's schemas, from the installed .msg files of each interface package.

A bag carries the text of every type it holds, so Foxglove, `ros2 bag info` and the `rosbags` reader decode it
without our packages installed. Format (MCAP's `ros2msg` schema encoding, as rosbag2 writes it): the type's own
.msg text, then for every type it uses, at any depth, a line of 80 `=`, `MSG: <package>/<Type>` and that
type's text. The RIHS01 type hash for metadata.yaml comes from the .json rosidl installs beside each .msg.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "=" * 80
_BUILTIN = {"bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32",
            "int64", "uint64", "string", "wstring"}


@dataclass(frozen=True)
class TypeDefinition:
    name: str          # "deepracer_interfaces_pkg/msg/CameraFrames"
    text: str          # the concatenated ros2msg definition
    type_hash: str     # "RIHS01_..." or "" when the package installed no .json


def share_folders() -> list[Path]:
    """Install prefixes' share folders: a ROS 2 install's AMENT_PREFIX_PATH, then this Python's prefix (a venv)."""
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p] + [sys.prefix]
    return [Path(p) / "share" for p in dict.fromkeys(prefixes)]


class DefinitionError(LookupError):
    """A message type's .msg file is not installed where the share folders say."""


class DefinitionLibrary:
    def __init__(self, shares: list[Path] | None = None) -> None:
        self._shares = shares if shares is not None else share_folders()
        self._cache: dict[str, TypeDefinition] = {}

    def _msg_file(self, package: str, type_name: str) -> Path:
        for share in self._shares:
            path = share / package / "msg" / f"{type_name}.msg"
            if path.is_file():
                return path
        raise DefinitionError(f"no {package}/msg/{type_name}.msg under {', '.join(map(str, self._shares))}")

    def _dependencies(self, package: str, text: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for line in text.splitlines():
            tokens = line.split("#", 1)[0].split()
            if len(tokens) < 2 or "=" in tokens[1]:
                continue  # blank, comment, or a constant
            field_type = re.split(r"[\[<]", tokens[0], maxsplit=1)[0]
            if field_type in _BUILTIN:
                continue
            parts = field_type.split("/")
            if len(parts) > 1:
                found.append((parts[0], parts[-1]))
            elif field_type == "Header" and package != "std_msgs":
                found.append(("std_msgs", "Header"))  # the .msg format's one shorthand from another package
            else:
                found.append((package, field_type))
        return found

    def definition(self, full_name: str) -> TypeDefinition:
        """`package/msg/Type` -> its concatenated definition and type hash."""
        if full_name in self._cache:
            return self._cache[full_name]
        package, kind, type_name = full_name.split("/")
        if kind != "msg":
            raise DefinitionError(f"{full_name}: only message types can be recorded")
        path = self._msg_file(package, type_name)
        own = path.read_text()
        blocks: list[str] = []
        seen = {(package, type_name)}
        pending = self._dependencies(package, own)
        while pending:
            dep_package, dep_type = pending.pop(0)
            if (dep_package, dep_type) in seen:
                continue
            seen.add((dep_package, dep_type))
            text = self._msg_file(dep_package, dep_type).read_text()
            blocks.append(f"{SEPARATOR}\nMSG: {dep_package}/{dep_type}\n{text.rstrip()}")
            pending.extend(self._dependencies(dep_package, text))
        concatenated = "\n".join([own.rstrip(), *blocks]) + "\n"
        result = TypeDefinition(full_name, concatenated, _type_hash(path.with_suffix(".json"), full_name))
        self._cache[full_name] = result
        return result


def _type_hash(json_path: Path, full_name: str) -> str:
    try:
        document = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return ""
    return next((h["hash_string"] for h in document.get("type_hashes", []) if h.get("type_name") == full_name), "")
