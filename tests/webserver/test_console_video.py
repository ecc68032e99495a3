"""Live video over real HTTP: JPEG parts from the display stream, one shared subscription, and a
closed viewer leaves (the last one unsubscribes, so the camera can stop encoding)."""

from __future__ import annotations

import cv2
import numpy as np
from webserver.console_client import VIDEO_ROUTE, MjpegViewer

from support.rosgraph import wait_for
from webserver_pkg.services.frame_hub import NO_PICTURE, part

JPEG_A = b"\xff\xd8\xff\xe0fake-jpeg-A\xff\xd9"
JPEG_B = b"\xff\xd8\xff\xe0fake-jpeg-B-longer\xff\xd9"


def test_mjpeg_route_delivers_jpeg_parts_to_several_viewers_on_one_subscription(console_server):
    client = console_server.logged_in_client()
    bridge = console_server.bridge
    first = MjpegViewer(console_server.url, client)
    assert first.response.status == 200
    assert first.response.getheader("Content-Type") == "multipart/x-mixed-replace; boundary=frame"
    second = MjpegViewer(console_server.url, client)
    wait_for(lambda: bridge.display_subscribers == 1 and console_server.app.extensions[
        "deepracer_console"].frames.viewers == 2, 5, "both viewers on one subscription")
    assert bridge.call_names().count("watch_display") == 1

    bridge.publish_frame(JPEG_A)
    wait_for(lambda: all(JPEG_A in [body for _, body in viewer.parts] for viewer in (first, second)), 5,
             "the first frame at both viewers")
    bridge.publish_frame(JPEG_B)
    wait_for(lambda: first.parts[-1][1] == JPEG_B and second.parts[-1][1] == JPEG_B, 5, "the second frame")
    assert {headers["content-type"] for headers, _ in first.parts} == {"image/jpeg"}
    assert {body for _, body in first.parts} <= {NO_PICTURE, JPEG_A, JPEG_B}

    first.close()
    bridge.publish_frame(JPEG_A)  # the write to the closed viewer fails, which ends its stream
    wait_for(lambda: console_server.app.extensions["deepracer_console"].frames.viewers == 1, 10,
             "the closed viewer to leave")
    assert bridge.display_subscribers == 1
    second.close()
    wait_for(lambda: bridge.display_subscribers == 0, 10, "the last viewer to unsubscribe")


def test_a_closed_viewer_is_noticed_even_when_the_camera_is_silent(console_server):
    """No frame ever arrives: the keep-alive write notices the closed socket."""
    viewer = MjpegViewer(console_server.url, console_server.logged_in_client())
    wait_for(lambda: console_server.bridge.display_subscribers == 1, 5, "the subscription")
    viewer.close()
    wait_for(lambda: console_server.bridge.display_subscribers == 0, 10, "the subscription to end")


def test_before_the_first_frame_the_stream_sends_whole_picture_parts_never_a_preamble(console_server):
    """Chromium shows nothing of a stream whose preamble holds more than one CRLF: the keep-alives sent while the
    camera is silent are a small valid picture, and the stream begins with its boundary."""
    viewer = MjpegViewer(console_server.url, console_server.logged_in_client(), raw=True)
    wait_for(lambda: len(viewer.raw) >= 3 * len(part(NO_PICTURE)), 10, "three keep-alives from a silent camera")
    assert viewer.raw.startswith(b"--frame\r\n")
    assert viewer.raw.startswith(3 * part(NO_PICTURE))
    picture = cv2.imdecode(np.frombuffer(NO_PICTURE, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (12, 16, 3)
    console_server.bridge.publish_frame(JPEG_A)
    wait_for(lambda: part(JPEG_A) in viewer.raw, 5, "the camera's first frame after the keep-alives")
    viewer.close()


def test_video_needs_a_session_and_the_display_topic(console_server):
    anonymous = console_server.client()
    assert anonymous.get(VIDEO_ROUTE).status == 401
    client = console_server.logged_in_client()
    reply = client.get("/route?topic=/camera_pkg/video_mjpeg")
    assert reply.status == 404 and "/camera_pkg/display_mjpeg" in reply.json()["reason"]
    assert console_server.bridge.display_subscribers == 0
