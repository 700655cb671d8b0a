"""validate() on arbitrary JSON: it refuses with the two AWS shapes only, and accepts the model.

Two properties over a few operations' inputs (CreateLogGroup, DescribeLogStreams, PutLogEvents,
TagResource):

- any JSON value in place of any member (top level, inside a log event, as a tag key or value)
  gives ValidationFailed or a SerializationException, never another exception;
- a value drawn inside the model's constraints (lengths, ranges, patterns, enums) is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from owl.protocol.errors import AwsError
from owl.protocol.java import java_hash, java_regex, java_repr
from owl.protocol.model import operation_model
from owl.protocol.validate import ValidationFailed, validate

OPERATIONS = ("CreateLogGroup", "DescribeLogStreams", "PutLogEvents", "TagResource")

VALID: dict[str, dict[str, Any]] = {
    "CreateLogGroup": {"logGroupName": "/app/web", "tags": {"team": "a"}},
    "DescribeLogStreams": {"logGroupName": "/app/web", "limit": 5, "orderBy": "LogStreamName"},
    "PutLogEvents": {
        "logGroupName": "/app/web",
        "logStreamName": "i-1",
        "logEvents": [{"timestamp": 1, "message": "a"}, {"timestamp": 2, "message": "b"}],
    },
    "TagResource": {
        "resourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web",
        "tags": {"team": "a", "env": "prod"},
    },
}

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "a" * 513, "bad name", "a:b*", "STANDARD", "LastEventTime", "NaN"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def check_refusal(operation: str, params: Any) -> None:
    """validate() either passes or refuses in one of the two AWS shapes."""
    try:
        validate("logs", operation, params)
    except ValidationFailed as failed:
        assert failed.messages
        summary = failed.summary()
        n = len(failed.messages)
        assert summary.startswith(f"{n} validation error{'s' if n > 1 else ''} detected: Value ")
        assert all(m.startswith("Value ") for m in failed.messages)
        assert all(
            "' failed to satisfy constraint: Member must " in m
            or "' failed to satisfy constraint: Map " in m
            for m in failed.messages
        )
    except AwsError as error:
        assert error.code == "SerializationException"
        assert error.status == 400


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid input of one operation with one spot replaced by an arbitrary JSON value."""
    operation = draw(st.sampled_from(OPERATIONS))
    params: dict[str, Any] = {
        k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
        for k, v in VALID[operation].items()
    }
    members = list(operation_model("logs", operation).input_shape.members)
    spot = draw(st.sampled_from(["member", "member", "event", "tag key", "tag value", "body"]))
    value = draw(json_values)
    if spot == "event" and operation == "PutLogEvents":
        event = dict(params["logEvents"][0])
        event[draw(st.sampled_from(["timestamp", "message", "other"]))] = value
        params["logEvents"] = [event, *params["logEvents"][1:]]
    elif spot == "tag key" and "tags" in params:
        params["tags"] = {**params["tags"], draw(st.text(max_size=140)): "v"}
    elif spot == "tag value" and "tags" in params:
        params["tags"] = {**params["tags"], "k": value}
    elif spot == "body":
        return operation, value
    else:
        params[draw(st.sampled_from(members))] = value
    return operation, params


@PROFILE
@given(mutated())
def test_any_json_value_is_refused_cleanly(case: tuple[str, Any]) -> None:
    check_refusal(*case)


@PROFILE
@given(st.sampled_from(OPERATIONS), st.dictionaries(st.text(max_size=25), json_values, max_size=6))
def test_any_json_object_is_refused_cleanly(operation: str, params: dict[str, Any]) -> None:
    check_refusal(operation, params)


@PROFILE
@given(
    st.sampled_from(OPERATIONS),
    st.dictionaries(
        st.sampled_from(
            ["logGroupName", "logStreamName", "logEvents", "tags", "limit", "orderBy",
             "descending", "nextToken", "logGroupClass", "resourceArn", "entity"]
        ),
        json_values,
        max_size=5,
    ),
)  # fmt: skip
def test_known_members_with_any_values(operation: str, params: dict[str, Any]) -> None:
    check_refusal(operation, params)


# -- inside the model: values that respect every constraint are accepted ---------------------

SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _string(shape: Shape) -> st.SearchStrategy[str]:
    meta = shape.metadata
    enum = getattr(shape, "enum", None)
    if enum:
        return st.sampled_from(list(enum))
    lo = int(meta.get("min", 0))
    hi = min(int(meta.get("max", lo + 40)), lo + 40)
    pattern = meta.get("pattern")
    if pattern is None:
        return st.text(min_size=lo, max_size=hi)
    try:
        # Java semantics (\w is ASCII there), which Python's re can then generate from.
        compiled = re.compile(java_regex(pattern))
    except re.error:
        # \p{…} classes (tags): Python's re lacks them; letters and digits match them all.
        return st.text(alphabet=SAFE, min_size=max(lo, 1), max_size=hi)
    return st.from_regex(compiled, fullmatch=True).filter(lambda s: lo <= len(s) <= hi)


def valid_value(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of `shape` inside its model constraints (small collections, for speed)."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        required = set(shape.required_members)
        fields = {n: valid_value(s, depth + 1) for n, s in shape.members.items() if n in required}
        optional = {
            n: valid_value(s, depth + 1)
            for n, s in shape.members.items()
            if n not in required and depth < 2
        }
        return st.fixed_dictionaries(fields, optional=optional)
    if kind == "list":
        assert isinstance(shape, ListShape)
        lo = int(meta.get("min", 0))
        return st.lists(valid_value(shape.member, depth + 1), min_size=lo, max_size=lo + 2)
    if kind == "map":
        assert isinstance(shape, MapShape)
        lo = int(meta.get("min", 0))
        hi = min(int(meta.get("max", lo + 2)), lo + 2)
        return st.dictionaries(
            _string(shape.key), valid_value(shape.value, depth + 1), min_size=lo, max_size=hi
        )
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return st.integers(
            min_value=int(meta.get("min", -(2**63))), max_value=int(meta.get("max", 2**63 - 1))
        )
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    raise AssertionError(f"no strategy for {shape.name} ({kind})")


@PROFILE
@given(st.data())
def test_values_inside_the_model_are_accepted(data: st.DataObject) -> None:
    operation = data.draw(st.sampled_from(OPERATIONS))
    params = data.draw(valid_value(operation_model("logs", operation).input_shape))
    validate("logs", operation, params)


# -- java_repr ---------------------------------------------------------------------------------


@PROFILE
@given(json_values)
def test_java_repr_prints_anything(value: Any) -> None:
    assert isinstance(java_repr(value), str)


@PROFILE
@given(st.dictionaries(st.text(max_size=6), st.text(max_size=3), max_size=60))
def test_java_repr_keeps_every_map_entry_once(value: dict[str, str]) -> None:
    shown = java_repr(value)
    assert shown.startswith("{") and shown.endswith("}")
    if value and not any(c in k + v for k, v in value.items() for c in "=,{}"):
        parts = shown[1:-1].split(", ")
        assert sorted(parts) == sorted(f"{k}={v}" for k, v in value.items())


@given(st.text(max_size=20))
def test_java_hash_is_a_32_bit_polynomial(text: str) -> None:
    h = java_hash(text)
    assert 0 <= h < 2**32
    assert java_hash(text + "a") == (31 * h + 97) % 2**32
