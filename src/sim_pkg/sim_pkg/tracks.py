"""Tracks: a closed centre line with its two borders, and where a point lies along and across it.

`reinvent_base` is the real re:Invent 2018 track (17.7 m, 0.76 m wide), read from the waypoints shipped
beside this module (tracks/reinvent_base.csv, copied from the deepracer-utils 1.5.6 source package,
MIT-0). `synthetic_loop` is a curvy closed loop generated here, the closed cousin of the camera's
endless synthetic track. Rows run in the driving direction; arc position s = 0 is the first row: the
start line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

REINVENT = "reinvent_base"
SYNTHETIC = "synthetic_loop"
TRACKS = (REINVENT, SYNTHETIC)
SYNTHETIC_WIDTH_M = 0.60
SYNTHETIC_ROWS = 240


@dataclass(frozen=True)
class Location:
    """Where a point is relative to the centre line.

    s: arc position of its nearest centre-line point (0 <= s < length); lateral: signed distance from the
    centre line, left of the driving direction positive; heading: the centre line's direction there.
    """

    s: float
    lateral: float
    heading: float


class Track:
    """A closed track; `centre`, `inner`, `outer` are (N, 2) arrays whose last row equals the first."""

    def __init__(self, name: str, centre: np.ndarray, inner: np.ndarray, outer: np.ndarray) -> None:
        self.name = name
        self.centre, self.inner, self.outer = (_closed(np.asarray(a, dtype=float)) for a in (centre, inner, outer))
        if not len(self.centre) == len(self.inner) == len(self.outer) >= 4:
            raise ValueError(f"track {name}: centre, inner and outer need the same number (>= 3) of rows")
        self._starts = self.centre[:-1]
        self._vectors = np.diff(self.centre, axis=0)
        self._lengths = np.linalg.norm(self._vectors, axis=1)
        if np.any(self._lengths <= 0):
            raise ValueError(f"track {name}: two consecutive centre points coincide")
        self._s0 = np.concatenate(([0.0], np.cumsum(self._lengths)[:-1]))
        self.length = float(self._lengths.sum())
        self.width = float(np.mean(np.linalg.norm(self.inner - self.outer, axis=1)))

    def locate(self, x: float, y: float) -> Location:
        """The nearest point of the centre line (segment by segment, exact)."""
        point = np.array([x, y])
        t = np.clip(np.einsum("ij,ij->i", point - self._starts, self._vectors) / self._lengths**2, 0.0, 1.0)
        nearest = self._starts + t[:, None] * self._vectors
        offsets = point - nearest
        index = int(np.argmin(np.einsum("ij,ij->i", offsets, offsets)))
        dx, dy = self._vectors[index]
        cross = dx * offsets[index, 1] - dy * offsets[index, 0]
        distance = float(math.hypot(*offsets[index]))
        s = (self._s0[index] + t[index] * self._lengths[index]) % self.length
        return Location(s=float(s), lateral=math.copysign(distance, cross) if distance else 0.0,
                        heading=math.atan2(dy, dx))

    def point_at(self, s: float) -> tuple[float, float, float]:
        """(x, y, heading) of the centre line at arc position `s` (taken modulo the length)."""
        s %= self.length
        index = min(int(np.searchsorted(self._s0, s, side="right")) - 1, len(self._lengths) - 1)
        t = (s - self._s0[index]) / self._lengths[index]
        x, y = self._starts[index] + t * self._vectors[index]
        dx, dy = self._vectors[index]
        return float(x), float(y), math.atan2(dy, dx)

    def resampled(self, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre, left (inner) unit normals and arc positions every ~`step_m` metres, closed (last = first)."""
        count = max(8, round(self.length / step_m))
        s = np.linspace(0.0, self.length, count + 1)
        points = np.array([self.point_at(v)[:2] for v in s[:-1]])
        points = np.vstack((points, points[:1]))
        tangent = np.roll(points[:-1], -1, axis=0) - np.roll(points[:-1], 1, axis=0)
        tangent /= np.linalg.norm(tangent, axis=1)[:, None]
        left = np.stack((-tangent[:, 1], tangent[:, 0]), axis=1)
        return points, np.vstack((left, left[:1])), s


def _closed(points: np.ndarray) -> np.ndarray:
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"track points must be an (N, 2) array, got shape {points.shape}")
    return points if np.allclose(points[0], points[-1]) else np.vstack((points, points[:1]))


def _reinvent() -> Track:
    text = resources.files("sim_pkg").joinpath("tracks", f"{REINVENT}.csv").read_text()
    rows = np.array([[float(v) for v in line.split(",")] for line in text.splitlines()
                     if line and not line.startswith("#") and not line.startswith("centre")])
    return Track(REINVENT, rows[:, 0:2], rows[:, 2:4], rows[:, 4:6])


def _synthetic() -> Track:
    """A loop about 6 x 4 m whose radius wobbles three times per turn: bends both ways, down to ~0.8 m."""
    theta = np.linspace(0.0, 2 * math.pi, SYNTHETIC_ROWS, endpoint=False)
    radius = 1.0 + 0.22 * np.sin(3 * theta) + 0.08 * np.cos(5 * theta)
    centre = np.stack((3.0 + 2.6 * radius * np.cos(theta), 2.2 + 1.7 * radius * np.sin(theta)), axis=1)
    tangent = np.roll(centre, -1, axis=0) - np.roll(centre, 1, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    left = np.stack((-tangent[:, 1], tangent[:, 0]), axis=1)
    half = SYNTHETIC_WIDTH_M / 2
    return Track(SYNTHETIC, centre, centre + half * left, centre - half * left)


@cache
def load_track(name: str) -> Track:
    """The named track (built once per process); ValueError names the tracks there are."""
    if name == REINVENT:
        return _reinvent()
    if name == SYNTHETIC:
        return _synthetic()
    raise ValueError(f"unknown track {name!r}; choose one of {', '.join(TRACKS)}")
