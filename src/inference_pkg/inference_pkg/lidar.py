"""LaserScan ranges -> the LiDAR vector a DeepRacer model was trained on.

The original car resampled the scan at `num_values` evenly spaced angles between `min_angle` and
`max_angle` (degrees, interpolating between beams), clamped each distance to
[min_distance, min(max_distance, clipping_distance)] with "no echo" (inf/NaN) read as the far limit.
LIDAR models take that vector; SECTOR_LIDAR models take `num_sectors` flags, 1.0 where the nearest
distance in the sector is below the far limit. The defaults below are the simulator's 64 beams over
±150 degrees with the car's 0.15-1.0 m window; a model's `lidar_config` overrides any of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from deepracer_common_pkg.vocabulary import SECTOR_LIDAR


@dataclass(frozen=True)
class LidarSettings:
    num_values: int = 64
    min_angle: float = -150.0
    max_angle: float = 150.0
    min_distance: float = 0.15
    max_distance: float = 1.0
    clipping_distance: float = 1.0
    num_sectors: int = 8
    sectors: bool = False

    def __post_init__(self) -> None:
        if self.num_values < 2:
            raise ValueError(f"num_values must be >= 2, got {self.num_values}")
        if not self.min_angle < self.max_angle:
            raise ValueError(f"min_angle ({self.min_angle}) must be less than max_angle ({self.max_angle})")
        if not 0 <= self.min_distance < self.far_limit:
            raise ValueError(f"min_distance ({self.min_distance}) must be >= 0 and less than "
                             f"min(max_distance, clipping_distance) ({self.far_limit})")
        if self.sectors and not (1 <= self.num_sectors <= self.num_values):
            raise ValueError(f"num_sectors must be between 1 and num_values ({self.num_values}), "
                             f"got {self.num_sectors}")

    @property
    def far_limit(self) -> float:
        return min(self.max_distance, self.clipping_distance)

    @property
    def vector_length(self) -> int:
        return self.num_sectors if self.sectors else self.num_values


_NUMBER_KEYS = {f.name for f in fields(LidarSettings)} - {"sectors"}
_COUNT_KEYS = ("num_values", "num_sectors")


def settings_for(sensor: str, lidar_config: Mapping[str, object] | None) -> LidarSettings:
    """Settings for a LIDAR or SECTOR_LIDAR model; unknown keys are ignored (e.g. preprocess_type).

    Raises ValueError naming the key when a value is not a number or the combination is invalid.
    """
    values: dict[str, object] = {"sectors": sensor == SECTOR_LIDAR}
    for key, value in (lidar_config or {}).items():
        if key not in _NUMBER_KEYS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"lidar_config.{key} must be a finite number, got {value!r}")
        if key in _COUNT_KEYS and int(value) != value:
            raise ValueError(f"lidar_config.{key} must be a whole number, got {value!r}")
        values[key] = int(value) if key in _COUNT_KEYS else float(value)
    return LidarSettings(**values)  # type: ignore[arg-type]


def scan_vector(ranges: Sequence[float] | np.ndarray, angle_min: float, angle_increment: float,
                settings: LidarSettings) -> np.ndarray:
    """One scan (angles in radians, as in sensor_msgs/LaserScan) -> float32 vector of the model's length."""
    distances = np.asarray(ranges, dtype=np.float64)
    if distances.size == 0:
        raise ValueError("the scan has no ranges")
    degrees = np.degrees(angle_min + angle_increment * np.arange(distances.size))
    if angle_increment < 0:
        degrees, distances = degrees[::-1], distances[::-1]
    far = settings.far_limit
    distances = np.where(np.isfinite(distances), distances, far)
    distances = np.clip(distances, settings.min_distance, far)
    wanted = np.linspace(settings.min_angle, settings.max_angle, settings.num_values)
    values = np.interp(wanted, degrees, distances)
    if settings.sectors:
        nearest = np.array([part.min() for part in np.array_split(values, settings.num_sectors)])
        values = (nearest < far).astype(np.float64)
    return values.astype(np.float32)
