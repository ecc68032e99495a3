"""What a DeepRacer frozen graph looks like from outside: tensor names and input shapes per sensor (the
sensor names themselves are deepracer_common_pkg.vocabulary's).

Shared by the graph check, the pre-processing and the demo-network generator so they cannot disagree.
Names follow the trained graphs: inputs `main_level/agent/<scope>/online/network_0/<S>/<S>:0` (scope `main`
for clipped_ppo, `policy` for sac); the PPO policy comes from network_1 of scope main, the SAC policy from
network_0 of scope policy.
"""

from __future__ import annotations

from deepracer_common_pkg.vocabulary import STEREO_CAMERAS

ALGORITHMS = ("clipped_ppo", "sac")

IMAGE_HEIGHT = 120
IMAGE_WIDTH = 160

_SCOPE = {"clipped_ppo": "main", "sac": "policy"}
_OUTPUT = {
    "clipped_ppo": "main_level/agent/main/online/network_1/ppo_head_0/policy:0",
    "sac": "main_level/agent/policy/online/network_0/sac_policy_head_0/policy:0",
}


def input_name(algorithm: str, sensor: str) -> str:
    return f"main_level/agent/{_SCOPE[algorithm]}/online/network_0/{sensor}/{sensor}:0"


def output_name(algorithm: str) -> str:
    return _OUTPUT[algorithm]


def camera_channels(sensor: str) -> int:
    """Grey frames stacked along the last axis: two for the stereo pair, one otherwise."""
    return 2 if sensor == STEREO_CAMERAS else 1


def bare(name: str) -> str:
    """TensorFlow names carry an output index (`:0`); IR files may or may not keep it."""
    return name[:-2] if name.endswith(":0") else name
