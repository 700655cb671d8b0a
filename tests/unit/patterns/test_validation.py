"""§1.1, §1.3 and §10: what is rejected, and how the error looks."""

from __future__ import annotations

import pytest

from owl.patterns import PatternError, compile_pattern

INVALID = [
    '"open',
    "{ $.a = 1",
    "[a, b",
    "%a(b%",
    "%a\\b%",
    "%[%",
    "%é%",
    "{ $.a = %1% || $.b = %2% || $.c = %3% }",
    "{ a = 1 }",
    "{ $.a[*].b[*] = 1 }",
    "{ $.a[*]=1 && $.b[*]=1 && $.c[*]=1 && $.d[*]=1 }",
    "{ $.a IS NOT NULL }",
    "{ $.a EXISTS }",
    "{ $.a IS EMPTY }",
    "{ $.a > x }",
    "{ $.a = }",
    "{ ($.a = 1 }",
    "{ $.a = 1 && }",
    "{ $.a = 1 || }",
    "[..., a, ...]",
    "[a = ]",
    "[a = 1 && b = 2, c]",
]


@pytest.mark.parametrize("pattern", INVALID)
def test_10_invalid_patterns_raise_with_position(pattern: str) -> None:
    with pytest.raises(PatternError) as err:
        compile_pattern(pattern)
    assert err.value.message.startswith("Invalid filter pattern")
    assert 0 <= err.value.position <= len(pattern)
    assert str(err.value.position) in str(err.value)


def test_1_1_length_limit() -> None:
    compile_pattern("a" * 1024)
    with pytest.raises(PatternError) as err:
        compile_pattern("a" * 1025)
    assert "length less than or equal to 1024" in err.value.message
    assert err.value.message.startswith("1 validation error detected")


def test_1_3_json_message_names_the_closing_brace() -> None:
    with pytest.raises(PatternError) as err:
        compile_pattern('{ $.eventType = "UpdateTrail" ')
    assert err.value.message.startswith("Invalid filter pattern")
    assert "'{'" in err.value.message and "'}'" in err.value.message
