"""§12 (with §6.4.7–§6.4.9, §6.7.1, §6.8.1, §6.9.3, §6.11.3): queries StartQuery must reject,
and the part of the query each error points at."""

from __future__ import annotations

import pytest

from owl.insights import QueryError, parse, validate
from owl.insights.ast import (
    Aggregate,
    FieldRef,
    FieldsCommand,
    LimitCommand,
    Projection,
    Query,
    Span,
    Star,
    StatsCommand,
)
from tests.unit.insights.support import pointed, rejected, round_trip

# (query, the text the error must point at; "" means a zero-width span at the end)
REJECTED = [
    # empty pipeline segment, dangling |, unknown command
    ("", ""),
    ("   ", None),
    ("fields a | | limit 1", "|"),
    ("| fields a", "|"),
    ("fields a |", "|"),
    ("fields a | limit 1 |  ", "|"),
    ("fields a | bogus x", "bogus"),
    ("fields a limit 1", "limit"),
    ("42", "42"),
    # filter without expression, incomplete comparison, parentheses, unterminated literals
    ("filter", ""),
    ("filter | limit 1", "|"),
    ("filter a =", ""),
    ("filter a = | limit 1", "|"),
    ("filter (a = 1", "("),
    ("filter (a = 1 | limit 1", "("),
    ("filter a = 1)", ")"),
    ("filter (a = 1 b)", "b"),
    ("fields concat(a, b", "("),
    ('filter a = "x', '"x'),
    ("filter a = 'x | limit 1", "'x | limit 1"),
    ("filter a like /x", "/x"),
    # stats
    ("stats a", "a"),
    ("stats a by b", "a"),
    ("stats 1", "1"),
    ("stats strlen(a)", "a"),
    ("stats count(*) as c, c + x as d", "x"),
    ("stats count(*) by", ""),
    ("stats count(*) by | limit 1", "|"),
    ("stats count(*) by count(*)", "count(*)"),
    ("stats sum(count(*))", "count(*)"),
    ("stats sum(1 + max(a))", "max(a)"),
    ("stats count(*) | stats count(*) | stats count(*)", "stats count(*)"),
    ("stats count(*) as n by a | sort n desc | stats sum(n)", "sort n desc"),
    ("limit 5 | stats count(*) as n by a | stats sum(n)", "limit 5"),
    ("stats count(*) as n by a | limit 5 | stats sum(n)", "limit 5"),
    ("stats count(*) by a | filter @message like /x/", "@message"),
    ("stats count(*) as n by a | stats sum(b)", "b"),
    ("stats count(*) as n by a | fields b", "b"),
    ('stats count(*) as n | parse "x*" as y', '"x*"'),
    ("stats count(*) as n by a | stats sum(n) by bin(5m)", "bin(5m)"),
    ("stats count(*) as n by bin(5m) | stats sum(n) by bin(1h)", "bin(1h)"),
    ("fields count(*) as n", "count(*)"),
    ("filter sum(x) > 1", "sum(x)"),
    ("sort max(a) desc", "max(a)"),
    # sort and limit
    ("sort", ""),
    ("sort | limit 1", "|"),
    ("sort a up", "up"),
    ("limit 1.5", "1.5"),
    ("limit 0", "0"),
    ("limit -3", "-3"),
    ("limit 100001", "100001"),
    ("limit 99999999999999999999999", "99999999999999999999999"),
    ("limit x", "x"),
    ("limit", ""),
    # parse
    ('parse @message "* *" as a', '"* *" as a'),
    ('parse @message "*" as a, b', '"*" as a, b'),
    ('parse "plain" as a', '"plain" as a'),
    ("parse @message /(\\d+)/", "/(\\d+)/"),
    ("parse @message /x/", "/x/"),
    ("parse @message /(a)(b)/ as x", "/(a)(b)/ as x"),
    # functions
    ("fields nosuch(a) as x", "nosuch"),
    ("fields strlen() as x", "strlen()"),
    ("fields strlen(a, b) as x", "strlen(a, b)"),
    ("stats count(*) by bin()", "bin()"),
    # dedup
    ("dedup a | sort a desc", "sort a desc"),
    ("dedup a | fields b", "fields b"),
    ("dedup a | dedup b", "dedup b"),
    ("dedup a | limit 2 | filter b = 1", "filter b = 1"),
    # SOURCE
    ("fields a | SOURCE logGroups()", "SOURCE logGroups()"),
    ("SOURCE logGroups() | SOURCE logGroups() | fields a", "SOURCE logGroups()"),
    ("SOURCE logGroups()", "SOURCE logGroups()"),
    # keywords where names belong
    ("fields a as and", "and"),
    ("filter and = 1", "and"),
    ("fields `a` `b`", "`b`"),
]


@pytest.mark.parametrize(("query", "points_at"), REJECTED)
def test_12_rejected_queries_point_at_the_offending_part(query: str, points_at: str | None) -> None:
    err = rejected(query)
    assert err.message
    if points_at == "":
        assert (err.start, err.end) == (len(query), len(query))
    elif points_at is not None:
        assert query[err.start : err.end] == points_at


def test_1_6_error_carries_message_and_offsets() -> None:
    err = rejected("fields a | nosuch")
    assert (err.start, err.end) == (11, 17)
    assert err.message == "Unknown command 'nosuch'"
    assert str(err) == "Unknown command 'nosuch' (at characters 11-17)"
    assert isinstance(err, ValueError)


def test_12_empty_query_spans_the_whole_text() -> None:
    err = rejected("   ")
    assert (err.start, err.end) == (0, 3)


def test_12_third_stats_is_the_one_reported() -> None:
    query = "stats count(*) as a by x | stats count(*) as b by a | stats count(*) as c"
    err = rejected(query)
    assert query[err.start :] == "stats count(*) as c"
    assert "two stats" in err.message


def test_12_duplicate_pipes_point_at_the_second_pipe() -> None:
    err = rejected("fields a || limit 1")
    assert (err.start, err.end) == (10, 11)


def test_6_4_8_after_stats_only_its_outputs_and_new_names_exist() -> None:
    round_trip("stats count(*) by a | filter a = 'x' | sort `count(*)` desc")
    round_trip("stats count(*) by bin(5m) | sort bin(5m) desc, count(*) asc")
    round_trip("stats sum(x) as s by a | fields s * 2 as d | filter d > 1 | sort d desc")
    round_trip("stats latest(@message) as m by a | parse m 'id=*' as id | filter ispresent(id)")
    round_trip("stats count(*) by @timestamp | stats count(*) by bin(1h)")
    round_trip("stats max(@timestamp) as @timestamp by a | stats count(*) by bin(1h)")
    assert pointed("stats count(*) by a | sort COUNT(*) desc") == "COUNT(*)"


def test_6_4_8_message_names_the_available_fields() -> None:
    assert "available: a, n" in rejected("stats count(*) as n by a | fields b").message


def test_6_4_9_sort_and_limit_before_the_only_stats_are_allowed() -> None:
    round_trip("sort @timestamp desc | limit 10 | stats count(*)")


def test_6_9_3_limit_may_follow_dedup() -> None:
    round_trip("fields a | dedup a | limit 3")
    round_trip("sort a asc | dedup a")


def test_12_validate_checks_trees_built_in_code() -> None:
    bad = Query((StatsCommand((Projection(FieldRef("a")),), span=Span(0, 7)),))
    with pytest.raises(QueryError):
        validate(bad)
    good = Query((FieldsCommand((Projection(Aggregate("count", (Star(),))),)),))
    with pytest.raises(QueryError):
        validate(good)
    validate(Query((LimitCommand(5),)))


def test_6_4_3_items_over_earlier_aliases_are_not_stats_without_aggregation() -> None:
    assert parse("stats sum(a) as s, count(*) as n, s / n as mean").commands
