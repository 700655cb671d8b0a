"""Logs Insights through boto3: lexical structure (§2), operator precedence (§3), values and
their rendering (§4), field references (§9) and the queries StartQuery rejects (§12).

One group of five events: three JSON documents with awkward keys (dashes, colons, dots, an
`@` key, a JSON null, nested objects and arrays, a string holding JSON) and two plain lines.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import OwlServer
from tests.protocol.test_insights_support import T0, Event, load, malformed, rows, timestamp

E1 = {
    "http-status": "404",
    "k8s:pod": "web-1",
    "cluster.name": "blue",
    "@example.com": "e",
    "Level": "ERROR",
    "level": "warn",
    "msg": "it's here",
    "n": 5,
    "f": 2.5,
    "big": 67000000,
    "neg": -3,
    "nul": None,
    "user": {"id": "u1"},
    "items": [{"sku": "A"}, {"sku": "B"}],
    "raw": json.dumps({"a": {"b": [10, 20]}}),
    "path": "/a/b",
}
E2 = {"n": 10, "msg": 'say "hi"', "level": "info", "code": "10", "word": "B"}
E3 = {"n": -1, "msg": "back\\slash", "word": "a", "code": "9"}
E4 = "plain text #tag with Error inside"
E5 = "ERROR: disk /var/log full in 12ms"
EVENTS = [
    Event("s1", T0 + 1_000, json.dumps(E1)),
    Event("s1", T0 + 2_000, json.dumps(E2)),
    Event("s2", T0 + 3_000, json.dumps(E3)),
    Event("s2", T0 + 4_000, E4),
    Event("s2", T0 + 5_000, E5),
]


@pytest.fixture(scope="module")
def group(owl_server: OwlServer) -> str:
    return load(owl_server.client("logs"), f"/owl-test/insights-lang/{uuid.uuid4()}", EVENTS)


def q(logs: Any, group: str, query: str) -> list[dict[str, str]]:
    return rows(logs, group, query)


# -- §2 lexical structure -------------------------------------------------------------------


def test_2_1_pipes_and_whitespace_anywhere(logs: Any, group: str) -> None:
    query = "\n  fields n\n|\n\tfilter n  >  1\n  | sort n asc   \n"
    assert q(logs, group, query) == [{"n": "5"}, {"n": "10"}]


def test_2_2_comments_run_to_the_end_of_the_line(logs: Any, group: str) -> None:
    query = (
        "# a whole line\n"
        "filter @message like '#tag' # a tail | fields nothing\n"
        "# fields n\n"
        "| filter @message like /#tag with/ | fields @message # last"
    )
    assert q(logs, group, query) == [{"@message": E4}]


def test_2_3_keywords_and_functions_in_any_case(logs: Any, group: str) -> None:
    query = "FIELDS n, Level | FILTER n > 1 AND NOT n IN [10] Or n LIKE 'x' | SORT n ASC | LIMIT 5"
    assert q(logs, group, query) == [{"n": "5", "Level": "ERROR"}]
    found = q(logs, group, "Stats COUNT(*) As c, Sum(n) AS s BY IsPresent(n) | Sort c Desc")
    assert found == [
        {"IsPresent(n)": "1", "c": "3", "s": "14.0"},
        {"IsPresent(n)": "0", "c": "2"},
    ]


def test_2_3_field_names_are_case_sensitive(logs: Any, group: str) -> None:
    assert q(logs, group, "filter ispresent(Level) | fields level, Level") == [
        {"level": "warn", "Level": "ERROR"}
    ]
    assert q(logs, group, "filter LEVEL = 'ERROR' | fields n") == []


def test_2_4_backticks_for_names_with_other_characters(logs: Any, group: str) -> None:
    query = (
        "filter ispresent(`http-status`) | fields `http-status`, `k8s:pod` as pod, "
        "`cluster.name` as cn, cluster.name as cn2, @`aws.tag.team:app` as tag, `n`"
    )
    assert q(logs, group, query) == [
        {"http-status": "404", "pod": "web-1", "cn": "blue", "cn2": "blue", "n": "5"}
    ]


def test_2_5_quotes_and_escapes(logs: Any, group: str) -> None:
    assert q(logs, group, r"filter msg = 'it\'s here' | fields n") == [{"n": "5"}]
    assert q(logs, group, r'filter msg = "it' + "'" + r's here" | fields n') == [{"n": "5"}]
    assert q(logs, group, r'filter msg = "say \"hi\"" | fields n') == [{"n": "10"}]
    assert q(logs, group, "filter msg = 'say \"hi\"' | fields n") == [{"n": "10"}]
    assert q(logs, group, r'filter msg = "back\\slash" | fields n') == [{"n": "-1"}]


def test_2_6_regex_literals_flags_slashes_and_groups(logs: Any, group: str) -> None:
    assert q(logs, group, r"filter path =~ /^\/a\/b$/ | fields n") == [{"n": "5"}]
    assert q(logs, group, "filter @message like /error inside/ | fields n") == []
    assert q(logs, group, "filter @message like /(?i)error inside/ | fields @message") == [
        {"@message": E4}
    ]
    query = r"parse @message /(?<lvl>[A-Z]+):\s+disk\b (?<dev>\S+) full in (?<d>\d+?)/"
    assert q(logs, group, query + " | filter ispresent(lvl) | fields lvl, dev, d") == [
        {"lvl": "ERROR", "dev": "/var/log", "d": "1"}
    ]


def test_2_7_numbers_decimals_and_unary_minus(logs: Any, group: str) -> None:
    query = "filter neg = -3 and f = 2.5 | fields -n as m, 1.5 * 2 as x, n - -1 as y"
    assert q(logs, group, query) == [{"m": "-5.0", "x": "3.0", "y": "6.0"}]


def test_2_8_time_period_literals(logs: Any, group: str) -> None:
    query = "filter n = 5 | fields datefloor(@timestamp, 1h) as h, bin(30s) as b, bin(2d) as d"
    two_days = T0 // (2 * 86_400_000) * (2 * 86_400_000)
    assert q(logs, group, query) == [
        {
            "h": timestamp(T0 // 3_600_000 * 3_600_000),
            "b": timestamp(T0),
            "d": timestamp(two_days),
        }
    ]


def test_2_9_lists_with_in(logs: Any, group: str) -> None:
    assert q(logs, group, "filter n in [5, 10] | sort n asc | fields n") == [
        {"n": "5"},
        {"n": "10"},
    ]
    assert q(logs, group, "filter word in ['a', \"B\", 'c'] | sort n asc | fields word") == [
        {"word": "a"},
        {"word": "B"},
    ]


def test_3_operator_precedence(logs: Any, group: str) -> None:
    query = (
        "filter n = 5 | fields 2 + 3 * 4 ^ 2 as p, -2 ^ 2 as u, 10 - 4 - 3 as r, "
        "2 ^ 3 ^ 2 as s, 7 % 4 * 2 as m"
    )
    assert q(logs, group, query) == [
        {"p": "50.0", "u": "4.0", "r": "3.0", "s": "512.0", "m": "6.0"}
    ]
    query = "filter not n = 5 and ispresent(n) or n = 5 and word = 'x' | sort n asc | fields n"
    assert q(logs, group, query) == [{"n": "-1"}, {"n": "10"}]


# -- §4 values, types, rendering ------------------------------------------------------------


def test_4_1_json_null_is_missing(logs: Any, group: str) -> None:
    assert q(logs, group, "filter n = 5 | fields nul, n") == [{"n": "5"}]
    assert q(logs, group, "filter ispresent(nul)") == []


def test_4_2_14_9_numeric_strings_act_as_numbers_others_give_missing(logs: Any, group: str) -> None:
    query = "filter n = 5 | fields `http-status` + 1 as s, msg + 1 as bad, `http-status` * 0.5 as h"
    assert q(logs, group, query) == [{"s": "405.0", "h": "202.0"}]
    query = "parse @message 'in *ms' as t | filter t > 10 | fields t * 2 as d"
    assert q(logs, group, query) == [{"d": "24.0"}]


def test_4_3_comparison_rules(logs: Any, group: str) -> None:
    # A numeric string against a number literal compares numerically ("10" > 9 > "9").
    assert q(logs, group, "filter code > 9 | fields code") == [{"code": "10"}]
    assert q(logs, group, "filter `http-status` = 404 | fields n") == [{"n": "5"}]
    # Strings compare by code point and `=` is exact.
    assert q(logs, group, "filter word < 'a' | fields word") == [{"word": "B"}]
    assert q(logs, group, "filter word = 'b' | fields word") == []
    # A map never compares true, not even with !=.
    query = "fields jsonParse(raw) as j | filter j = 'x' or j != 'x' or j > 0 | fields n"
    assert q(logs, group, query) == []


def test_4_4_14_8_missing_values_fail_every_comparison(logs: Any, group: str) -> None:
    for condition in (
        "nosuch = 1",
        "nosuch != 1",
        "nosuch < 1",
        "nosuch like 'x'",
        "nosuch not like 'x'",
        "nosuch in [1]",
        "nosuch not in [1]",
        "nosuch =~ /x/",
    ):
        assert q(logs, group, f"filter {condition}") == [], condition
    assert q(logs, group, "filter not ispresent(n) | fields @message") == [
        {"@message": E5},
        {"@message": E4},
    ]


def test_4_5_14_17_rendering_of_times_doubles_integers_source_text(logs: Any, group: str) -> None:
    query = (
        "filter n = 5 | fields @timestamp, toMillis(@timestamp) as ms, big * 1 as b, f * 2 as f2, "
        "f, big, n / 2 as h, 0.001 * 1 as milli, 0.0001 * 1 as small, 10000000 * 1 as ten, "
        "strlen(msg) as len, neg"
    )
    assert q(logs, group, query) == [
        {
            "@timestamp": timestamp(T0 + 1_000),
            "ms": str(T0 + 1_000),
            "b": "6.7E7",
            "f2": "5.0",
            "f": "2.5",
            "big": "67000000",
            "h": "2.5",
            "milli": "0.001",
            "small": "1.0E-4",
            "ten": "1.0E7",
            "len": "9",
            "neg": "-3",
        }
    ]
    query = (
        "stats count(*) as c, count_distinct(level) as d, avg(n) as a, sum(n) as s, "
        "min(f) as mn, max(big) as mx"
    )
    assert q(logs, group, query) == [
        {"c": "5", "d": "2", "a": "4.666666666666667", "s": "14.0", "mn": "2.5", "mx": "67000000"}
    ]


def test_4_6_14_7_yes_no_answers_are_1_and_0(logs: Any, group: str) -> None:
    query = (
        "filter n = 5 | fields isempty(nosuch) as a, isblank('  ') as b, "
        "strcontains(msg, 'here') as c, ispresent(n) as isRes, isValidIp('1.2.3.4') as e, "
        "n > 1 as gt, isempty(msg) as g, ispresent(nosuch) as h"
    )
    assert q(logs, group, query) == [
        {"a": "1", "b": "1", "c": "1", "isRes": "1", "e": "1", "gt": "1", "g": "0", "h": "0"}
    ]


def test_4_7_maps_and_lists_from_json_parse(logs: Any, group: str) -> None:
    query = (
        "filter n = 5 | fields jsonParse(raw) as j | fields j.a.b[1] as x, j.a.b.0 as y, "
        "strlen(j) as l, toupper(j) as u, jsonStringify(j.a) as s, j.a.nosuch as z, "
        "concat('<', j, '>') as c | display x, y, l, u, s, z, c"
    )
    assert q(logs, group, query) == [{"x": "20", "y": "10", "s": '{"b":[10,20]}', "c": "<>"}]


# -- §9 field references --------------------------------------------------------------------


def test_9_1_dotted_names_and_indexes(logs: Any, group: str) -> None:
    query = "filter n = 5 | fields user.id, items.0.sku, items[1].sku as second, user.nosuch"
    assert q(logs, group, query) == [{"user.id": "u1", "items.0.sku": "A", "second": "B"}]


def test_9_2_unknown_fields_are_missing_not_errors(logs: Any, group: str) -> None:
    assert q(logs, group, "fields nosuch, n, a.b.c | filter n = 10") == [{"n": "10"}]


def test_9_3_aliases_shadow_discovered_fields(logs: Any, group: str) -> None:
    assert q(logs, group, "fields 'x' as n | filter n = 'x' | stats count(*) as c") == [{"c": "5"}]
    query = "filter ispresent(n) | fields n * 10 as n | sort n asc"
    assert q(logs, group, query) == [{"n": "-10.0"}, {"n": "50.0"}, {"n": "100.0"}]


# -- §12 rejections --------------------------------------------------------------------------

# (query, the text queryCompileError.location spans; "" = an empty span at the end)
REJECTED = [
    # empty pipeline segment, dangling |, unknown command
    ("", ""),
    ("fields n | | limit 1", "|"),
    ("| fields n", "|"),
    ("fields n |", "|"),
    ("fields n | bogus x", "bogus"),
    # filter without expression, incomplete comparison, unbalanced parentheses
    ("filter", ""),
    ("filter n =", ""),
    ("filter (n = 1", "("),
    ("filter n = 1)", ")"),
    # unterminated string and regex literals
    ('filter msg = "x', '"x'),
    ("filter msg = 'x | limit 1", "'x | limit 1"),
    ("filter msg like /x", "/x"),
    # stats without an aggregation, by without expression, three stats
    ("stats n by level", "n"),
    ("stats count(*) by", ""),
    ("stats count(*) | stats count(*) | stats count(*)", "stats count(*)"),
    # sort/limit before the second stats, fields the first stats did not output, bin()
    ("stats count(*) as c by level | sort c desc | stats max(c)", "sort c desc"),
    ("stats count(*) as c by level | limit 2 | stats max(c)", "limit 2"),
    ("stats count(*) as c by level | stats max(n)", "n"),
    ("stats count(*) as c by level | filter @message like /x/", "@message"),
    ("stats count(*) as c by level | stats sum(c) by bin(5m)", "bin(5m)"),
    # sort without key; limit not a positive integer up to 100,000
    ("sort", ""),
    ("limit 1.5", "1.5"),
    ("limit 0", "0"),
    ("limit -3", "-3"),
    ("limit 100001", "100001"),
    ("limit x", "x"),
    # parse: glob stars against names; a regex without named groups
    ('parse @message "* *" as a', '"* *" as a'),
    ("parse @message /(\\d+)/", "/(\\d+)/"),
    # unknown function, wrong argument count
    ("fields nosuch(n) as x", "nosuch"),
    ("fields strlen(msg, n) as x", "strlen(msg, n)"),
    # only limit after dedup; SOURCE only first
    ("dedup level | sort n desc", "sort n desc"),
    ("dedup level | fields n", "fields n"),
    ("fields n | SOURCE logGroups()", "SOURCE logGroups()"),
]


@pytest.mark.parametrize(("query", "span"), REJECTED, ids=[r[0] for r in REJECTED])
def test_12_rejected_with_the_offending_span(logs: Any, group: str, query: str, span: str) -> None:
    message, pointed = malformed(logs, group, query)
    assert pointed == span, message


def test_12_limit_100000_and_second_stats_with_propagated_timestamp_are_accepted(
    logs: Any, group: str
) -> None:
    assert q(logs, group, "filter n = 10 | fields n | limit 100000") == [{"n": "10"}]
    query = "stats count(*) as c by bin(1h) as @t | stats sum(c) as total by datefloor(@t, 1d) as d"
    assert q(logs, group, query) == [
        {"d": timestamp(T0 // 86_400_000 * 86_400_000), "total": "5.0"}
    ]
