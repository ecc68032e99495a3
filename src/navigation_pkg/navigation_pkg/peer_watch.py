"""Which nodes a run depends on, and when their heartbeats say the run must stop.

Why: a node on the driving path that crashes and comes back (the launcher restarts it) knows nothing of the run in
progress. A restarted camera or inference node would start feeding outputs again, a restarted servo node would take
commands again, and the car would drive off with nobody having pressed Start. So while started, navigation stops,
and stays stopped until the next start, when a node its current mode drives through:
- restarts: its heartbeat carries a new boot id;
- goes silent for longer than `peer_timeout_s` (killed, or hung so long that it is as good as dead);
- reports a fault (the servo node holding neutral after its actuation guard fired).
Only nodes that have been heard count: a graph without a camera (a test rig, a car driven by hand only) is not
stopped for a node it never had. A node in navigation's own process (its beats handed over in-process) is never
"silent": its beats came from the process's one timer, which runs whenever navigation does, so its silence only
meant the whole process had been held up (an OpenVINO model load holds it for over a second on a 2-core machine),
and a Start right after a load was refused for "camera_node silent" (DREM loads, then starts, at once). Its restart
is navigation's own; its faults still count (a node that can report one beats on in-process; the others, with nothing
new to say, beat in-process only once: heartbeat.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from deepracer_common_pkg.driving_path import DRIVING_PATH

_NS = 1_000_000_000


@dataclass
class _Peer:
    boot_id: str
    heard_ns: int
    fault: str
    in_process: bool = False


class PeerWatch:
    def __init__(self, peer_timeout_s: float) -> None:
        self.peer_timeout_s = peer_timeout_s
        self._peers: dict[str, _Peer] = {}

    def heartbeat(self, node: str, boot_id: str, fault: str, now_ns: int,
                  in_process: bool = False) -> tuple[str, str] | None:
        """Record a beat (`in_process`: handed over in navigation's own process; its copy over DDS may come too);
        returns (node, what happened) when it is a restart or a newly reported fault."""
        previous = self._peers.get(node)
        in_process = in_process or (previous is not None and previous.boot_id == boot_id and previous.in_process)
        self._peers[node] = _Peer(boot_id, now_ns, fault, in_process)
        if previous is not None and previous.boot_id != boot_id:
            return node, f"{node} restarted"
        if fault and (previous is None or previous.fault != fault):
            return node, f"{node}: {fault}"
        return None

    def problem(self, mode: str, now_ns: int, since_ns: int = 0) -> str | None:
        """Why a run in `mode` cannot go on now (a silent or faulty node on its path), if it cannot. `since_ns`: the
        run's Start. Until then the nodes beat at the idle rate (heartbeat.HEARTBEAT_IDLE_S) and switch to the fast
        one when they hear the Start: a node that beat 0.9 s before the Start passed it and, a moment later, before
        its fast beat came, was "silent" (a loaded machine stopped runs so); its silence counts from the Start."""
        for name in DRIVING_PATH.get(mode, ()):
            peer = self._peers.get(name)
            if peer is None:
                continue
            quiet_s = (now_ns - max(peer.heard_ns, since_ns)) / _NS
            if quiet_s > self.peer_timeout_s and not peer.in_process:
                return f"{name} silent for {quiet_s:.1f} s (peer_timeout_s {self.peer_timeout_s})"
            if peer.fault:
                return f"{name}: {peer.fault}"
        return None

    @staticmethod
    def on_path(mode: str, node: str) -> bool:
        return node in DRIVING_PATH.get(mode, ())
