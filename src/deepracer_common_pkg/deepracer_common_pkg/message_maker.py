"""ROS messages made on the frame path without the work of rosidl's generated constructors.

Why: a generated constructor makes a default for every field before the caller's value replaces it (the default of a
header, a Header with its Time, is made even when a header is given) and then stores each value through a property
setter. On the car's frame path, run cold after every inference, that was about 0.3 ms of CPU a frame on the capture
thread alone (timed per constructor in the running stack, 2026-12-07: an InferenceResult 107 µs, a CameraFrames 87,
its Image 71, a DriveCommand 36, each Time 12), beside the 6 ms that decoding and inference take (issue 23).

A maker stores the caller's values straight into the message's slots, where the generated setters put them when
field checks are off (rosidl_generator_py: each field `f` lives in the slot `_f`; `_check_fields` holds whether the
setters check). The message is then the one the constructor would have made: equal to it, and serialised to the same
bytes (tests/common/test_message_maker.py). Where a class is not laid out so, or a developer turned field checks on
(ROS_PYTHON_CHECK_FIELDS=1), the maker calls the constructor instead.
"""

from __future__ import annotations

import keyword
import os
from collections.abc import Callable
from typing import Any, TypeVar

M = TypeVar("M")

CHECK_FIELDS_VARIABLE = "ROS_PYTHON_CHECK_FIELDS"


def maker(cls: type[M], *fields: str) -> Callable[..., M]:
    """A function making a `cls` from every one of its fields, given positionally in the order of `fields`.

    Each value must be what the generated setter would store: a message for a message field, a list of messages
    for a sequence of them, an `array.array` of the field's type code for a sequence of numbers, and an int, float,
    bool or str for the rest; nothing is converted or checked, so a caller passes no other kinds.
    """
    declared = set(cls.get_fields_and_field_types())  # type: ignore[attr-defined]
    if set(fields) != declared or len(fields) != len(declared):
        raise ValueError(f"a maker of {cls.__name__} takes each of its fields once: {', '.join(sorted(declared))}")
    if not all(field.isidentifier() and not keyword.iskeyword(field) and field[0].isalpha() for field in fields):
        raise ValueError(f"{cls.__name__}: field names must be identifiers: {fields}")
    slots = set(getattr(cls, "__slots__", ()))
    if os.environ.get(CHECK_FIELDS_VARIABLE) == "1" or not all(f"_{field}" in slots for field in fields):
        return lambda *values: cls(**dict(zip(fields, values, strict=True)))
    # Written out as a function per class, as dataclasses and namedtuple do: an assignment to a slot is the
    # interpreter's fastest store, where a loop over the slots' descriptors took four times as long.
    arguments = ", ".join(fields)
    # The function's own names begin with "_", which a ROS field name cannot (it begins with a letter).
    lines = [f"def make({arguments}):", "    _message = _new(_cls)"]
    lines += [f"    _message._{field} = {field}" for field in fields]
    if "_check_fields" in slots:
        lines.append("    _message._check_fields = False")
    lines.append("    return _message")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    exec("\n".join(lines), namespace)  # field names checked above: identifiers of the type itself
    return namespace["make"]
