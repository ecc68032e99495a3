"""Live video over real HTTP: JPEG parts from the display stream, one shared subscription, and a
closed viewer leaves (the last one unsubscribes, so the camera can stop encoding)."""

from __future__ import annotations

from webserver.console_client import VIDEO_ROUTE, MjpegViewer

from support.rosgraph import wait_for

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
    wait_for(lambda: first.parts and second.parts, 5, "the first frame at both viewers")
    bridge.publish_frame(JPEG_B)
    wait_for(lambda: first.parts[-1][1] == JPEG_B and second.parts[-1][1] == JPEG_B, 5, "the second frame")
    headers, body = first.parts[0]
    assert headers["content-type"] == "image/jpeg" and body == JPEG_A

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


def test_video_needs_a_session_and_the_display_topic(console_server):
    anonymous = console_server.client()
    assert anonymous.get(VIDEO_ROUTE).status == 401
    client = console_server.logged_in_client()
    reply = client.get("/route?topic=/camera_pkg/video_mjpeg")
    assert reply.status == 404 and "/camera_pkg/display_mjpeg" in reply.json()["reason"]
    assert console_server.bridge.display_subscribers == 0
