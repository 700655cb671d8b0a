"""TokenSigner on arbitrary positions and arbitrary tampering (owl.domain.pagination)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from owl.domain.pagination import TokenSigner
from owl.errors import InvalidInputError

SIGNER = TokenSigner(b"property-test-key-0123456789abcd")
SCOPE = {"a": "123456789012", "r": "eu-west-1", "p": None}

# Positions are JSON: what orjson round-trips (64-bit ints, finite floats, str keys).
positions = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=15,
)
chars = st.characters(codec="utf-8")


def refuse(token: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        SIGNER.decode("describe_log_streams", SCOPE, token)
    assert exc.value.reason == "invalid_token"


@settings(max_examples=200, deadline=None)
@given(positions)
def test_round_trip_and_determinism(position: Any) -> None:
    token = SIGNER.encode("describe_log_streams", SCOPE, position)
    assert SIGNER.decode("describe_log_streams", SCOPE, token) == position
    assert SIGNER.encode("describe_log_streams", SCOPE, position) == token


@settings(max_examples=200, deadline=None)
@given(positions, st.data())
def test_flipped_character_is_refused(position: Any, data: st.DataObject) -> None:
    token = SIGNER.encode("describe_log_streams", SCOPE, position)
    i = data.draw(st.integers(0, len(token) - 1))
    c = data.draw(chars.filter(lambda c: c != token[i]))
    refuse(token[:i] + c + token[i + 1 :])


@settings(max_examples=100, deadline=None)
@given(positions, st.data())
def test_truncated_token_is_refused(position: Any, data: st.DataObject) -> None:
    token = SIGNER.encode("describe_log_streams", SCOPE, position)
    start = data.draw(st.integers(0, len(token) - 1))
    end = data.draw(st.integers(start, len(token)))
    if (start, end) != (0, len(token)):
        refuse(token[start:end])


@settings(max_examples=100, deadline=None)
@given(positions, st.text(min_size=1, max_size=6), st.booleans())
def test_appended_text_is_refused(position: Any, extra: str, front: bool) -> None:
    token = SIGNER.encode("describe_log_streams", SCOPE, position)
    refuse(extra + token if front else token + extra)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_is_refused(text: str) -> None:
    refuse(text)
