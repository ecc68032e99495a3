"""The QoS profiles of the graph (see docs/architecture.md for which topic uses which)."""

from rclpy.duration import Duration
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

# Frames and policy outputs: only the newest matters, a late one is worth nothing, never queue.
LATEST = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1,
    reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.VOLATILE,
)
# Drive commands: must arrive, but a newer one replaces an older one.
COMMAND = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE,
)
# An outside application's drive commands on the original topics: best effort, keep last 1, as the original ctrl_pkg
# subscribed and the sample apps publish. A best-effort reader matches best-effort and reliable writers alike (a
# reliable reader never matches a best-effort writer).
ORIGINAL_DRIVE = LATEST
# The simulator's pictures: in lockstep time stands still until the stack has answered each one, so one lost would
# cost the whole wait (sim_node.lockstep_wait_s, 5 s) and make the run unreproducible: delivered reliably, the newest
# only (the one best-effort hop of the lockstep loop).
SIM_PICTURES = COMMAND
# State: a subscriber that joins late gets the current value at once.
LATCHED = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
# Each stage's figures: state too (a reader that comes hears an idle stage's figures, which are not sent again until
# they change). A best-effort volatile reader (an outside tool's default) still matches and hears the changes.
TELEMETRY = LATCHED
# Heartbeats: every node writes on one topic; a reader keeps a few so no node's beat hides another's.
HEARTBEAT = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=16,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE,
)
# The servo node's reports of its writes, read by one that must see each (the simulator's lockstep waits for the
# write of each frame): a newer report would replace one not yet taken with keep-last 1, and time stood still for
# the whole wait. The writer's own profile stays COMMAND (this reader matches it).
REPORTS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=16,
    reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE,
)

# How long a node's on_shutdown() waits for its last (neutral) message to be acknowledged by reliable
# subscribers: without it the process can exit before the message leaves.
SHUTDOWN_ACK_TIMEOUT = Duration(seconds=0.5)
