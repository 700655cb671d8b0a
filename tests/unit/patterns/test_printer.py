"""§3: printing a tree gives text that parses back to the same tree."""

from __future__ import annotations

import pytest

from owl.patterns import parse, to_text
from owl.patterns.ast import Term, TermPattern

CASES = [
    "",
    "ERROR",
    'ERROR -"disk full" ?x',
    '"-a" "?b" "{c" "[d" "%e%"',
    "%^a[b-c]{1,2}\\.x|y$%",
    "{ $.a = 1 }",
    '{ $.a.b[0].*[\'k.x\'] != "v\\"q" }',
    "{ ($.a = 1 || $.b = %x%) && $.c IS NULL && $.d NOT EXISTS }",
    "{ $.a = 1 || ($.b = 2 || $.c = 3) }",
    "{ $.a = 1 && ($.b = 2 && $.c = 3) }",
    "{ $.a[*] = * }",
    '[ip, , user = "x" || user = %y%, ..., code >= 500 && code < 600, bytes]',
    "[]",
    "[...]",
    "[a,]",
]


@pytest.mark.parametrize("text", CASES)
def test_3_print_then_parse_is_identity(text: str) -> None:
    tree = parse(text)
    assert parse(to_text(tree)) == tree
    assert str(tree) == to_text(tree)


def test_3_printer_quotes_terms_that_would_misparse() -> None:
    tree = TermPattern((Term("-x"), Term("a b"), Term(""), Term('q"'), Term("?", "-")))
    assert parse(str(tree)) == tree
    assert str(TermPattern((Term("{x"),))) == '"{x"'
