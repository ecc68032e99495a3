"""The full check of a model package at install, done in a short-lived child process.

Reading a graph loads OpenVINO (about 27 MB), and checking model_48's 23 MB frozen graph peaks at 150 MB in a
process of its own; a process's peak memory never comes back down. The console, the fleet link and the USB stick
watcher install packages and never infer, so the check runs in a child that carries that for a second and exits.
The child also saves the converted graph in the package's IR cache (policy_network.check_package): the cache
moves with the staged folder into the models root, and the inference node's first load reads IR only.

The child: `python -m inference_pkg.package_check FOLDER` prints one JSON line, {"ok": true, "cache_error": ""}
or {"ok": false, "error": "<what is wrong with the package, in plain words>"}.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from inference_pkg.graph_files import GraphFiles, find_graph
from inference_pkg.metadata import METADATA_FILE, ModelMetadata, ModelPackageError, load_metadata

log = logging.getLogger(__name__)

CHILD_MODULE = "inference_pkg.package_check"
# The whole check of model_48 takes 0.4 s here (start, read, convert, cache); the car's Atom is several times slower,
# may be driving meanwhile and may be swapping. Generous, so that only a child that hangs is stopped, never a slow
# but working check.
CHECK_TIMEOUT_S = 120.0


def validate_package(folder: Path, *, timeout_s: float = CHECK_TIMEOUT_S) -> tuple[ModelMetadata, GraphFiles]:
    """Full check of an unpacked package (metadata, graph present, readable, matching); used by install.

    The metadata and the graph's presence are plain file reads, checked here first; reading the graph is the
    child's. Raises ModelPackageError with the check's own words, or saying why the check itself gave no answer.
    """
    metadata = load_metadata(folder / METADATA_FILE)
    graph = find_graph(folder)
    try:
        # errors="replace": OpenVINO's messages about a damaged graph quote its bytes (the answer line is ASCII JSON)
        done = subprocess.run([sys.executable, "-m", CHILD_MODULE, str(folder)], capture_output=True, text=True,
                              errors="replace", timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ModelPackageError(f"{folder}: checking the graph took more than {timeout_s:.0f} s and was stopped: "
                                "try again when the car is not busy") from None
    answer = _answer(done.stdout)
    if answer is None:
        log.warning("the package check of %s gave no answer: %s", folder, done.stderr.strip()[-2000:])
        how = (f"was killed (signal {-done.returncode}), most likely short of memory" if done.returncode < 0
               else f"failed (exit status {done.returncode})")
        raise ModelPackageError(f"{folder}: checking the graph {how}: nothing was installed; try again")
    if done.stderr.strip():
        log.info("the package check of %s said: %s", folder, done.stderr.strip()[-2000:])  # OpenVINO's words
    if not answer["ok"]:
        raise ModelPackageError(str(answer["error"]))
    if answer["cache_error"]:
        log.warning("%s; the inference node converts the graph at its first load instead", answer["cache_error"])
    return metadata, graph


def _answer(stdout: str) -> dict[str, Any] | None:
    """The child's JSON line (its last line of output), or None when it printed none."""
    lines = stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) and "ok" in answer else None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m inference_pkg.package_check FOLDER", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    from inference_pkg.policy_network import check_package  # OpenVINO: loaded in this child only

    try:
        answer: dict[str, Any] = {"ok": True, "cache_error": check_package(Path(args[0]))}
    except ModelPackageError as error:
        answer = {"ok": False, "error": str(error)}
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
