"""Camera node: policy frames, a display JPEG for browsers, the camera status and the video toggle.

Frames are published from the capture thread itself, the moment they are retrieved (rclpy publishers are
thread-safe), so no thread hand-over sits on the path to the policy; when inference shares the process the frame is
handed to it in-process on this same thread (deepracer_common_pkg.hosted_topics). A policy image is decoded only
while someone reads the frames (inference running the policy, the logger recording, a reader over DDS): an idle
car takes its camera's frames a few at a time and does nothing else with them. The capture thread is stopped before
the node is destroyed or restarted, so it never publishes on a dead node.

The display stream for browsers is the camera's own JPEG, passed on untouched at the capture size (the browser
scales it; re-encoding cost a full decode, a resize and an encode per frame, more than the policy's own work on
the car), at most `display_fps` frames a second, and only while a viewer subscribes (with the video on) or the
logger beside this node records a run (its rl_results pictures, handed on in-process, video on or off). The console
of the same car takes it on a local socket (deepracer_common_pkg.picture_link), other readers on the topic.
"""

from __future__ import annotations

from array import array
from functools import partial

from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image
from std_srvs.srv import SetBool

from camera_pkg.capture import Capture, CaptureThread
from camera_pkg.config import CameraConfig, needs_restart
from camera_pkg.frames import UndecodableFrame, display_jpeg, policy_image
from camera_pkg.sources import SimFeed, SimPicture, open_rig, sim_lens
from deepracer_common_pkg import hosted_topics, names, picture_link, qos
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_common_pkg.rate_keeper import RateKeeper
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import header_at, to_ns
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_common_pkg.telemetry_node import publish_telemetry
from deepracer_interfaces_pkg.msg import CameraFrames, CameraStatus

HEALTH_CHECK_PERIOD_S = 0.5  # with the 0.5 s loss timeout, a lost camera is reported within 1.0 s (2 wake-ups a second)
# On the car, while nobody needs the pixels (an idle car), the capture naps at most this long between looks at the
# camera (camera_pkg.capture) and asks then, not on every capture: a Start, a viewer or a recording gets its first
# frame up to this and a frame later. In simulation on every picture: the simulator's time stands still while the
# stack thinks, and a lockstep run counts each one.
UNWANTED_RECHECK_S = 0.1
STATUS_FPS_STEP = 0.5  # a change of the delivered rate worth telling (its readers show it rounded)
FRAME_ID = "camera"
# The frame path's messages, made without the generated constructors' defaults (deepracer_common_pkg.message_maker).
_frames = maker(CameraFrames, "header", "sequence", "images")
_image = maker(Image, "header", "height", "width", "encoding", "is_bigendian", "step", "data")
_picture = maker(CompressedImage, "header", "format", "data")


class CameraNode(Node):
    def __init__(self) -> None:
        super().__init__("camera_node")
        self._config = declare_config(self, CameraConfig, on_change=self._on_config)
        self._video_on = self._config.video_on
        self._frames = hosted_topics.HandOff(self, CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
        self._display_keeper = RateKeeper(self._config.display_fps)
        self._display = hosted_topics.HandOff(self, CompressedImage, names.CAMERA_DISPLAY, qos.LATEST)
        self._console_link = picture_link.open_server(
            picture_link.address(self.context.get_domain_id(), self.get_fully_qualified_name()),
            self.get_logger(), "display pictures", "camera")
        self._status_publisher = self.create_publisher(CameraStatus, names.CAMERA_STATUS, qos.LATCHED)
        self.create_service(SetBool, names.CAMERA_MEDIA_STATE, self._on_media_state)
        self._time = StackClock(self)
        self._window = StageWindow("camera", clock=self._time.now_s)  # frames handed on (capture rate: health())
        publish_telemetry(self, self._window)
        self._last_status: CameraStatus | None = None
        self._sim_feeds: dict[str, SimFeed] = {}
        self._sim_subscriptions: dict[str, object] = {}
        self._follow_sim_cameras(self._config)
        self._capture = self._start_capture(self._config)
        self._time.create_timer(HEALTH_CHECK_PERIOD_S, self._publish_status)

    def _start_capture(self, config: CameraConfig) -> CaptureThread:
        rig = partial(open_rig, config.source_spec, fps=config.fps, width=config.capture_width,
                      height=config.capture_height, loop=config.loop_video, sim_feeds=self._sim_feeds)
        capture = CaptureThread(rig, fps=config.fps, loss_timeout_s=config.effective_loss_timeout_s,
                                clock=self._time.now_s, wall_clock_ns=self._time.now_ns,
                                source=config.source, on_capture=self._publish, wanted=self._wanted,
                                recheck_unwanted_s=0.0 if self._time.simulated else UNWANTED_RECHECK_S)
        capture.start()
        self.get_logger().info(f"capturing from {config.source} at {config.fps:g} fps")
        return capture

    def _on_config(self, config: CameraConfig) -> None:
        old, self._config = self._config, config
        if config.video_on != old.video_on:
            self._video_on = config.video_on
        if config.display_fps != old.display_fps:
            self._display_keeper = RateKeeper(config.display_fps)
        if needs_restart(old, config):
            self._follow_sim_cameras(config)
            self._stop_capture()
            self._capture = self._start_capture(config)

    def _stop_capture(self) -> None:
        if not self._capture.stop():
            self.get_logger().warning("capture thread still blocked in a camera read; leaving it behind")

    def _follow_sim_cameras(self, config: CameraConfig) -> None:
        """A `sim` source's pictures come from the simulator, one topic per lens: subscribed to while the source
        names them (the simulator renders a lens only while someone reads it)."""
        cameras = config.source_spec.cameras
        lenses = {sim_lens(index, len(cameras)) for index, camera in enumerate(cameras) if camera.kind == "sim"}
        for lens in set(self._sim_feeds) - lenses:
            self.destroy_subscription(self._sim_subscriptions.pop(lens))
            self._sim_feeds.pop(lens).close()
        for lens in lenses - set(self._sim_feeds):
            feed = self._sim_feeds[lens] = SimFeed()
            self._sim_subscriptions[lens] = self.create_subscription(
                CompressedImage, names.SIM_CAMERA[lens],
                lambda message, feed=feed: feed.put(SimPicture(bytes(message.data), to_ns(message.header.stamp))),
                qos.SIM_PICTURES)

    def _on_media_state(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        self._video_on = request.data
        response.success = True
        response.message = f"video {'on' if request.data else 'off'}"
        self._publish_status()
        return response

    def _wanted(self) -> bool:
        """Does anyone need the next capture's pixels (the frame path, a viewer, the logger's rl_results)?"""
        return self._frames.wanted() or self._viewed() or self._display.wanted_here()

    def _viewed(self) -> bool:
        return self._video_on and (self._display.outside_readers() > 0 or self._linked_consoles() > 0)

    def _linked_consoles(self) -> int:
        return self._console_link.consoles() if self._console_link is not None else 0

    def _publish(self, capture: Capture) -> None:
        """On the capture thread."""
        config = self._config
        if self._frames.wanted():
            self._publish_frames(capture, config)
        viewed = self._viewed()
        if (viewed or self._display.wanted_here()) and self._display_keeper.due(capture.monotonic_s):
            self._publish_display(capture, config, viewed)

    def _publish_frames(self, capture: Capture, config: CameraConfig) -> None:
        try:
            greys = [policy_image(frame, config.policy_width, config.policy_height) for frame in capture.frames]
        except UndecodableFrame as error:
            self._window.drop()
            self.get_logger().warning(f"camera frame skipped: {error}", throttle_duration_sec=5.0)
            return
        header = header_at(capture.stamp_ns, FRAME_ID)
        images = [_image(header, grey.shape[0], grey.shape[1], "mono8", 0, grey.shape[1], array("B", grey.tobytes()))
                  for grey in greys]
        message = _frames(header, capture.sequence, images)
        self._window.record((self._time.now_ns() - capture.stamp_ns) / 1e6)  # handed on now: readers in this process
        self._frames.publish(message)  # run on this thread, through navigation

    def _publish_display(self, capture: Capture, config: CameraConfig, viewed: bool) -> None:
        """Only the left camera is shown: the browser page has room for one view. The logger beside this node
        gets it whether or not the video is on (the bag's rl_results pictures); viewers only while it is."""
        picture = display_jpeg(capture.frames[0], config.display_width, config.display_height, config.display_quality)
        display = _picture(header_at(capture.stamp_ns, FRAME_ID), "jpeg", array("B", picture))
        self._display.publish(display, outside=viewed)
        if viewed and self._console_link is not None:
            self._console_link.send(picture)

    def _publish_status(self) -> None:
        """On every change, the fps's by STATUS_FPS_STEP or more: the status is latched, and an unchanged one sent
        again every second cost its readers a wake-up each for nothing."""
        health = self._capture.health()
        status = CameraStatus(connected=health.connected, stereo=health.stereo, video_on=self._video_on,
                              fps=round(health.fps, 1),
                              width=health.width, height=health.height, source=health.source,
                              error=health.error)
        previous = self._last_status
        changed = previous is None or any(
            getattr(status, field) != getattr(previous, field)
            for field in ("connected", "stereo", "video_on", "width", "height", "source", "error")) \
            or abs(status.fps - previous.fps) >= STATUS_FPS_STEP
        if not changed:
            return
        if previous is None or health.error != previous.error:
            if health.error:
                self.get_logger().warning(f"camera: {health.error}")
            elif previous is not None:
                self.get_logger().info(f"camera delivering again from {health.source}")
        self._status_publisher.publish(status)
        self._last_status = status

    def on_shutdown(self) -> None:
        self._stop_capture()
        if self._console_link is not None:
            self._console_link.close()


def main(args: list[str] | None = None) -> None:
    run_node(CameraNode, args)


if __name__ == "__main__":
    main()
