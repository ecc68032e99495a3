"""The processes of a running stack, each named by the node(s) it runs, read from its command line.

Why from the command line: which process holds which node is the launcher's layout, and it changes (several nodes
may share one process); a process's command line says what it runs however they are grouped. A process is named by
every `<name>_node` on its command line, in order (`-m camera_pkg.camera_node`, a list of node modules after a host
module, `__node:=camera_node` remaps, `<name>_node.params.yaml` files) and any other name a `__node:=` remap gives;
failing those, by the module run with `-m` (`servo_pkg.actuation_guard` -> `actuation_guard`), else by the program's
file name. Several nodes in one process are joined with `+`: `camera+inference+navigation`.
"""

from __future__ import annotations

import re
from pathlib import Path

import psutil

_NODE_WORD = re.compile(r"(?<![A-Za-z0-9_])([a-z][a-z0-9]*(?:_[a-z0-9]+)*?)_node\b")


def _short(node: str) -> str:
    return node.removesuffix("_node") or node


def process_label(cmdline: list[str]) -> str:
    """What a process runs, e.g. `servo`, `camera+inference+navigation`, `actuation_guard`."""
    remapped = [arg.rsplit("__node:=", 1)[1] for arg in cmdline if "__node:=" in arg]
    names = _NODE_WORD.findall(" ".join(cmdline[1:])) + [name for name in remapped if not name.endswith("_node")]
    if not names and "-m" in cmdline[:-1]:
        names = [cmdline[cmdline.index("-m") + 1].rsplit(".", 1)[-1]]
    if not names and cmdline:
        names = [Path(cmdline[0]).name]
    return "+".join(dict.fromkeys(_short(name) for name in names)) or "?"


def stack_processes(root_pid: int, root_label: str = "launcher") -> dict[str, psutil.Process]:
    """The root process (a launcher) and all its descendants by label; a label seen twice gets `#2`, `#3`, ...
    A process that exits while it is being read is left out."""
    root = psutil.Process(root_pid)
    found = {root_label: root}
    for child in root.children(recursive=True):
        try:
            label = process_label(child.cmdline())
        except psutil.Error:
            continue
        unique, n = label, 1
        while unique in found:
            n += 1
            unique = f"{label}#{n}"
        found[unique] = child
    return found
