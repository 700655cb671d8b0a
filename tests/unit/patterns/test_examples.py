"""§11: the spec's illustrative message set and pattern table, verbatim."""

from __future__ import annotations

import pytest

from owl.patterns import PatternError, parse
from owl.patterns import match_messages as tmf

from .support import select

M = [
    "payment failed: card declined",
    "payment ok",
    "REFUND requested by ops",
    '{"evt":"charge","amount":120,"card":{"brand":"visa"},"flags":["vip","eu"],"note":null}',
    '{"evt":"refund","amount":-40,"flags":[],"ok":true}',
    '10.1.2.3 - ann [01/Jan/2024:10:00:00 +0000] "POST /pay HTTP/1.1" 502 77',
]

TABLE = [
    ("payment", [1, 2]),
    ("payment -failed", [2]),
    ("?REFUND ?declined", [1, 3]),
    ("?REFUND payment", [1, 2]),
    ('"card declined"', [1]),
    ("decl", [1]),
    ("%^payment o%", [2]),
    ("{ $.amount < 0 }", [5]),
    ('{ $.card.brand = "vi*" }', [4]),
    ('{ $.flags[*] = "eu" }', [4]),
    ('{ $.flags != "x" }', []),
    ("{ $.note IS NULL }", [4]),
    ("{ $.note NOT EXISTS }", [5]),
    ("{ $.ok IS TRUE || $.amount > 100 }", [4, 5]),
    ("[ip, id, user, ts, req, code >= 500, bytes]", [6]),
    ("[..., code = 5*, bytes]", [6]),
    ("[ip, rest]", [1, 2, 3, 6]),
]


@pytest.mark.parametrize(("pattern", "expected"), TABLE)
def test_11_pattern_table(pattern: str, expected: list[int]) -> None:
    assert [i + 1 for i in select(pattern, M)] == expected


def test_11_parentheses_in_regex_rejected() -> None:
    with pytest.raises(PatternError):
        parse("%^pay[a-z]+ (ok|failed)%")


def test_11_test_metric_filter_example() -> None:
    assert tmf("[..., code = 5*, bytes]", [M[1], M[5]]) == [
        (
            1,
            M[5],
            {
                "$1": "10.1.2.3",
                "$2": "-",
                "$3": "ann",
                "$4": "01/Jan/2024:10:00:00 +0000",
                "$5": "POST /pay HTTP/1.1",
                "$code": "502",
                "$bytes": "77",
            },
        )
    ]


def test_12_9_values_carry_no_trailing_comma() -> None:
    assert tmf("[..., size]", ["a b 1534"])[0][2]["$size"] == "1534"
