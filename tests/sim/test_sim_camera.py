"""The simulated car's camera: the pinhole view of the track from a pose (the simulator renders it), and the camera
node's `sim` source, which delivers the simulator's JPEGs as an MJPEG camera delivers its frames, stamped with the
simulated time each was taken at."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from camera_pkg import sources
from camera_pkg.frames import JpegFrame, policy_image
from camera_pkg.source_spec import CameraSpec, parse_source
from camera_pkg.sources import SimCamera, SimFeed, SimPicture, SourceError, open_rig, sim_lens
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


def _picture(s: float = 0.5, stamp_ns: int = 1_000_000_000) -> SimPicture:
    """What the simulator sends: its render of the view from the centre line at arc position `s`, as a JPEG."""
    x, y, heading = TRACK.point_at(s)
    ok, encoded = cv2.imencode(".jpg", CameraView(TRACK, W, H).render(x, y, heading))
    assert ok
    return SimPicture(encoded.tobytes(), stamp_ns)


def test_sim_source_parses_mono_and_stereo():
    assert parse_source("sim").cameras == (CameraSpec("sim"),)
    assert parse_source("sim,sim").cameras == (CameraSpec("sim"), CameraSpec("sim"))
    assert [sim_lens(0, 1), sim_lens(0, 2), sim_lens(1, 2)] == ["centre", "left", "right"]


def test_sim_camera_delivers_the_simulators_jpeg_stamped_with_the_simulated_time_it_was_taken():
    feed = SimFeed()
    camera = SimCamera(feed, "centre")
    feed.put(_picture(0.5, stamp_ns=3_250_000_000))
    camera.grab()
    first = camera.retrieve()
    assert isinstance(first, JpegFrame) and (first.width, first.height) == (W, H)
    assert policy_image(first, 160, 120).shape == (120, 160)
    assert camera.grabbed_at == (3.25, 3_250_000_000)  # the capture stamp: when the simulator rendered it
    feed.put(_picture(4.0))  # in the first bend: a different picture
    camera.grab()
    second = cv2.imdecode(np.frombuffer(camera.retrieve().data, np.uint8), cv2.IMREAD_GRAYSCALE)
    before = cv2.imdecode(np.frombuffer(first.data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert np.mean(np.abs(second.astype(int) - before)) > 5


def test_a_rig_takes_the_stamp_its_sim_camera_carries():
    feed = SimFeed()
    rig = open_rig(parse_source("sim"), fps=15.0, width=W, height=H, loop=True, sim_feeds={"centre": feed})
    feed.put(_picture(stamp_ns=7_000_000_000))
    assert rig.grab(lambda: (0.0, 0)) == (7.0, 7_000_000_000)


def test_sim_camera_without_pictures_reports_itself_lost(monkeypatch):
    monkeypatch.setattr(sources, "DEVICE_READ_TIMEOUT_MS", 50)
    camera = SimCamera(SimFeed(), "centre")
    with pytest.raises(SourceError, match="sim_node"):
        camera.grab()


def test_a_sim_rig_needs_someone_to_provide_the_pictures():
    with pytest.raises(SourceError, match="pictures"):
        open_rig(parse_source("sim"), fps=15.0, width=W, height=H, loop=True)
    rig = open_rig(parse_source("sim,sim"), fps=15.0, width=W, height=H, loop=True,
                   sim_feeds={"left": SimFeed(), "right": SimFeed()})
    assert rig.stereo and rig.description == "sim (left)+sim (right)"
