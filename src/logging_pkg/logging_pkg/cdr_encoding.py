"""The CDR bytes of an rclpy message, as rclpy's serialize_message makes them, written in Python from the message's
own field list: how the logger serialises the messages handed to it in-process (frames, policy results, commands,
writes, the original rl_results) before they go into a bag.

Why not serialize_message: it converts the whole message into C structures before it writes a byte. In a warm loop
here it took 35 us for a policy frame against 10 written here, 33 against 21 for an rl_results message, 75 against 40
for a frame's five messages together; in the running stack, its caches cold, 57 us a message on average (cProfile of
the logger's thread, issue 23). Written here, a message is a few struct packs and one copy of each array; a message
made only of numbers of one size (a time, a policy's class result) is one pack.

The format is plain CDR (little-endian, encapsulation CDR_LE), as ROS 2's Fast DDS middleware writes it: each
primitive aligned to its own size from the end of the 4-byte encapsulation header; a string is its length with the
terminating NUL, its bytes and the NUL; a sequence is its length then its elements; a fixed array only its elements.
(Source: OMG DDS-XTypes 1.3, 7.4.3 "Extended CDR representation (encoding version 1)", and the bytes rclpy makes,
which the tests compare to for every recorded type.) A field type it does not write (a wide string, a bounded string
or sequence, whose bound rclpy checks) makes `encoder_for` return None: the caller then uses serialize_message.
"""

from __future__ import annotations

import array
import importlib
import re
import struct
import sys
from collections.abc import Callable
from functools import cache
from operator import attrgetter
from typing import Any

ENCAPSULATION = b"\x00\x01\x00\x00"  # CDR_LE, options 0
_PAD = [b"\x00" * n for n in range(8)]
_LENGTH = struct.Struct("<I")  # a string's or a sequence's

# IDL primitive -> struct format (little-endian; its size is its alignment)
_PRIMITIVES = {
    "boolean": "?", "octet": "B", "char": "B", "uint8": "B", "int8": "b", "uint16": "H", "int16": "h",
    "uint32": "I", "int32": "i", "uint64": "Q", "int64": "q", "float": "f", "double": "d",
}
_SEQUENCE = re.compile(r"sequence<([^,>]+)>")
_ARRAY = re.compile(r"(.+)\[(\d+)\]")

Writer = Callable[[bytearray, Any], None]


class Unsupported(Exception):
    """A field type this encoder does not write."""


def encoder_for(message_class: type) -> Callable[[Any], bytes] | None:
    """A function message -> CDR bytes for messages of `message_class`, or None when a field's type is not one this
    module writes (the caller then serialises with rclpy)."""
    try:
        if sys.byteorder != "little":  # arrays are copied as the host holds them
            raise Unsupported("a big-endian host")
        write = _message_writer(message_class)
        # A type of fixed size (no string, no sequence) is padded to whole 4-byte words, as Fast DDS sends it.
        end = 4 if _fixed_size(message_class) else 1
    except Unsupported:
        return None

    def encode(message: Any) -> bytes:
        buffer = bytearray(ENCAPSULATION)
        write(buffer, message)
        _align(buffer, end)
        return bytes(buffer)

    return encode


def _fixed_size(message_class: type) -> bool:
    """No string and no sequence anywhere in it."""
    for type_name in message_class.get_fields_and_field_types().values():
        fixed = _ARRAY.fullmatch(type_name)
        element = fixed.group(1) if fixed else type_name
        if element in _PRIMITIVES:
            continue
        if element.startswith(("string", "sequence<")) or not _fixed_size(_message_class(element)):
            return False
    return True


def _align(buffer: bytearray, size: int) -> None:
    """Pad to a multiple of `size` counted from the end of the encapsulation header."""
    buffer += _PAD[-(len(buffer) - 4) % size]


@cache
def _message_writer(message_class: type) -> Writer:
    packed = _packed_fields(message_class)
    if packed is not None:  # one struct for the whole message
        packer, alignment, get = packed

        def write_packed(buffer: bytearray, message: Any) -> None:
            buffer += _PAD[-(len(buffer) - 4) % alignment]  # as _align does: a call less, many times a message
            buffer += packer.pack(*get(message))

        return write_packed
    fields = [(attrgetter(_stored(message_class, name)), _field_writer(type_name))
              for name, type_name in message_class.get_fields_and_field_types().items()]

    def write(buffer: bytearray, message: Any) -> None:
        for get, write_field in fields:
            write_field(buffer, get(message))

    return write


def _stored(message_class: type, name: str) -> str:
    """Where a message keeps field `name`: the slot `_name` behind its property in rosidl's generated classes, read
    without a Python call (the property's getter is one, run for every field of every message the logger writes:
    a hundred a frame); the field itself for a class laid out otherwise."""
    slot = f"_{name}"
    return slot if slot in getattr(message_class, "__slots__", ()) else name


def _packed_fields(message_class: type) -> tuple[struct.Struct, int, Callable[[Any], tuple]] | None:
    """A struct, its alignment and a getter for a message whose every field, nested ones included, is a primitive
    number of one size (a time, a policy's class result): CDR puts no padding between them, so one pack writes it."""
    paths, codes = _primitive_paths(message_class, "")
    if not paths or len({struct.calcsize(code) for code in codes}) != 1:
        return None
    get = attrgetter(*paths)
    return (struct.Struct("<" + "".join(codes)), struct.calcsize(codes[0]),
            get if len(paths) > 1 else lambda message: (get(message),))


def _primitive_paths(message_class: type, prefix: str) -> tuple[list[str], list[str]]:
    """The dotted paths and struct codes of a message's primitive number fields, or ([], []) when it has another
    kind of field (a string, a sequence, an array, an octet or char: those are not ints in rclpy)."""
    paths, codes = [], []
    for name, type_name in message_class.get_fields_and_field_types().items():
        stored = _stored(message_class, name)
        if type_name in _PRIMITIVES and type_name not in ("octet", "char"):
            paths.append(prefix + stored)
            codes.append(_PRIMITIVES[type_name])
        elif "/" in type_name and not type_name.startswith("sequence<"):
            try:
                nested_paths, nested_codes = _primitive_paths(_message_class(type_name), f"{prefix}{stored}.")
            except Unsupported:
                return [], []
            if not nested_paths:
                return [], []
            paths += nested_paths
            codes += nested_codes
        else:
            return [], []
    return paths, codes


def _field_writer(type_name: str) -> Writer:
    if type_name in _PRIMITIVES:
        return _scalar_writer(_PRIMITIVES[type_name])
    if type_name == "string":
        return _write_string
    sequence = _SEQUENCE.fullmatch(type_name)
    if sequence:
        return _sequence_writer(sequence.group(1))
    fixed = _ARRAY.fullmatch(type_name)
    if fixed:
        return _array_writer(fixed.group(1), int(fixed.group(2)))
    if "/" in type_name:
        return _message_writer(_message_class(type_name))
    raise Unsupported(type_name)


def _message_class(type_name: str) -> type:
    package, name = type_name.split("/")
    try:
        return getattr(importlib.import_module(f"{package}.msg"), name)
    except (ImportError, AttributeError):
        raise Unsupported(type_name) from None


def _scalar_writer(code: str) -> Writer:
    packer = struct.Struct("<" + code)
    size = packer.size
    if code == "B":
        def write_byte(buffer: bytearray, value: Any) -> None:
            buffer.append(_byte(value))
        return write_byte

    def write(buffer: bytearray, value: Any) -> None:
        buffer += _PAD[-(len(buffer) - 4) % size]
        buffer += packer.pack(value)

    return write


def _byte(value: int | bytes | str) -> int:
    """A uint8 is an int in rclpy, an octet bytes of length 1, a char a str of length 1."""
    return value if isinstance(value, int) else ord(value)


def _kind(code: str) -> str:
    """'u', 'i' or 'f' (numpy's dtype.kind letters; 'b' for boolean) of a struct or array.array type code."""
    return "b" if code == "?" else "f" if code in "fd" else "u" if code.isupper() else "i"


def _same_layout(values: Any, kind: str, size: int) -> bool:
    """Whether an array.array or numpy array holds exactly the elements' CDR layout (little-endian host); `kind`:
    the elements' `_kind`."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None:
        return dtype.kind == kind and dtype.itemsize == size and dtype.byteorder in "=|<"
    typecode = getattr(values, "typecode", None)
    return typecode is not None and _kind(typecode) == kind and values.itemsize == size


def _write_string(buffer: bytearray, value: str) -> None:
    data = value.encode()
    buffer += _PAD[-(len(buffer) - 4) % 4]
    buffer += _LENGTH.pack(len(data) + 1)
    buffer += data
    buffer.append(0)


def _sequence_writer(element: str) -> Writer:
    elements = _elements_writer(element)

    def write(buffer: bytearray, values: Any) -> None:
        buffer += _PAD[-(len(buffer) - 4) % 4]
        buffer += _LENGTH.pack(len(values))
        if len(values):
            elements(buffer, values)

    return write


def _array_writer(element: str, length: int) -> Writer:
    elements = _elements_writer(element)

    def write(buffer: bytearray, values: Any) -> None:
        if len(values) != length:
            raise ValueError(f"an array of {length} holds {len(values)}")
        elements(buffer, values)

    return write


def _elements_writer(element: str) -> Writer:
    """The elements of a sequence or array, without its length."""
    if element in _PRIMITIVES:
        code = _PRIMITIVES[element]
        size = struct.calcsize(code)
        kind = _kind(code)

        def write_primitives(buffer: bytearray, values: Any) -> None:
            buffer += _PAD[-(len(buffer) - 4) % size]
            if isinstance(values, (bytes, bytearray)):
                buffer += values
            elif _same_layout(values, kind, size):
                # its bytes as they are (numpy's + would add numbers: its bytes are asked for)
                buffer += values if isinstance(values, array.array) else values.tobytes()
            elif code == "B":
                buffer += bytes(_byte(value) for value in values)
            else:
                buffer += struct.pack(f"<{len(values)}{code}", *values)
        return write_primitives
    single = _field_writer(element)

    def write_each(buffer: bytearray, values: Any) -> None:
        for value in values:
            single(buffer, value)

    return write_each
