"""A rendered front-camera view of an endless curvy track, so a laptop run shows something track-like.

Geometry (metres, car frame: x to the right, y ahead, camera `CAMERA_HEIGHT_M` above the floor): the car
drives along the centre line at `SPEED_M_S`; the track's curvature along its length is a sum of two
sines, so the bends ahead keep changing. Strips of the floor (track surface, white border tape, dashed
yellow centre line) are projected with a pinhole camera of the DeepRacer's 120 degree horizontal view.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

TRACK_WIDTH_M = 0.60
BORDER_TAPE_M = 0.05
CENTRE_LINE_M = 0.025
CAMERA_HEIGHT_M = 0.12
SPEED_M_S = 0.8
FIELD_OF_VIEW_DEG = 120.0
HORIZON_FRACTION = 0.35  # image row of the horizon, as a fraction of the height (the camera looks down)
VIEW_AHEAD_M = 5.0
STEP_M = 0.05
NEAREST_M = 0.04
# Curvature (1/m) = sum of amplitude * sin(2 pi s / wavelength + phase): bends of about 0.6 m radius at most.
BENDS = ((1.1, 9.0, 0.0), (0.55, 3.7, 1.3))

BGR_WALL = (92, 70, 58)
BGR_FLOOR = (60, 110, 70)
BGR_TRACK = (55, 55, 55)
BGR_TAPE = (245, 245, 245)
BGR_CENTRE = (0, 200, 255)
_SUBPIXEL_BITS = 4


def _heading(s0: float, ahead: np.ndarray) -> np.ndarray:
    """Heading (radians, right positive) of the centre line `ahead` metres after arc position `s0`,
    relative to the heading at s0: the exact integral of the curvature sines."""
    heading = np.zeros_like(ahead)
    for amplitude, wavelength, phase in BENDS:
        omega = 2 * math.pi / wavelength
        heading -= amplitude / omega * (np.cos(omega * (s0 + ahead) + phase) - math.cos(omega * s0 + phase))
    return heading


class SyntheticTrack:
    """Renders BGR frames of `width` x `height`; `lateral_offset_m` shifts the camera (stereo pairs)."""

    def __init__(self, width: int, height: int, lateral_offset_m: float = 0.0) -> None:
        self.width = width
        self.height = height
        self._offset = lateral_offset_m
        self._focal = (width / 2) / math.tan(math.radians(FIELD_OF_VIEW_DEG / 2))
        self._horizon = int(height * HORIZON_FRACTION)
        self._background = np.empty((height, width, 3), np.uint8)
        self._background[: self._horizon] = BGR_WALL
        self._background[self._horizon:] = BGR_FLOOR

    def render(self, t: float) -> np.ndarray:
        """The view after driving for `t` seconds (the same `t` always gives the same picture)."""
        ahead = np.arange(0.0, VIEW_AHEAD_M, STEP_M)
        heading = _heading(SPEED_M_S * t, ahead)
        # Trapezoid rule along the arc: positions of the centre line, and the unit normal to its left.
        x = np.concatenate(([0.0], np.cumsum(STEP_M * np.sin((heading[1:] + heading[:-1]) / 2))))
        y = np.concatenate(([0.0], np.cumsum(STEP_M * np.cos((heading[1:] + heading[:-1]) / 2))))
        left = np.stack((-np.cos(heading), np.sin(heading)), axis=1)
        centre = np.stack((x, y), axis=1)
        image = self._background.copy()
        half = TRACK_WIDTH_M / 2
        self._fill(image, centre, left, -half, half, BGR_TRACK)
        self._fill(image, centre, left, half, half + BORDER_TAPE_M, BGR_TAPE)
        self._fill(image, centre, left, -half - BORDER_TAPE_M, -half, BGR_TAPE)
        dashes = (np.floor(SPEED_M_S * t / STEP_M + np.arange(len(ahead))) // 3) % 2 == 0
        self._fill(image, centre, left, -CENTRE_LINE_M / 2, CENTRE_LINE_M / 2, BGR_CENTRE, dashes)
        return image

    def _fill(self, image: np.ndarray, centre: np.ndarray, left: np.ndarray, inner: float, outer: float,
              colour: tuple[int, int, int], keep: np.ndarray | None = None) -> None:
        """Fill the floor strip between lateral offsets `inner` and `outer` as one quad per step."""
        a = centre + inner * left
        b = centre + outer * left
        # A quad is drawn when its far edge is in front of the camera; a near edge behind it is pulled
        # onto the nearest plane, which lies below the bottom row, so the clamp never shows.
        segment = (a[1:, 1] > NEAREST_M) & (b[1:, 1] > NEAREST_M)
        if keep is not None:
            segment &= keep[:-1]
        starts = np.flatnonzero(segment)
        if starts.size == 0:
            return
        pa, pb = self._project(a), self._project(b)
        quads = np.stack((pa[starts], pb[starts], pb[starts + 1], pa[starts + 1]), axis=1)
        cv2.fillPoly(image, list(quads), colour, lineType=cv2.LINE_AA, shift=_SUBPIXEL_BITS)

    def _project(self, points: np.ndarray) -> np.ndarray:
        depth = np.maximum(points[:, 1], NEAREST_M)
        u = self.width / 2 + self._focal * (points[:, 0] - self._offset) / depth
        v = self._horizon + self._focal * CAMERA_HEIGHT_M / depth
        return (np.stack((u, v), axis=1) * (1 << _SUBPIXEL_BITS)).astype(np.int32)
