"""model_metadata.json -> a validated ModelMetadata, with the defaults real files rely on.

Defaults: no `sensor` means ["observation"] (old models), no `training_algorithm` means clipped_ppo, no
`action_space_type` means discrete.

The action space's rules (type, validation, output count, choice of action) live in
`deepracer_common_pkg.action_space`, which navigation and the console use too; this module only reads the
file's shape into it.

Decision on contradictory files: the SHAPE of `action_space` decides the type. A list of actions is
discrete, a {steering_angle: {low, high}, speed: {low, high}} range is continuous, whatever
`action_space_type` says. Real files say "discrete" over a continuous range (e.g. a SAC model, and SAC
only trains continuous policies): the range is what the network was trained on, and the graph check
confirms it (2 outputs for continuous, one per action for discrete) before anything drives. The
disagreement is kept in `ModelMetadata.warnings` so the console can show it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from deepracer_common_pkg import vocabulary
from deepracer_common_pkg.action_space import CONTINUOUS, DISCRETE, TYPES, ActionSpace, ActionSpaceError
from inference_pkg import lidar, tensor_names

METADATA_FILE = "model_metadata.json"
DEFAULT_SENSORS = (vocabulary.OBSERVATION,)
DEFAULT_ALGORITHM = "clipped_ppo"
DEFAULT_TYPE = DISCRETE


class ModelPackageError(ValueError):
    """A model package is unusable; the message names the file, the field and what to fix."""


@dataclass(frozen=True)
class ModelMetadata:
    sensors: tuple[str, ...]
    training_algorithm: str
    action_space: ActionSpace
    neural_network: str
    version: str
    lidar_config: dict | None
    raw: dict
    warnings: tuple[str, ...] = field(default=())

    # Asked on every frame: found once (cached_property keeps the answer beside the frozen fields).
    @cached_property
    def camera_sensor(self) -> str:
        return next(s for s in self.sensors if s in vocabulary.CAMERA_SENSORS)

    @cached_property
    def lidar_sensor(self) -> str | None:
        return next((s for s in self.sensors if s in vocabulary.LIDAR_SENSORS), None)

    def lidar_settings(self) -> lidar.LidarSettings | None:
        sensor = self.lidar_sensor
        return None if sensor is None else lidar.settings_for(sensor, self.lidar_config)


def _number(value: Any, source: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ModelPackageError(f"{source}: {where} must be a number, got {value!r}")
    return float(value)


def _discrete(actions: list, source: str) -> ActionSpace:
    if not actions:
        raise ModelPackageError(f"{source}: action_space is an empty list: list at least one action "
                                '{"steering_angle": degrees, "speed": m/s}')
    steering, speed = [], []
    for index, action in enumerate(actions):
        where = f"action_space[{index}]"
        if not isinstance(action, dict) or "steering_angle" not in action or "speed" not in action:
            raise ModelPackageError(f"{source}: {where} must be an object with steering_angle and speed, "
                                    f"got {action!r}")
        steering.append(_number(action["steering_angle"], source, f"{where}.steering_angle"))
        speed.append(_number(action["speed"], source, f"{where}.speed"))
    return _checked(source, DISCRETE, steering_angle=tuple(steering), speed=tuple(speed))


def _checked(source: str, space_type: str, **fields: Any) -> ActionSpace:
    try:
        return ActionSpace(space_type, **fields)
    except ActionSpaceError as error:
        raise ModelPackageError(f"{source}: {error}") from None


def _range(space: dict, key: str, source: str) -> tuple[float, float]:
    bounds = space.get(key)
    if not isinstance(bounds, dict) or "low" not in bounds or "high" not in bounds:
        raise ModelPackageError(f"{source}: action_space.{key} must be an object with low and high, "
                                f"got {bounds!r}")
    return (_number(bounds["low"], source, f"action_space.{key}.low"),
            _number(bounds["high"], source, f"action_space.{key}.high"))


def _action_space(data: dict, source: str) -> tuple[ActionSpace, tuple[str, ...]]:
    if "action_space" not in data:
        raise ModelPackageError(f"{source}: action_space is missing: add the list of actions (discrete) "
                                "or the steering_angle/speed ranges (continuous)")
    declared = data.get("action_space_type", DEFAULT_TYPE)
    if declared not in TYPES:
        raise ModelPackageError(f"{source}: action_space_type must be one of {', '.join(TYPES)}, "
                                f"got {declared!r}")
    space = data["action_space"]
    if isinstance(space, list):
        result = _discrete(space, source)
    elif isinstance(space, dict):
        steering = _range(space, "steering_angle", source)
        speed = _range(space, "speed", source)
        result = _checked(source, CONTINUOUS, steering_low=steering[0], steering_high=steering[1],
                          speed_low=speed[0], speed_high=speed[1])
    else:
        raise ModelPackageError(f"{source}: action_space must be a list of actions or an object of ranges, "
                                f"got {type(space).__name__}")
    warnings: tuple[str, ...] = ()
    if result.type != declared:
        warnings = (f"action_space_type says {declared!r} but action_space is "
                    f"{'a list of actions' if result.type == DISCRETE else 'a continuous range'}: "
                    f"treated as {result.type}",)
    return result, warnings


def _sensors(data: dict, source: str) -> tuple[str, ...]:
    sensors = data.get("sensor", list(DEFAULT_SENSORS))
    if not isinstance(sensors, list) or not sensors or not all(isinstance(s, str) for s in sensors):
        raise ModelPackageError(f"{source}: sensor must be a non-empty list of sensor names, got {sensors!r}")
    unknown = [s for s in sensors if s not in vocabulary.SENSORS]
    if unknown:
        raise ModelPackageError(f"{source}: sensor {unknown[0]!r} is unknown: use "
                                f"{', '.join(vocabulary.SENSORS)}")
    cameras = [s for s in sensors if s in vocabulary.CAMERA_SENSORS]
    lidars = [s for s in sensors if s in vocabulary.LIDAR_SENSORS]
    if len(cameras) != 1:
        raise ModelPackageError(f"{source}: sensor must name exactly one camera "
                                f"({', '.join(vocabulary.CAMERA_SENSORS)}), got {sensors!r}")
    if len(lidars) > 1 or len(set(sensors)) != len(sensors):
        raise ModelPackageError(f"{source}: sensor may name at most one LiDAR and no sensor twice, "
                                f"got {sensors!r}")
    return tuple(sensors)


def _optional_text(data: dict, key: str, default: str, source: str) -> str:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ModelPackageError(f"{source}: {key} must be text, got {value!r}")
    return str(value)


def parse_metadata(data: dict, source: str = METADATA_FILE) -> ModelMetadata:
    """Validate the decoded JSON of model_metadata.json; `source` names the file in error messages."""
    if not isinstance(data, dict):
        raise ModelPackageError(f"{source}: must hold a JSON object, got {type(data).__name__}")
    sensors = _sensors(data, source)
    algorithm = data.get("training_algorithm", DEFAULT_ALGORITHM)
    if algorithm not in tensor_names.ALGORITHMS:
        raise ModelPackageError(f"{source}: training_algorithm must be one of "
                                f"{', '.join(tensor_names.ALGORITHMS)}, got {algorithm!r}")
    action_space, warnings = _action_space(data, source)
    lidar_config = data.get("lidar_config")
    if lidar_config is not None and not isinstance(lidar_config, dict):
        raise ModelPackageError(f"{source}: lidar_config must be an object, got {lidar_config!r}")
    metadata = ModelMetadata(
        sensors=sensors, training_algorithm=algorithm, action_space=action_space,
        neural_network=_optional_text(data, "neural_network", "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", source),
        version=_optional_text(data, "version", "", source), lidar_config=lidar_config, raw=data,
        warnings=warnings,
    )
    try:
        metadata.lidar_settings()
    except ValueError as error:
        raise ModelPackageError(f"{source}: {error}") from None
    return metadata


def load_metadata(path: Path) -> ModelMetadata:
    """Read and validate a model_metadata.json file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelPackageError(f"{path}: file is missing: a model package needs {METADATA_FILE}") from None
    except UnicodeDecodeError:
        raise ModelPackageError(f"{path}: is not UTF-8 text: it is not a model's metadata; export the model "
                                "again") from None
    except OSError as error:
        raise ModelPackageError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelPackageError(f"{path}: is not valid JSON (line {error.lineno}, column {error.colno}): it was "
                                "damaged or edited by hand; export the model again") from None
    return parse_metadata(data, str(path))
