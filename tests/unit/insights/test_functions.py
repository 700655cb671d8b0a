"""§6.5 and §8: the function registry — every name, its arity, and argument kinds."""

from __future__ import annotations

import pytest

from owl.insights import FUNCTIONS, lookup, parse
from owl.insights.ast import Aggregate, Call, FieldsCommand
from tests.unit.insights.support import pointed, rejected, round_trip

SCALARS = {
    # §8.1
    "ispresent": (1, 1),
    "coalesce": (1, None),
    "jsonParse": (1, 1),
    "jsonStringify": (1, 1),
    # §8.2
    "isempty": (1, 1),
    "isblank": (1, 1),
    "concat": (1, None),
    "ltrim": (1, 2),
    "rtrim": (1, 2),
    "trim": (1, 2),
    "strlen": (1, 1),
    "toupper": (1, 1),
    "tolower": (1, 1),
    "substr": (2, 3),
    "replace": (3, 3),
    "strcontains": (2, 2),
    # §8.3
    "bin": (1, 1),
    "datefloor": (2, 2),
    "dateceil": (2, 2),
    "fromMillis": (1, 1),
    "toMillis": (1, 1),
    "now": (0, 0),
    # §8.4
    "abs": (1, 1),
    "ceil": (1, 1),
    "floor": (1, 1),
    "sqrt": (1, 1),
    "log": (1, 1),
    "greatest": (1, None),
    "least": (1, None),
    # §8.5
    "isValidIp": (1, 1),
    "isValidIpV4": (1, 1),
    "isValidIpV6": (1, 1),
    "isIpInSubnet": (2, 2),
    "isIpv4InSubnet": (2, 2),
    "isIpv6InSubnet": (2, 2),
}
AGGREGATES = {
    "count": (0, 1),
    "count_distinct": (1, 1),
    "sum": (1, 1),
    "avg": (1, 1),
    "min": (1, 1),
    "max": (1, 1),
    "pct": (2, 2),
    "stddev": (1, 1),
    "earliest": (1, 1),
    "latest": (1, 1),
    "sortsFirst": (1, 1),
    "sortsLast": (1, 1),
}
PERIOD_ARGS = {"bin": 0, "datefloor": 1, "dateceil": 1}


def args(name: str, n: int) -> str:
    """`n` arguments that fit `name` (time periods where it needs them, pct's percentage)."""
    values = ["a", "b", "c", "d"][:n]
    if name in PERIOD_ARGS and n > PERIOD_ARGS[name]:
        values[PERIOD_ARGS[name]] = "5m"
    if name == "pct" and n == 2:
        values[1] = "50"
    return ", ".join(values)


def test_8_registry_is_exactly_the_spec_tables() -> None:
    table = {f.name: (f.min_args, f.max_args) for f in FUNCTIONS.values()}
    assert table == SCALARS | AGGREGATES
    assert {f.name for f in FUNCTIONS.values() if f.aggregate} == set(AGGREGATES)


@pytest.mark.parametrize("name", sorted(SCALARS))
def test_8_scalar_functions_parse_at_every_allowed_arity(name: str) -> None:
    low, high = SCALARS[name]
    for n in range(low, (high if high is not None else low + 3) + 1):
        command = round_trip(f"fields {name}({args(name, n)}) as x").commands[0]
        assert isinstance(command, FieldsCommand)
        assert isinstance(command.items[0].expr, Call)


@pytest.mark.parametrize("name", sorted(SCALARS))
def test_8_wrong_argument_count_is_rejected_at_the_call(name: str) -> None:
    low, high = SCALARS[name]
    counts = [n for n in (low - 1, (high or 0) + 1) if n >= 0 and (high is not None or n < low)]
    for n in counts:
        call = f"{name}({args(name, n)})"
        err = rejected(f"fields {call} as x")
        assert (err.start, err.end) == (7, 7 + len(call))
        assert "takes" in err.message


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_6_5_aggregate_arity(name: str) -> None:
    low, high = AGGREGATES[name]
    for n in range(low, high + 1):
        stats = parse(f"stats {name}({args(name, n)})").commands[0]
        assert isinstance(stats.items[0].expr, Aggregate)  # type: ignore[union-attr]
    call = f"{name}({args(name, high + 1)})"
    assert pointed(f"stats {call}") == call


def test_8_unknown_function_points_at_its_name() -> None:
    err = rejected("fields frobnicate(a) as x")
    assert (err.start, err.end) == (7, 17)
    assert "not a known function" in err.message


@pytest.mark.parametrize("name", ["round", "toNumber", "regexReplace", "jsonArrayContains"])
def test_8_6_newer_functions_are_rejected_as_unsupported(name: str) -> None:
    err = rejected(f"fields {name}(a) as x")
    assert "not supported" in err.message
    assert (err.start, err.end) == (7, 7 + len(name))


def test_8_function_names_ignore_case_and_keep_their_spelling() -> None:
    command = parse("fields TOUPPER(a) as u, JsonParse(b) as j").commands[0]
    assert isinstance(command, FieldsCommand)
    assert [i.expr.name for i in command.items] == ["TOUPPER", "JsonParse"]  # type: ignore[union-attr]
    assert lookup("JSONPARSE") is FUNCTIONS["jsonparse"]
    assert lookup("nope") is None


def test_8_3_period_arguments() -> None:
    assert pointed("stats count(*) by bin(a)") == "a"
    assert pointed("fields datefloor(@timestamp, 5) as t") == "5"
    round_trip("fields dateceil(@timestamp, 1mo) as t, datefloor(@timestamp, 2qtrs) as u")


def test_6_5_6_pct_needs_a_percentage_literal() -> None:
    assert pointed("stats pct(a, 101)") == "101"
    assert pointed("stats pct(a, b)") == "b"
    assert pointed("stats pct(a, -5)") == "-5"
    round_trip("stats pct(a, 0), pct(a, 100)")


def test_6_5_1_star_belongs_to_count_only() -> None:
    assert pointed("stats sum(*)") == "*"
    assert pointed("stats count(*, a)") == "count(*, a)"
    assert pointed("fields concat(*) as x") == "*"
