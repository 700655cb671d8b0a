"""Input validation compiled once from botocore shapes, with the messages AWS's front end writes.

Two kinds of failure, as on AWS: a JSON value of the wrong type is a SerializationException
(raised at once); a value that breaks a model constraint (required, length, range, pattern,
enum) is collected, and all of them become one "N validation errors detected: …" message whose
error code the service chooses (InvalidParameterException for logs).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import cache
from typing import Any

import regex
from botocore.model import ListShape, MapShape, Shape, StructureShape

from owl.protocol.errors import AwsError, serialization
from owl.protocol.java import java_regex, java_repr
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


def _constraint(value: Any, path: str, rule: str) -> str:
    shown = "null" if value is None else f"'{java_repr(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {rule}"


def _token(value: Any) -> str:
    """The JSON token name the AWS front end quotes when a value has the wrong type."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    return "VALUE_NULL"


def _type_error(value: Any, expected: str) -> AwsError:
    """A SerializationException for `value` where `expected` belongs.

    `expected` is "structure", "list", "map" or a Java scalar with its article ("a String",
    "an Integer"). The texts are those measured on a Coral JSON 1.1 front end (Athena, 2026),
    plus "STRING_VALUE can not be converted to a Long" seen on Logs (aws-sdk-js-v3#4080).
    """
    if isinstance(value, list):
        return serialization("Start of list found where not expected")
    if isinstance(value, dict):
        return serialization("Start of structure or map found where not expected.")
    if expected == "structure":
        return serialization("Expected null")
    if expected in ("list", "map"):
        return serialization(f"Expected {expected} or null")
    return serialization(f"{_token(value)} can not be converted to {expected}")


@cache
def _pattern(pattern: str) -> regex.Pattern[str]:
    return regex.compile(java_regex(pattern))


def _at_least(lo: int) -> Callable[[int], bool]:
    return lambda n: n >= lo


def _at_most(hi: int) -> Callable[[int], bool]:
    return lambda n: n <= hi


def _length_checks(shape: Shape) -> list[tuple[Callable[[int], bool], str]]:
    meta = shape.metadata
    checks: list[tuple[Callable[[int], bool], str]] = []
    if "min" in meta:
        lo = int(meta["min"])
        if lo > 0:
            checks.append((_at_least(lo), f"Member must have length greater than or equal to {lo}"))
    if "max" in meta:
        hi = int(meta["max"])
        checks.append((_at_most(hi), f"Member must have length less than or equal to {hi}"))
    return checks


_NUMBERS = frozenset({"integer", "long", "double", "float"})
_SCALARS = _NUMBERS | {"string", "boolean", "blob", "timestamp"}


def _rules(shape: Shape) -> list[str]:
    """Every constraint of `shape`, as AWS lists them inside `… must satisfy constraint: [...]`.

    The list names all the constraints of the member shape, broken or not, in the order max,
    min, pattern, enum (captured: EventBridge `Map keys must satisfy constraint: [Member must
    have length less than or equal to 256, Member must have length greater than or equal to 1,
    Member must satisfy regular expression pattern: …]`; ACM and Lambda list members alike).
    """
    meta = shape.metadata
    unit = "value" if shape.type_name in _NUMBERS else "length"
    rules: list[str] = []
    if "max" in meta:
        rules.append(f"Member must have {unit} less than or equal to {meta['max']}")
    if "min" in meta:
        rules.append(f"Member must have {unit} greater than or equal to {meta['min']}")
    if "pattern" in meta:
        rules.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    enum = getattr(shape, "enum", None)
    if enum:
        rules.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
    return rules


def _collapsed(lead: str, shape: Shape) -> str | None:
    """The one rule a collection reports for its scalar members, or None for nested shapes.

    AWS does not give each element of a list of strings (or each key or value of a map) its
    own error: the collection gets one, e.g. `Value '[a, ]' at 'tagKeys' failed to satisfy
    constraint: Member must satisfy constraint: [Member must have length …]`. Elements that are
    structures are reported one by one under `<path>.<n>.member.<name>`.
    """
    if shape.type_name not in _SCALARS:
        return None
    return f"{lead}: [{', '.join(_rules(shape))}]"


def _null_element() -> AwsError:
    # A null inside a list or as a map value cannot be read into the model (Smithy lists and
    # maps are dense); AWS's exact text is unknown, so none is invented.
    return serialization()


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
                raise _type_error(value, "structure")
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
        collapsed = _collapsed("Member must satisfy constraint", shape.member)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, list):
                raise _type_error(value, "list")
            for ok, rule in lengths:
                if not ok(len(value)):
                    errors.append(_constraint(value, path, rule))
            broken = False
            for i, element in enumerate(value, 1):
                if element is None:
                    raise _null_element()
                if collapsed is None:
                    item(element, f"{path}.{i}.member", errors)
                else:
                    found: list[str] = []
                    item(element, path, found)
                    broken = broken or bool(found)
            if broken and collapsed is not None:
                errors.append(_constraint(value, path, collapsed))

        return check

    def _map(self, shape: MapShape) -> Check:
        key = self.compile(shape.key)
        val = self.compile(shape.value)
        lengths = _length_checks(shape)
        key_rule = f"Map keys must satisfy constraint: [{', '.join(_rules(shape.key))}]"
        value_rule = _collapsed("Map value must satisfy constraint", shape.value)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                raise _type_error(value, "map")
            for ok, rule in lengths:
                if not ok(len(value)):
                    errors.append(_constraint(value, path, rule))
            bad_key = bad_value = False
            for k, v in value.items():
                found: list[str] = []
                key(k, path, found)
                bad_key = bad_key or bool(found)
                if v is None:
                    raise _null_element()
                if value_rule is None:
                    val(v, f"{path}.{k}", errors)
                else:
                    found = []
                    val(v, path, found)
                    bad_value = bad_value or bool(found)
            if bad_key:
                errors.append(_constraint(value, path, key_rule))
            if bad_value and value_rule is not None:
                errors.append(_constraint(value, path, value_rule))

        return check

    def _string(self, shape: Shape) -> Check:
        lengths = _length_checks(shape)
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        enum = list(shape.enum) if getattr(shape, "enum", None) else None
        enum_rule = f"Member must satisfy enum value set: [{', '.join(enum or [])}]"

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, str):
                raise _type_error(value, "a String")
            # AWS reports the pattern before the length (captured on Logs: an empty
            # logGroupNamePrefix, fluent-plugin-cloudwatch-logs#223).
            if compiled is not None and compiled.fullmatch(value) is None:
                errors.append(
                    _constraint(
                        value, path, f"Member must satisfy regular expression pattern: {pattern}"
                    )
                )
            for ok, rule in lengths:
                if not ok(len(value)):
                    errors.append(_constraint(value, path, rule))
            if enum is not None and value not in enum:
                errors.append(_constraint(value, path, enum_rule))

        return check

    def _integer(self, shape: Shape) -> Check:
        meta = shape.metadata
        lo = meta.get("min")
        hi = meta.get("max")
        java = "a Long" if shape.type_name == "long" else "an Integer"

        def check(value: Any, path: str, errors: list[str]) -> None:
            # A fraction is refused, not truncated: handlers get a real int (a float `limit`
            # would reach SQL), and no Java Long holds more than 64 bits.
            if isinstance(value, bool) or not isinstance(value, int):
                raise _type_error(value, java)
            if not -(2**63) <= value < 2**63:
                raise _type_error(value, java)
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
        java = "a Float" if shape.type_name == "float" else "a Double"

        def check(value: Any, path: str, errors: list[str]) -> None:
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _type_error(value, java)

        return check

    def _boolean(self) -> Check:
        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, bool):
                raise _type_error(value, "a Boolean")

        return check

    def _blob(self, shape: Shape) -> Check:
        lengths = _length_checks(shape)

        def check(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, str):
                raise _type_error(value, "a ByteBuffer")
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
                raise _type_error(value, "a Date")

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
    if isinstance(params, list):
        raise serialization("Start of list found where not expected")
    if not isinstance(params, dict):
        raise serialization()
    errors: list[str] = []
    validator(service, operation)(params, "", errors)
    if errors:
        raise ValidationFailed(errors)


def validate_members(
    service: str, operation: str, params: dict[str, Any], members: list[str]
) -> None:
    """Validate only `members` of an operation's input (hot operations check the rest
    column-wise); raises like `validate`."""
    shape = operation_model(service, operation).input_shape
    assert shape is not None
    compiler = _compiler(service)
    errors: list[str] = []
    required = set(shape.required_members)
    for name in members:
        value = params.get(name)
        if value is None:
            if name in required:
                errors.append(_constraint(None, name, "Member must not be null"))
            continue
        compiler.compile(shape.members[name])(value, name, errors)
    if errors:
        raise ValidationFailed(errors)
