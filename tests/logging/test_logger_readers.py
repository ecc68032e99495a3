"""The logger reads a frame-rate topic only when it can record it (issue 23): each message costs its reader a
wake-up, and a reader of the camera or of the original rl_results makes other nodes send 30 frames or 15 colour
pictures a second. The logging node runs alone over real DDS; a probe in navigation's role changes the state, and
the DDS graph says which of the logger's readers exist."""

from __future__ import annotations

import pytest

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import NavigationState
from support.rosgraph import NodeProcess, RosProbe, wait_for

STARTUP_S = 30.0
LOGGER = "bag_log_node"
# The servo node's writes are read batched, a few messages a second (servo_pkg.write_batch).
PER_FRAME = (names.CAMERA_FRAMES, names.INFERENCE_RESULTS, names.NAVIGATION_SERVO_CMD, names.SERVO_PWM_WRITTEN_BATCH)


@pytest.fixture
def logger(tmp_path):
    node = NodeProcess("logging_pkg", "logging_node", {"output_path": str(tmp_path / "logs")})
    probe = RosProbe()
    try:
        yield probe, node
    finally:
        probe.close()
        node.stop()


def _readers(probe: RosProbe, topic: str) -> bool:
    return any(info.node_name == LOGGER for info in probe.node.get_subscriptions_info_by_topic(topic))


def _reads_exactly(probe: RosProbe, wanted: set[str]) -> bool:
    return {topic for topic in (*PER_FRAME, names.ORIGINAL_RL_RESULTS) if _readers(probe, topic)} == wanted


def test_per_frame_topics_are_read_in_autonomous_mode_and_rl_results_only_while_a_run_drives(logger):
    probe, node = logger
    wait_for(lambda: _readers(probe, names.NAVIGATION_STATE), STARTUP_S, lambda: f"the logger up\n{node.output()}")
    assert _reads_exactly(probe, set())  # no state heard yet: nothing to record
    state = probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED, timeout=STARTUP_S)
    for message, wanted in (
        (NavigationState(mode="manual", started=True), set()),
        (NavigationState(mode="autonomous", started=False), set(PER_FRAME)),
        (NavigationState(mode="autonomous", started=True, run_started_ns=1), {*PER_FRAME, names.ORIGINAL_RL_RESULTS}),
        (NavigationState(mode="autonomous", started=False), set(PER_FRAME)),
        (NavigationState(mode="manual", started=False), set()),
    ):
        state.publish(message)
        wait_for(lambda wanted=wanted: _reads_exactly(probe, wanted), 10,
                 lambda message=message: f"the logger's readers for {message.mode} started={message.started}")
