"""The simulated car's camera: the pinhole view of the track from a pose, and the camera node's `sim` source
(rendered and JPEG-encoded in grab(), as the synthetic source and a USB camera do; stale poses refused)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from camera_pkg.frames import JpegFrame, policy_image
from camera_pkg.source_spec import CameraSpec, parse_source
from camera_pkg.sources import SIM_POSE_TIMEOUT_S, PoseSample, SimCamera, SourceError, open_rig
from sim_pkg.camera_view import (
    BGR_FLOOR,
    BGR_TAPE,
    BGR_TRACK,
    BORDER_TAPE_M,
    CAMERA_HEIGHT_M,
    FIELD_OF_VIEW_DEG,
    HORIZON_FRACTION,
    CameraView,
)
from sim_pkg.tracks import REINVENT, load_track

TRACK = load_track(REINVENT)
W, H = 640, 480


def _close(pixel: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - colour) <= 12))


def test_border_tape_lands_where_the_pinhole_maths_puts_it():
    """On the first straight, facing along it: the left tape's middle 1 m ahead of the lens."""
    x, y, heading = TRACK.point_at(0.5)
    image = CameraView(TRACK, W, H).render(x, y, heading)
    focal = (W / 2) / math.tan(math.radians(FIELD_OF_VIEW_DEG / 2))
    depth = 1.0
    lateral = TRACK.width / 2 - BORDER_TAPE_M / 2 + TRACK.locate(x, y).lateral  # left of the lens
    u = round(W / 2 - focal * lateral / depth)
    v = round(H * HORIZON_FRACTION + focal * CAMERA_HEIGHT_M / depth)
    assert _close(image[v, u], BGR_TAPE), image[v, u]
    assert _close(image[v, u - 12], BGR_FLOOR) and _close(image[v, u + 12], BGR_TRACK)
    assert _close(image[H - 1, W // 2 + 100], BGR_TRACK)  # just ahead of the car: asphalt


def test_facing_away_from_the_track_sees_only_floor_below_the_horizon():
    x, y, heading = TRACK.point_at(1.0)
    outside = CameraView(TRACK, W, H).render(x, y - 1.0, heading - math.pi / 2)  # off the straight, facing out
    below = outside[int(H * HORIZON_FRACTION) + 4:]
    assert np.mean(np.all(np.abs(below.astype(int) - BGR_FLOOR) <= 12, axis=2)) > 0.99


def test_stereo_lenses_see_the_track_shifted_by_their_offset():
    x, y, heading = TRACK.point_at(0.5)
    view = CameraView(TRACK, W, H)
    focal = (W / 2) / math.tan(math.radians(FIELD_OF_VIEW_DEG / 2))
    row = round(H * HORIZON_FRACTION + focal * CAMERA_HEIGHT_M / 0.6)  # the floor 0.6 m ahead

    def left_tape_column(image: np.ndarray) -> float:
        tape = np.flatnonzero(np.all(np.abs(image[row].astype(int) - BGR_TAPE) <= 12, axis=1))
        return float(tape[tape < W // 2].mean())

    left, right = view.render(x, y, heading, -0.03), view.render(x, y, heading, 0.03)
    # a lens further right sees the left border further left in its picture
    assert left_tape_column(right) < left_tape_column(left) - 5


def _pose(received_s: float, s: float = 0.5) -> PoseSample:
    x, y, heading = TRACK.point_at(s)
    return PoseSample(REINVENT, x, y, heading, received_s)


def test_sim_source_parses_mono_and_stereo():
    assert parse_source("sim").cameras == (CameraSpec("sim"),)
    assert parse_source("sim,sim").cameras == (CameraSpec("sim"), CameraSpec("sim"))


def test_sim_camera_sends_a_jpeg_of_the_capture_size_rendered_from_the_latest_pose():
    now = [100.0]
    latest = [_pose(100.0)]
    camera = SimCamera(width=W, height=H, fps=15.0, pose=lambda: latest[0], clock=lambda: now[0])
    camera.grab()
    first = camera.retrieve()
    assert isinstance(first, JpegFrame) and (first.width, first.height) == (W, H)
    assert policy_image(first, 160, 120).shape == (120, 160)
    latest[0] = _pose(100.0, s=4.0)  # in the first bend: a different picture
    camera.grab()
    second = cv2.imdecode(np.frombuffer(camera.retrieve().data, np.uint8), cv2.IMREAD_GRAYSCALE)
    before = cv2.imdecode(np.frombuffer(first.data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert np.mean(np.abs(second.astype(int) - before)) > 5


def test_sim_camera_without_a_fresh_pose_reports_itself_lost():
    now = [100.0]
    latest: list[PoseSample | None] = [None]
    camera = SimCamera(width=W, height=H, fps=15.0, pose=lambda: latest[0], clock=lambda: now[0])
    with pytest.raises(SourceError, match="sim_node"):
        camera.grab()
    latest[0] = _pose(100.0)
    camera.grab()
    now[0] = 100.0 + SIM_POSE_TIMEOUT_S + 0.01  # the simulator stopped publishing
    with pytest.raises(SourceError, match="old"):
        camera.grab()


def test_a_sim_rig_needs_someone_to_provide_the_pose():
    with pytest.raises(SourceError, match="pose"):
        open_rig(parse_source("sim"), fps=15.0, width=W, height=H, loop=True)
    rig = open_rig(parse_source("sim,sim"), fps=15.0, width=W, height=H, loop=True, sim_pose=lambda: None)
    assert rig.stereo and rig.description == "sim+sim"
