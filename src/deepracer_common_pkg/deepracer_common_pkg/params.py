"""Declare a node's parameters from its core's config dataclass, and refuse invalid changes.

The dataclass is the one place that names the parameters, their defaults and their validation
(`__post_init__` raising ValueError), so the node, the launcher and the tests cannot disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.node import Node

C = TypeVar("C")


def declare_config(node: Node, config_type: type[C], on_change: Callable[[C], None] | None = None,
                   refuse: Callable[[C], str] | None = None) -> C:
    """Declare every field of `config_type` as a parameter and return the validated config.

    An invalid value at start raises ValueError (the node does not start); an invalid change at run time
    is refused with the validation message. `refuse`, when given, is asked about each valid change at run time
    and refuses it with the reason it returns ("" = accept): what only a running node can judge (its state, or a
    value another node was checked against at start). When `on_change` is given it receives each accepted config.
    """
    defaults = config_type()
    names = [field.name for field in dataclasses.fields(config_type)]
    # Dynamic typing, checked below against each default's type, so `-p fps:=30` works for a float field.
    loose = ParameterDescriptor(dynamic_typing=True)
    for name in names:
        node.declare_parameter(name, getattr(defaults, name), loose)

    def build(values: dict[str, Any]) -> C:
        return config_type(**{name: _as_type_of(name, getattr(defaults, name), value)
                              for name, value in values.items()})

    config = build({name: node.get_parameter(name).value for name in names})

    def validate(changed: list[Any]) -> SetParametersResult:
        nonlocal config
        values = {name: getattr(config, name) for name in names}
        values.update({p.name: p.value for p in changed if p.name in values})
        try:
            candidate = build(values)
        except (TypeError, ValueError) as error:
            return SetParametersResult(successful=False, reason=str(error))
        reason = refuse(candidate) if refuse is not None else ""
        if reason:
            return SetParametersResult(successful=False, reason=reason)
        config = candidate
        if on_change is not None:
            on_change(candidate)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(validate)
    return config


def _as_type_of(name: str, default: Any, value: Any) -> Any:
    """The value in the default's type: whole numbers are accepted for floats; anything else must match."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    sequences = isinstance(default, (list, tuple)) and isinstance(value, (list, tuple))
    if type(value) is not type(default) and not sequences:
        raise ValueError(f"{name} must be a {type(default).__name__} (like {default!r}), got {value!r}")
    return value
