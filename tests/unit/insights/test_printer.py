"""Printing: text that parses back to the same tree, with only the parentheses it needs."""

from __future__ import annotations

import pytest

from owl.insights import parse, to_text
from owl.insights.ast import (
    And,
    Arithmetic,
    Comparison,
    FieldRef,
    FieldsCommand,
    FilterCommand,
    Negate,
    Not,
    NumberLit,
    Or,
    Projection,
    Query,
    StringLit,
)
from owl.insights.printer import name_text
from tests.unit.insights.support import round_trip

A, B, C = FieldRef("a"), FieldRef("b"), FieldRef("c")
ONE = NumberLit("1")


@pytest.mark.parametrize(
    ("query", "printed"),
    [
        ("FIELDS a AS b", "fields a as b"),
        ("where (a = 1)", "filter a = 1"),
        ("filter ((a or b)) and c", "filter (a or b) and c"),
        (
            "fields (a + b) * c, a + (b * c), (a - b) - c, a - (b - c)",
            "fields (a + b) * c, a + b * c, a - b - c, a - (b - c)",
        ),
        (
            "fields (2 ^ 3) ^ 4, 2 ^ (3 ^ 4), (-2) ^ 2, -(2 ^ 2)",
            "fields (2 ^ 3) ^ 4, 2 ^ 3 ^ 4, -2 ^ 2, -(2 ^ 2)",
        ),
        ("filter not (a and b)", "filter not (a and b)"),
        ("filter (a = 1) = (b = 2)", "filter (a = 1) = (b = 2)"),
        ("filter (a like 'x') in [1]", 'filter (a like "x") in [1]'),
        ("sort a DESC, b", "sort a desc, b"),
        ("parse 'a*' as `x y`", 'parse "a*" as `x y`'),
        ("source logGroups() | fields a", "SOURCE logGroups() | fields a"),
        ("fields `@x-y`, `plain`, `in`", "fields @`x-y`, plain, `in`"),
    ],
)
def test_printer_normal_form(query: str, printed: str) -> None:
    assert to_text(parse(query)) == printed
    round_trip(query)


def test_printer_parenthesises_trees_built_in_code() -> None:
    tree = Query(
        (
            FilterCommand(And(Or(A, B), Not(Or(B, C)))),
            FieldsCommand(
                (
                    Projection(Arithmetic("*", Arithmetic("+", A, ONE), Negate(Negate(B)))),
                    Projection(Comparison("=", Comparison("<", A, B), StringLit('q"\\'))),
                )
            ),
        )
    )
    assert parse(to_text(tree)) == tree
    assert str(tree) == to_text(tree)


def test_printer_names() -> None:
    assert name_text("user.id") == "user.id"
    assert name_text("AND") == "`AND`"
    assert name_text("9x") == "`9x`"
    with pytest.raises(ValueError):
        name_text("a`b")
    with pytest.raises(ValueError):
        name_text("")
