"""§2: lexical structure — separators, comments, case, names, literals, and token spans."""

from __future__ import annotations

import pytest

from owl.insights import QueryError, parse
from owl.insights.ast import (
    Aggregate,
    Call,
    FieldRef,
    FieldsCommand,
    FilterCommand,
    Like,
    ListLit,
    Negate,
    NumberLit,
    PeriodLit,
    RegexLit,
    StatsCommand,
    StringLit,
)
from owl.insights.lexer import Kind, Lexer
from owl.insights.periods import UNITS
from tests.unit.insights.support import pointed, rejected, round_trip


def first_expr(query: str) -> object:
    command = parse(query).commands[0]
    assert isinstance(command, FieldsCommand)
    return command.items[0].expr


def test_2_tokens_carry_spans() -> None:
    lexer = Lexer('fields `a b`, "x" # note\n| filter c =~ /r/')
    spans = []
    pos, operand = 0, True
    while (token := lexer.token(pos, operand)).kind is not Kind.EOF:
        spans.append((token.kind, lexer.text[token.start : token.end]))
        pos, operand = token.end, token.kind in (Kind.OP, Kind.COMMA, Kind.PIPE, Kind.IDENT)
    assert spans == [
        (Kind.IDENT, "fields"),
        (Kind.NAME, "`a b`"),
        (Kind.COMMA, ","),
        (Kind.STRING, '"x"'),
        (Kind.PIPE, "|"),
        (Kind.IDENT, "filter"),
        (Kind.IDENT, "c"),
        (Kind.OP, "=~"),
        (Kind.REGEX, "/r/"),
    ]


def test_2_slash_is_division_unless_an_operand_is_expected() -> None:
    lexer = Lexer("a / b /")
    assert lexer.token(1, operand=False).kind is Kind.OP
    assert lexer.token(1, operand=True).kind is Kind.REGEX


def test_2_1_pipes_separate_commands_and_whitespace_is_insignificant() -> None:
    spaced = parse("fields a\n|\n\tfilter   b = 1\r\n|limit 3")
    assert spaced == parse("fields a | filter b = 1 | limit 3")
    assert len(spaced.commands) == 3


def test_2_1_a_pipe_inside_a_literal_separates_nothing() -> None:
    tree = parse('filter a like "x|y" or a like /p|q/ | limit 1')
    assert len(tree.commands) == 2


def test_2_2_comment_runs_to_end_of_line() -> None:
    tree = parse("# whole line\nfields a # tail | filter b = 1\n| limit 2 # end")
    assert tree == parse("fields a | limit 2")


def test_2_2_hash_inside_literals_is_not_a_comment() -> None:
    tree = parse('filter a = "#x" and b like /#y/ and `#z` = 1')
    assert "#x" in str(tree) and "/#y/" in str(tree) and "`#z`" in str(tree)


def test_2_2_query_of_only_comments_is_empty() -> None:
    assert rejected("# nothing here\n  # still nothing").message == "The query is empty"


def test_2_3_keywords_and_function_names_ignore_case() -> None:
    tree = parse("STATS COUNT(*) AS n BY BIN(5m) | SORT n DESC | LIMIT 1")
    stats = tree.commands[0]
    assert isinstance(stats, StatsCommand)
    assert stats.items[0].expr == Aggregate("COUNT", (stats.items[0].expr.args[0],))  # type: ignore[union-attr]
    assert isinstance(stats.groups[0].expr, Call)
    assert parse('Filter a LIKE "x" AND NOT b IN [1] Or c = 2') == parse(
        'filter a like "x" and not b in [1] or c = 2'
    )


def test_2_3_field_names_are_case_sensitive() -> None:
    assert first_expr("fields Abc") == FieldRef("Abc") != FieldRef("abc")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("user.id", "user.id"),
        ("_x9", "_x9"),
        ("@message", "@message"),
        ("items.0.sku", "items.0.sku"),
        ("résumé", "résumé"),
        ("`http-status`", "http-status"),
        ("`k8s:pod`", "k8s:pod"),
        ("`cluster.name`", "cluster.name"),
        ("@`aws.tag.team:app`", "@aws.tag.team:app"),
        ("`a b`.c", "a b.c"),
    ],
)
def test_2_4_field_identifiers(text: str, name: str) -> None:
    assert first_expr(f"fields {text}") == FieldRef(name)


def test_2_4_backticks_are_optional_for_plain_names() -> None:
    assert parse("fields `cluster.name`") == parse("fields cluster.name")


@pytest.mark.parametrize(
    ("query", "points_at"),
    [
        ("fields 9lives", "9lives"),
        ("fields k8s:pod", ":"),
        ("fields `open", "`open"),
        ("fields ``", "``"),
        ("fields @ x", "@"),
        ("fields a $ b", "$"),
    ],
)
def test_2_4_bad_names_are_rejected(query: str, points_at: str) -> None:
    assert pointed(query) == points_at


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"plain"', "plain"),
        ("'single'", "single"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'it\\'s'", "it's"),
        ('"back\\\\slash"', "back\\slash"),
        ('"a\\d"', "a\\d"),
        ("'has \"double\" quotes'", 'has "double" quotes'),
        ('""', ""),
    ],
)
def test_2_5_string_literals(text: str, value: str) -> None:
    assert first_expr(f"fields {text}") == StringLit(value)


def test_2_5_unterminated_string_points_from_the_quote_to_the_end() -> None:
    err = rejected('filter a = "open')
    assert (err.start, err.end) == (11, 16)
    assert "Unterminated string" in err.message


def test_2_6_regex_literals_keep_their_source() -> None:
    tree = parse(r"filter a like /x\/y(?i)\d+?(?<n>\s)\b/")
    condition = tree.commands[0].condition  # type: ignore[union-attr]
    assert isinstance(condition, Like)
    assert condition.pattern == RegexLit(r"x\/y(?i)\d+?(?<n>\s)\b")


def test_2_6_unterminated_and_invalid_regexes() -> None:
    assert pointed("filter a like /abc") == "/abc"
    assert pointed("filter a like /(ab/ | limit 1") == "/(ab/"
    assert "Invalid regular expression" in rejected("filter a =~ /[z-a]/").message


def test_2_7_numbers_and_unary_minus() -> None:
    assert first_expr("fields 42") == NumberLit("42")
    assert first_expr("fields 2.50") == NumberLit("2.50")
    assert first_expr("fields -3") == Negate(NumberLit("3"))
    assert pointed("fields 1.5.2") == "."


@pytest.mark.parametrize(
    ("text", "count", "unit"),
    [("5m", 5, "m"), ("1h", 1, "h"), ("30s", 30, "s"), ("2d", 2, "d"), ("10mins", 10, "mins")],
)
def test_2_8_time_periods(text: str, count: int, unit: str) -> None:
    tree = parse(f"stats count(*) by bin({text})")
    group = tree.commands[0].groups[0].expr  # type: ignore[union-attr]
    assert group.args == (PeriodLit(count, unit),)


def test_2_8_every_unit_spelling_of_8_3_is_accepted() -> None:
    for spelling, unit in UNITS.items():
        period = parse(f"stats count(*) by bin(3{spelling})").commands[0].groups[0].expr.args[0]  # type: ignore[union-attr]
        assert period.canonical_unit == unit
    assert {"ms", "msecs", "milliseconds", "qtrs", "yrs", "mo", "months", "w"} <= set(UNITS)


@pytest.mark.parametrize(
    ("query", "points_at"),
    [
        ("stats count(*) by bin(5M)", "5M"),
        ("stats count(*) by bin(1.5h)", "1.5h"),
        ("stats count(*) by bin(0m)", "0m"),
        ("stats count(*) by bin(5x)", "5x"),
    ],
)
def test_2_8_bad_periods_are_rejected(query: str, points_at: str) -> None:
    assert pointed(query) == points_at


def test_2_9_lists() -> None:
    assert first_expr('fields [1, "a", -2.5]') == ListLit(
        (NumberLit("1"), StringLit("a"), Negate(NumberLit("2.5")))
    )
    assert first_expr("fields []") == ListLit()
    assert pointed("filter a in [1, b]") == "b"
    assert pointed("filter a in [1, 2") == "["


def test_2_round_trips_of_lexical_forms() -> None:
    for query in [
        'fields `a-b`, @`x:y`, `and`, \'q"\', "a\\\\b"',
        "filter a like /\\/x/ | sort b desc",
    ]:
        round_trip(query)


def test_2_errors_are_query_errors_with_spans() -> None:
    with pytest.raises(QueryError) as caught:
        parse("fields a ! b")
    assert (caught.value.start, caught.value.end) == (9, 10)
    assert "!" in caught.value.message
    assert isinstance(parse("fields a").commands[0], FieldsCommand)
    assert isinstance(parse("filter a").commands[0], FilterCommand)
