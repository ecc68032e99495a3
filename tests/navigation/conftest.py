"""Real action spaces for the navigation tests.

fixtures/*.json hold the `action_space` of real model_metadata.json files (their origin in `source`;
`index` keys dropped, as the car ignores them), read here by the same code the inference node uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from deepracer_common_pkg.action_space import ActionSpace
from inference_pkg.metadata import parse_metadata

FIXTURES = Path(__file__).parent / "fixtures"


def action_space_from_metadata(name: str) -> ActionSpace:
    path = FIXTURES / f"{name}.json"
    return parse_metadata(json.loads(path.read_text()), str(path)).action_space


@pytest.fixture
def real_space() -> Callable[[str], ActionSpace]:
    return action_space_from_metadata
