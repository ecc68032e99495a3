"""Declare a node's parameters from its core's config dataclass, and refuse invalid changes.

The dataclass is the one place that names the parameters, their defaults and their validation
(`__post_init__` raising ValueError), so the node, the launcher and the tests cannot disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node

C = TypeVar("C")


def declare_config(node: Node, config_type: type[C], on_change: Callable[[C], None] | None = None) -> C:
    """Declare every field of `config_type` as a parameter and return the validated config.

    An invalid value at start raises ValueError (the node does not start); an invalid change at run time
    is refused with the validation message. When `on_change` is given it receives each accepted config.
    """
    defaults = config_type()
    names = [field.name for field in dataclasses.fields(config_type)]
    for name in names:
        node.declare_parameter(name, getattr(defaults, name))
    config = config_type(**{name: node.get_parameter(name).value for name in names})

    def validate(changed: list[Any]) -> SetParametersResult:
        nonlocal config
        values = {name: getattr(config, name) for name in names}
        values.update({p.name: p.value for p in changed if p.name in values})
        try:
            candidate = config_type(**values)
        except (TypeError, ValueError) as error:
            return SetParametersResult(successful=False, reason=str(error))
        config = candidate
        if on_change is not None:
            on_change(candidate)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(validate)
    return config
