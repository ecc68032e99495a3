"""Real action spaces for the navigation tests.

fixtures/*.json hold the `action_space` of real model_metadata.json files (their origin in `source`;
`index` keys dropped, as the car ignores them), turned here into the ActionSpaceSpec the inference node
would publish for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from navigation_pkg.action_mapping import ActionSpaceSpec

FIXTURES = Path(__file__).parent / "fixtures"


def action_space_from_metadata(name: str) -> ActionSpaceSpec:
    metadata = json.loads((FIXTURES / f"{name}.json").read_text())
    space = metadata["action_space"]
    if isinstance(space, list):
        return ActionSpaceSpec(type=metadata["action_space_type"],
                               steering_angle=tuple(a["steering_angle"] for a in space),
                               speed=tuple(a["speed"] for a in space))
    return ActionSpaceSpec(type=metadata["action_space_type"],
                           steering_low=space["steering_angle"]["low"],
                           steering_high=space["steering_angle"]["high"],
                           speed_low=space["speed"]["low"], speed_high=space["speed"]["high"])


@pytest.fixture
def real_space() -> Callable[[str], ActionSpaceSpec]:
    return action_space_from_metadata
