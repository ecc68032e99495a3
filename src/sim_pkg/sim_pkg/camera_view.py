"""The front camera's view of a track from the simulated car: a flat floor seen through a pinhole.

Set to look like the DeepRacer simulator's camera, judged against the three simulator frames
`dr-demo-{1,2,3}.png` of the deepracer-utils 1.5.6 source package (benchmarks/bench_sim.py compares the
grey-level histograms): lens 0.12 m above the floor, 120 degree horizontal view, horizon at 0.28 of the
image height, dark blue-grey asphalt, white border tape along both borders, a dashed yellow-orange centre
line, green floor, a dark wall above the horizon. Colours are the mean BGR of those pictures' regions.
The camera looks level; the horizon below the image centre stands for the simulator camera's downward
tilt (a shifted principal point: the same picture to within the small-angle error of the tilt).
The simulator's floor is textured (its asphalt keeps a grey spread of about 5 levels even in the 160x120 policy
image): the floor here carries a fixed random texture (value noise, 1.5 cm cells) laid on the ground, so it
moves with the ground as the car drives, computed at a quarter of the resolution and fading with distance as a
mipmapped texture does.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from sim_pkg.tracks import Track
from sim_pkg.vehicle import CAMERA_AHEAD_M

CAMERA_HEIGHT_M = 0.12
FIELD_OF_VIEW_DEG = 120.0
HORIZON_FRACTION = 0.28
BORDER_TAPE_M = 0.05
CENTRE_LINE_M = 0.05
DASH_M = 0.10  # centre-line dashes: this long, then a gap as long
SAMPLE_M = 0.04
NEAR_M = 0.02
FAR_M = 15.0
TEXTURE_CELL_M = 0.015
TEXTURE_GREY_STD = 6.0
TEXTURE_FULL_UNTIL_M = 0.5  # nearer than this the texture is at full strength; beyond, it fades as 1/distance
_TEXTURE_TABLE = 256

BGR_WALL = (30, 26, 14)
BGR_FLOOR = (114, 147, 105)
BGR_TRACK = (76, 60, 46)
BGR_TAPE = (205, 209, 210)
BGR_CENTRE = (7, 123, 201)
_SUBPIXEL_BITS = 4
_SCALE = 1 << _SUBPIXEL_BITS


def _strip(centre: np.ndarray, left: np.ndarray, inner: float, outer: float) -> np.ndarray:
    """Quads (M, 4, 2) of the floor strip between lateral offsets `inner` and `outer` (left positive)."""
    a = centre + inner * left
    b = centre + outer * left
    return np.stack((a[:-1], b[:-1], b[1:], a[1:]), axis=1)


def _clip_near(quad: np.ndarray) -> np.ndarray:
    """The part of a polygon in camera coordinates (columns: right, depth) at depth >= NEAR_M."""
    out = []
    count = len(quad)
    for i in range(count):
        p, q = quad[i], quad[(i + 1) % count]
        p_in, q_in = p[1] >= NEAR_M, q[1] >= NEAR_M
        if p_in:
            out.append(p)
        if p_in != q_in:
            t = (NEAR_M - p[1]) / (q[1] - p[1])
            out.append(p + t * (q - p))
    return np.array(out)


class CameraView:
    """Renders BGR frames of `width` x `height` of `track` from a car pose."""

    def __init__(self, track: Track, width: int, height: int) -> None:
        self.track = track
        self.width = width
        self.height = height
        self._half_view = math.tan(math.radians(FIELD_OF_VIEW_DEG / 2))
        self._focal = (width / 2) / self._half_view
        self._horizon = height * HORIZON_FRACTION
        self._background = np.empty((height, width, 3), np.uint8)
        self._background[: round(self._horizon)] = BGR_WALL
        self._background[round(self._horizon):] = BGR_FLOOR
        centre, left, s = track.resampled(SAMPLE_M)
        half = track.width / 2
        dashes = (np.floor(s[:-1] / DASH_M) % 2) == 0
        self._init_texture()
        self._layers = [
            (_strip(centre, left, -half, half), BGR_TRACK),
            (_strip(centre, left, half - BORDER_TAPE_M, half), BGR_TAPE),
            (_strip(centre, left, -half, -half + BORDER_TAPE_M), BGR_TAPE),
            (_strip(centre, left, -CENTRE_LINE_M / 2, CENTRE_LINE_M / 2)[dashes], BGR_CENTRE),
        ]

    def _init_texture(self) -> None:
        """Where each quarter-resolution pixel below the horizon meets the floor, in the lens's frame."""
        columns = (np.arange(self.width // 4) + 0.5) * 4
        rows = (np.arange(self.height // 4) + 0.5) * 4
        rows = rows[rows > self._horizon + 1]
        self._texture_top = int(rows[0] - 2) if rows.size else self.height
        depth = self._focal * CAMERA_HEIGHT_M / (rows - self._horizon)
        self._ground_depth = np.repeat(depth[:, None], columns.size, axis=1)
        self._ground_side = (columns[None, :] - self.width / 2) * self._ground_depth / self._focal
        self._texture_gain = np.minimum(1.0, TEXTURE_FULL_UNTIL_M / self._ground_depth).astype(np.float32)
        rng = np.random.default_rng(2018)
        self._texture_table = rng.normal(0.0, TEXTURE_GREY_STD, (_TEXTURE_TABLE, _TEXTURE_TABLE)).astype(np.float32)

    def _texture(self, lens: np.ndarray, forward: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Grey offsets (int16, full resolution) for the rows from `_texture_top` down."""
        ground_x = lens[0] + self._ground_depth * forward[0] + self._ground_side * right[0]
        ground_y = lens[1] + self._ground_depth * forward[1] + self._ground_side * right[1]
        # value noise: the table read between its cells with bilinear blending (no blocky cells up close),
        # repeating every _TEXTURE_TABLE cells
        cells_x = np.mod(ground_x / TEXTURE_CELL_M, _TEXTURE_TABLE).astype(np.float32)
        cells_y = np.mod(ground_y / TEXTURE_CELL_M, _TEXTURE_TABLE).astype(np.float32)
        noise = cv2.remap(self._texture_table, cells_x, cells_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        small = (noise * self._texture_gain).astype(np.int16)
        return cv2.resize(small, (self.width, self.height - self._texture_top), interpolation=cv2.INTER_LINEAR)

    def render(self, x: float, y: float, yaw: float, lateral_offset_m: float = 0.0) -> np.ndarray:
        """The view from the car whose centre is at (x, y) heading `yaw`; `lateral_offset_m` moves the lens
        to the right (a stereo pair's right camera) or left (negative)."""
        forward = np.array([math.cos(yaw), math.sin(yaw)])
        right = np.array([math.sin(yaw), -math.cos(yaw)])
        lens = np.array([x, y]) + CAMERA_AHEAD_M * forward + lateral_offset_m * right
        image = self._background.copy()
        for quads, colour in self._layers:
            relative = quads - lens
            camera = np.stack((relative @ right, relative @ forward), axis=-1)  # (M, 4, [right, depth])
            side, depth = camera[..., 0], camera[..., 1]
            # Beyond the left or right plane of the view with all four corners: not in the picture.
            edge = depth * self._half_view
            seen = ~(np.all(side > edge, axis=1) | np.all(side < -edge, axis=1))
            near = depth.min(axis=1)
            ahead = seen & (near >= NEAR_M) & (near < FAR_M)
            straddling = seen & (near < NEAR_M) & (depth.max(axis=1) >= NEAR_M)
            polygons = list(self._project(camera[ahead]))
            polygons += [self._project(_clip_near(quad)[None])[0] for quad in camera[straddling]]
            # fillPoly fills by the even-odd rule: neighbours (which may overlap in tight bends) go in
            # different calls so their overlap is not left empty.
            for parity in (0, 1):
                chosen = polygons[parity::2]
                if chosen:
                    cv2.fillPoly(image, chosen, colour, lineType=cv2.LINE_AA, shift=_SUBPIXEL_BITS)
        texture = self._texture(lens, forward, right)
        floor = image[self._texture_top:]
        cv2.add(floor, cv2.merge((texture, texture, texture)), dst=floor, dtype=cv2.CV_8U)  # saturating
        return image

    def _project(self, camera: np.ndarray) -> np.ndarray:
        """Camera coordinates (..., [right, depth]) -> fixed-point pixel coordinates for cv2."""
        depth = camera[..., 1]
        u = self.width / 2 + self._focal * camera[..., 0] / depth
        v = self._horizon + self._focal * CAMERA_HEIGHT_M / depth
        limit = 1 << 26  # far off-screen points clamped so the fixed-point values fit an int32
        return (np.clip(np.stack((u, v), axis=-1) * _SCALE, -limit, limit)).astype(np.int32)
