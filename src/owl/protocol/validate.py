"""Input validation compiled once from botocore shapes, with the messages AWS's front end writes.

Two kinds of failure, as on AWS: a JSON value of the wrong type is a SerializationException
(raised at once); a value that breaks a model constraint (required, length, range, pattern,
enum) is collected, and all of them become one "N validation errors detected: …" message whose
error code the service chooses (InvalidParameterException for logs).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from functools import cache
from typing import Any

import regex
from botocore.model import ListShape, MapShape, Shape, StructureShape

from owl.protocol.errors import AwsError, serialization
from owl.protocol.model import operation_model

Check = Callable[[Any, str, list[str]], None]


class ValidationFailed(Exception):
    """Model constraints broken; `messages` are the per-member phrases in member order."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages

    def summary(self) -> str:
        n = len(self.messages)
        noun = "error" if n == 1 else "errors"
        return f"{n} validation {noun} detected: " + "; ".join(self.messages)


def java_repr(value: Any) -> str:
    """How the AWS front end prints a value inside its messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(java_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_repr(v)}" for k, v in value.items()) + "}"
    return str(value)


def _constraint(value: Any, path: str, rule: str) -> str:
    shown = "null" if value is None else f"'{java_repr(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {rule}"


def _type_error(value: Any, expected: str) -> AwsError:
    kind = {
        bool: "BOOLEAN_VALUE",
        int: "NUMBER_VALUE",
        float: "NUMBER_VALUE",
        str: "STRING_VALUE",
        list: "START_ARRAY",
        dict: "START_OBJECT",
    }.get(type(value), "VALUE")
    return serialization(f"{kind} can not be converted to {expected}")


@cache
def _pattern(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def _length_checks(shape: Shape) -> list[tuple[Callable[[int], bool], str]]:
    meta = shape.metadata
    checks: list[tuple[Callable[[int], bool], str]] = []
    if "min" in meta:
        lo = int(meta["min"])
        if lo > 0:
            checks.append(
                (lambda n, lo=lo: n >= lo, f"Member must have length greater than or equal to {lo}")
            )
    if "max" in meta:
        hi = int(meta["max"])
        checks.append(
            (lambda n, hi=hi: n <= hi, f"Member must have length less than or equal to {hi}")
        )
    return checks


class _Compiler:
    """Turns shapes into check functions, once per shape name (shapes may be recursive)."""

    def __init__(self) -> None:
        self._done: dict[str, Check] = {}

    def compile(self, shape: Shape) -> Check:
        name = shape.name
        if name in self._done:
            return self._done[name]
        cell: list[Check] = []
        # Placeholder first, so a recursive reference finds the finished function later.
        self._done[name] = lambda v, p, e: cell[0](v, p, e)
        check = self._build(shape)
        cell.append(check)
        self._done[name] = check
        return check

    def _build(self, shape: Shape) -> Check:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self._list(shape)
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map(shape)
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long"):
            return self._integer(shape)
        if kind in ("double", "float"):
            return self._double(shape)
        if kind == "boolean":
            return self._boolean()
        if kind == "blob":
            return self._blob(shape)
        if kind == "timestamp":
            return self._timestamp()
        return lambda v, p, e: None

    def _structure(self, shape: StructureShape) -> Check:
        members = [(n, self.compile(s)) for n, s in shape.members.items()]
        required = list(shape.required_members)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                raise _type_error(value, "a structure")
            prefix = f"{path}." if path else ""
            for name in required:
                if value.get(name) is None:
                    errors.append(_constraint(None, prefix + name, "Member must not be null"))
            for name, member_check in members:
                member = value.get(name)
                if member is not None:
                    member_check(member, prefix + name, errors)

        return check

    def _list(self, shape: ListShape) -> Check:
        item = self.compile(shape.member)
        lengths = _length_checks(shape)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, list):
                raise _type_error(value, "a list")
            for ok, rule in lengths:
                if not ok(len(value)):
                    errors.append(_constraint(value, path, rule))
            for i, element in enumerate(value, 1):
                if element is None:
                    continue
                item(element, f"{path}.{i}.member", errors)

        return check

    def _map(self, shape: MapShape) -> Check:
        key = self.compile(shape.key)
        val = self.compile(shape.value)
        lengths = _length_checks(shape)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                raise _type_error(value, "a map")
            for ok, rule in lengths:
                if not ok(len(value)):
                    errors.append(_constraint(value, path, rule))
            for k, v in value.items():
                key(k, f"{path}.key", errors)
                if v is not None:
                    val(v, f"{path}.{k}", errors)

        return check

    def _string(self, shape: Shape) -> Check:
        lengths = _length_checks(shape)
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        enum = list(shape.enum) if getattr(shape, "enum", None) else None
        enum_rule = f"Member must satisfy enum value set: [{', '.join(enum or [])}]"

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, str):
                raise _type_error(value, "String")
            for ok, rule in lengths:
                if not ok(len(value)):
                    errors.append(_constraint(value, path, rule))
            if compiled is not None and compiled.fullmatch(value) is None:
                errors.append(
                    _constraint(
                        value, path, f"Member must satisfy regular expression pattern: {pattern}"
                    )
                )
            if enum is not None and value not in enum:
                errors.append(_constraint(value, path, enum_rule))

        return check

    def _integer(self, shape: Shape) -> Check:
        meta = shape.metadata
        lo = meta.get("min")
        hi = meta.get("max")

        def check(value: Any, path: str, errors: list[str]) -> None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(value, "Integer")
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise _type_error(value, "Integer")
                value = int(value)
            if lo is not None and value < lo:
                errors.append(
                    _constraint(
                        value, path, f"Member must have value greater than or equal to {lo}"
                    )
                )
            if hi is not None and value > hi:
                errors.append(
                    _constraint(value, path, f"Member must have value less than or equal to {hi}")
                )

        return check

    def _double(self, shape: Shape) -> Check:
        def check(value: Any, path: str, errors: list[str]) -> None:
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(value, "Double")

        return check

    def _boolean(self) -> Check:
        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, bool):
                raise _type_error(value, "Boolean")

        return check

    def _blob(self, shape: Shape) -> Check:
        lengths = _length_checks(shape)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, str):
                raise _type_error(value, "Blob")
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise serialization(f"Invalid base64 in '{path}'") from None
            for ok, rule in lengths:
                if not ok(len(raw)):
                    errors.append(_constraint("**blob**", path, rule))

        return check

    def _timestamp(self) -> Check:
        def check(value: Any, path: str, errors: list[str]) -> None:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise _type_error(value, "Timestamp")

        return check


@cache
def _compiler(service: str) -> _Compiler:
    return _Compiler()


@cache
def validator(service: str, operation: str) -> Check:
    """The compiled input check of one operation."""
    shape = operation_model(service, operation).input_shape
    if shape is None:
        return lambda v, p, e: None
    return _compiler(service).compile(shape)


def validate(service: str, operation: str, params: Any) -> None:
    """Raise AwsError(SerializationException) or ValidationFailed when params break the model."""
    if not isinstance(params, dict):
        raise serialization("Start of structure or map found where not expected.")
    errors: list[str] = []
    validator(service, operation)(params, "", errors)
    if errors:
        raise ValidationFailed(errors)
