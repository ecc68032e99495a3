"""The test session's own probe lets go of a module's readers (conftest.probe_readers_end_with_their_module): a
leftover reader makes every later stack work for it and costs this process a deserialisation per message."""

from __future__ import annotations

from std_msgs.msg import String

from deepracer_common_pkg import qos
from support.rosgraph import RosProbe, wait_for

TOPIC = "/test_session_probe/chatter"


def test_release_destroys_what_was_made_since_the_mark_and_keeps_the_rest(ros_probe):
    other = RosProbe()
    try:
        publisher = other.publisher(String, TOPIC, qos.COMMAND, wait_for_subscribers=0)
        kept = ros_probe.subscribe(String, TOPIC, qos.COMMAND)
        mark = ros_probe.mark()
        ros_probe.subscribe(String, TOPIC, qos.COMMAND)
        ros_probe.publisher(String, TOPIC, qos.COMMAND, wait_for_subscribers=0)
        wait_for(lambda: publisher.get_subscription_count() == 2, 10, "both readers matched")
        ros_probe.release(mark)
        wait_for(lambda: publisher.get_subscription_count() == 1, 10, "the reader made after the mark gone")
        wait_for(lambda: ros_probe.node.count_publishers(TOPIC) == 1, 10, "only the other probe's publisher left")
        publisher.publish(String(data="still heard"))
        kept.wait_for(lambda m: m.data == "still heard", 10, "the reader made before the mark still reading")
    finally:
        other.close()
