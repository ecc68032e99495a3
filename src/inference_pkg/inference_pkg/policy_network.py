"""A model folder's graph on OpenVINO: check it against the metadata, cache it as IR, compile it.

The frozen TensorFlow graph is read with `Core.read_model` (no TensorFlow, and never the converter,
which reports usage to an outside service). The read graph is saved once as uncompressed IR in
`<model>/.ir-cache/<md5 of model.pb>.xml/.bin` (by the install's check, else by the first load), so a load
reads the IR in milliseconds; a replaced model.pb has another md5 and misses the cache. Compilation is
latency-oriented, batch 1, with an explicit precision (f32 by default: otherwise this CPU silently runs bf16
and results depend on it). Finding the graph and its md5 are in graph_files, for the processes that list and
install packages without loading OpenVINO.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openvino as ov

from deepracer_common_pkg import vocabulary
from deepracer_common_pkg.action_space import DISCRETE
from inference_pkg import tensor_names
from inference_pkg.config import PRECISIONS
from inference_pkg.graph_files import CACHE_DIR, find_graph, recorded_checksum
from inference_pkg.metadata import METADATA_FILE, ModelMetadata, ModelPackageError, load_metadata

log = logging.getLogger(__name__)


def read_graph(core: ov.Core, path: Path) -> ov.Model:
    try:
        return core.read_model(str(path))
    except Exception as error:  # OpenVINO raises plain RuntimeError/Exception for any unreadable file
        what = "a TensorFlow frozen graph" if path.suffix == ".pb" else "OpenVINO IR"
        log.info("OpenVINO cannot read %s: %s", path, str(error).strip()[:300])  # its own words, for developers
        raise ModelPackageError(f"{path}: cannot be read as {what}: it is cut short or damaged; upload the "
                                "package again") from None


def _names(port: ov.Output) -> set[str]:
    return {tensor_names.bare(name) for name in port.get_names()}


def _expected_input_shape(metadata: ModelMetadata, sensor: str) -> list[int]:
    if sensor in vocabulary.CAMERA_SENSORS:
        return [tensor_names.IMAGE_HEIGHT, tensor_names.IMAGE_WIDTH, tensor_names.camera_channels(sensor)]
    settings = metadata.lidar_settings()
    assert settings is not None
    return [settings.vector_length]


def _shape_text(shape: ov.PartialShape) -> str:
    return str(shape).replace("?", "N")


def check_graph(model: ov.Model, metadata: ModelMetadata, source: str) -> tuple[dict[str, ov.Output], ov.Output]:
    """Match the graph's inputs and output to what the metadata implies; return {sensor: input}, output.

    Raises ModelPackageError naming the tensor, what was expected and what the graph has.
    """
    algorithm = metadata.training_algorithm
    by_name = {name: port for port in model.inputs for name in _names(port)}
    inputs: dict[str, ov.Output] = {}
    for sensor in metadata.sensors:
        wanted = tensor_names.bare(tensor_names.input_name(algorithm, sensor))
        port = by_name.get(wanted)
        if port is None:
            found = sorted(by_name) or ["(none)"]
            raise ModelPackageError(
                f"{source}: the graph has no input {wanted} for sensor {sensor} with training_algorithm "
                f"{algorithm}; it has {', '.join(found)}. Check sensor and training_algorithm in {METADATA_FILE}")
        shape = port.get_partial_shape()
        expected = _expected_input_shape(metadata, sensor)
        dims_ok = shape.rank.is_static and shape.rank.get_length() == len(expected) + 1 and all(
            shape[i + 1].is_static and shape[i + 1].get_length() == size for i, size in enumerate(expected))
        batch_ok = dims_ok and (shape[0].is_dynamic or shape[0].get_length() == 1)
        if not batch_ok:
            raise ModelPackageError(f"{source}: input {wanted} has shape {_shape_text(shape)} but sensor {sensor} "
                                    f"gives [1,{','.join(map(str, expected))}]: check sensor and lidar_config "
                                    f"in {METADATA_FILE}")
        inputs[sensor] = port
    extra = [next(iter(_names(port)), "?") for port in model.inputs if port not in inputs.values()]
    if extra:
        raise ModelPackageError(f"{source}: the graph also needs input {extra[0]}, which no sensor in "
                                f"{METADATA_FILE} provides: add that sensor")
    output_wanted = tensor_names.bare(tensor_names.output_name(algorithm))
    output = next((port for port in model.outputs if output_wanted in _names(port)), None)
    if output is None:
        found = sorted(name for port in model.outputs for name in _names(port)) or ["(none)"]
        raise ModelPackageError(f"{source}: the graph has no output {output_wanted} for training_algorithm "
                                f"{algorithm}; it has {', '.join(found)}. Check training_algorithm in "
                                f"{METADATA_FILE}")
    return inputs, output


def check_output_size(output: ov.Output, metadata: ModelMetadata, source: str) -> None:
    shape = output.get_partial_shape()
    wanted = metadata.action_space.policy_output_count
    if shape.is_dynamic or shape.rank.get_length() != 2 or shape[1].get_length() != wanted:
        space = metadata.action_space
        meaning = (f"{wanted} actions" if space.type == DISCRETE else "2 values (continuous steering, speed)")
        raise ModelPackageError(f"{source}: the graph outputs shape {_shape_text(shape)} but action_space in "
                                f"{METADATA_FILE} needs {meaning}: the metadata does not belong to this graph")


def check_package(folder: Path, core: ov.Core | None = None) -> str:
    """Full check of an unpacked package (metadata, graph present, readable, matching), done at install.

    A frozen graph is also saved in the package's IR cache, as `load_model` would on its first load, so the
    inference node never converts one: converting model_48 raised a process's peak by 17 MB (160 MB against 143
    from the cached IR), and a peak never comes back down. The install runs this in a short-lived child
    (inference_pkg.package_check). Returns why the cache could not be written, or "" (written, already there, or
    an IR package that needs none).
    """
    core = core or ov.Core()
    metadata = load_metadata(folder / METADATA_FILE)
    graph = find_graph(folder)
    model = read_graph(core, graph.path)
    _, output = check_graph(model, metadata, str(graph.path))
    cache_error = ""
    if graph.kind == "pb":
        key = recorded_checksum(folder, graph)
        if not (folder / CACHE_DIR / f"{key}.xml").is_file():
            cache_error = _cache_converted(model, folder, key)
    _batch_one(model)
    check_output_size(output, metadata, str(graph.path))
    return cache_error


def _batch_one(model: ov.Model) -> None:
    shapes = {}
    for port in model.inputs:
        shape = port.get_partial_shape()
        if shape[0].is_dynamic:
            shapes[port] = ov.PartialShape([1, *(shape[i] for i in range(1, shape.rank.get_length()))])
    if shapes:
        model.reshape(shapes)


def _write_cache(model: ov.Model, cache_dir: Path, key: str) -> None:
    """Save as IR under a temporary stem, then rename: .bin first, .xml last, so an .xml means complete."""
    cache_dir.mkdir(exist_ok=True)
    temporary = cache_dir / f".{key}.{os.getpid()}.xml"
    ov.save_model(model, str(temporary), compress_to_fp16=False)
    os.replace(temporary.with_suffix(".bin"), cache_dir / f"{key}.bin")
    os.replace(temporary, cache_dir / f"{key}.xml")
    for stale in cache_dir.iterdir():
        if stale.stem != key:
            stale.unlink(missing_ok=True)


def _cache_converted(model: ov.Model, folder: Path, key: str) -> str:
    """Save the read graph (batch not yet fixed) in the package's IR cache; why it could not be, or ""."""
    try:
        _write_cache(model, folder / CACHE_DIR, key)
    except (OSError, RuntimeError) as error:
        return f"could not cache the converted model in {folder / CACHE_DIR}: {error}"
    return ""


@dataclass
class LoadedModel:
    """A compiled model ready for batch-1 inference; only one thread may call infer()."""

    name: str
    folder: Path
    metadata: ModelMetadata
    checksum: str
    from_cache: bool
    load_seconds: float
    phases: dict[str, float]  # seconds per load phase: checksum_s, read_s, cache_write_s, compile_s
    cache_error: str
    compiled: ov.CompiledModel
    inputs: dict[str, ov.Output]
    output: ov.Output

    def __post_init__(self) -> None:
        self._request = self.compiled.create_infer_request()
        self.lidar_settings = self.metadata.lidar_settings()

    def warm_up(self) -> None:
        """One inference on zeros, so the first real frame does not pay for lazy initialisation."""
        self.infer({sensor: np.zeros([d.get_length() for d in port.get_partial_shape()], np.float32)
                    for sensor, port in self.inputs.items()})

    def infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """{sensor: tensor} -> the flat float32 policy output. The feeds are copied into the request's own input
        tensors, not wrapped as new ones each call: OpenVINO's per-call wrapping cost 6 % of a frame's inference
        (0.2 ms of 3.5 at the car's instruction set, paced at 30 a second), with results identical to the bit."""
        for sensor, array in feeds.items():
            self._request.get_tensor(self.inputs[sensor]).data[...] = array
        self._request.infer()
        return self._request.get_tensor(self.output).data.reshape(-1).astype(np.float32, copy=True)


def compile_config(precision: str, threads: int) -> dict[str, object]:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    config: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": precision}
    if threads > 0:
        config["INFERENCE_NUM_THREADS"] = threads
    return config


def load_model(folder: Path, *, precision: str = "f32", threads: int = 1, use_cache: bool = True,
               core: ov.Core | None = None) -> LoadedModel:
    """Read (from the IR cache when it is there), check and compile the model in `folder`."""
    start = time.perf_counter()
    marks: dict[str, float] = {}

    def mark(phase: str) -> None:
        marks[phase] = time.perf_counter() - start - sum(marks.values())

    core = core or ov.Core()
    metadata = load_metadata(folder / METADATA_FILE)
    graph = find_graph(folder)
    key = recorded_checksum(folder, graph)
    mark("checksum_s")
    cached = folder / CACHE_DIR / f"{key}.xml"
    model, from_cache, cache_error = None, False, ""
    if graph.kind == "pb" and use_cache and cached.is_file():
        with contextlib.suppress(ModelPackageError):  # a damaged cache entry is rebuilt below
            model, from_cache = read_graph(core, cached), True
    if model is None:
        model = read_graph(core, graph.path)
    mark("read_s")
    inputs, output = check_graph(model, metadata, str(graph.path))
    if graph.kind == "pb" and use_cache and not from_cache:
        cache_error = _cache_converted(model, folder, key)
    mark("cache_write_s")
    _batch_one(model)
    check_output_size(output, metadata, str(graph.path))
    try:
        compiled = core.compile_model(model, "CPU", compile_config(precision, threads))
    except RuntimeError as error:
        raise ModelPackageError(f"{graph.path}: OpenVINO cannot compile it for CPU with precision "
                                f"{precision}: {str(error).strip().splitlines()[-1][:300]}") from None
    mark("compile_s")
    compiled_inputs = {sensor: compiled.input(next(iter(port.get_names()))) for sensor, port in inputs.items()}
    compiled_output = compiled.output(next(iter(output.get_names())))
    return LoadedModel(name=folder.name, folder=folder, metadata=metadata, checksum=key, from_cache=from_cache,
                       load_seconds=time.perf_counter() - start, phases=marks, cache_error=cache_error,
                       compiled=compiled, inputs=compiled_inputs, output=compiled_output)
