"""Where a model package keeps its graph, and its md5: plain file work, no OpenVINO.

Apart from policy_network (which loads OpenVINO, about 27 MB) so that the processes that only list, install or
describe packages (the console, the fleet link, the USB stick watcher) never load it: the graph itself is read
by the inference node, and checked at install in a short-lived child (inference_pkg.package_check).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from inference_pkg.metadata import ModelPackageError

GRAPH_PB = "model.pb"
AGENT_PB = "agent/model.pb"
IR_XML = "model.xml"
IR_BIN = "model.bin"
CACHE_DIR = ".ir-cache"
CHECKSUM_FILE = "checksum.txt"


@dataclass(frozen=True)
class GraphFiles:
    """The graph of one package: a frozen graph (`pb`) or OpenVINO IR (`ir`, path = the .xml)."""

    kind: str
    path: Path

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path,) if self.kind == "pb" else (self.path, self.path.with_suffix(".bin"))


def find_graph(folder: Path) -> GraphFiles:
    """The package's graph: model.pb at the root, else agent/model.pb, else model.xml + model.bin."""
    for relative in (GRAPH_PB, AGENT_PB):
        if (folder / relative).is_file():
            return GraphFiles("pb", folder / relative)
    xml, binary = folder / IR_XML, folder / IR_BIN
    if xml.is_file() and binary.is_file():
        return GraphFiles("ir", xml)
    if xml.is_file() or binary.is_file():
        missing = IR_BIN if xml.is_file() else IR_XML
        raise ModelPackageError(f"{folder}: {missing} is missing: OpenVINO IR needs both model.xml and model.bin")
    raise ModelPackageError(f"{folder}: no graph found: add model.pb (or agent/model.pb), "
                            "or model.xml with model.bin")


def checksum(graph: GraphFiles) -> str:
    """md5 of model.pb (what event tools compare), or of model.xml then model.bin for IR-only packages."""
    digest = hashlib.md5(usedforsecurity=False)
    for path in graph.files:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def recorded_checksum(folder: Path, graph: GraphFiles) -> str:
    """checksum.txt when it is at least as new as the graph (hashing 23 MB costs 60-150 ms), else the md5."""
    recorded = folder / CHECKSUM_FILE
    with contextlib.suppress(OSError):
        if recorded.stat().st_mtime_ns >= max(path.stat().st_mtime_ns for path in graph.files):
            text = recorded.read_text().strip()
            if re.fullmatch(r"[0-9a-f]{32}", text):
                return text
    return checksum(graph)
