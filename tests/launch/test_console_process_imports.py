"""The console process never infers, so it must not carry the inference libraries (issue 23: the whole stack's peak
memory must fit the car's 500 MB, and a process's peak never comes back down)."""

import subprocess
import sys
from pathlib import Path

from deepracer_common_pkg.graph import group_processes, load_graph

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("openvino", "cv2")  # about 27 and 15 MB of peak memory, measured

LOADED = """import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(' '.join(sorted(name for name in {heavy!r} if name in sys.modules)))"""


def test_the_console_process_modules_load_neither_openvino_nor_opencv():
    processes = group_processes(load_graph(REPO / "launch" / "graph.yaml", [REPO / "launch" / "car.yaml"]))
    console = next(process for process in processes if "webserver_node" in [n.name for n in process.nodes])
    assert len(console.modules) > 1, "the console shares its process with the car's other parts"
    done = subprocess.run([sys.executable, "-c", LOADED.format(heavy=HEAVY), *console.modules],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "", f"{' + '.join(console.modules)} imported {done.stdout.strip()}"
