"""Logs Insights through boto3, spec §6: every command (SOURCE, §6.11.3, is in
test_insights_source_sort.py).

One group: five JSON access-log events (events 1–5), four plain lines (6–9) and five documents
whose `list` is a list, a map, a string, a number or absent (10–14), one second apart.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import OwlServer
from tests.protocol.test_insights_support import (
    T0,
    Event,
    load,
    malformed,
    rows,
    run,
    timestamp,
)

WEB = [
    {"host": "host9", "status": 200, "ms": 12, "path": "/a", "user": "ann"},
    {"host": "host10", "status": 500, "ms": 250, "path": "/b", "user": "bob"},
    {"host": "host9", "status": 404, "ms": 7, "path": "/a"},
    {"host": "host2", "status": 200, "ms": 30, "path": "/c", "user": "ann"},
    {"host": "host10", "status": 200, "ms": 18, "path": "/a", "user": "cid"},
]
PLAIN = [
    "t=1 [W] disk low",
    "t=2 [E] disk full: sda",
    'cfg "name":"x" id=42 took 3.5ms',
    "k=v1;k=v2;end",
]
LISTS = [
    {"list": [1, 2, 3], "tag": "L"},
    {"list": {"k": "v"}, "tag": "M"},
    {"list": "solo", "tag": "S"},
    {"list": 7, "tag": "N"},
    {"tag": "E"},
]
MESSAGES = [json.dumps(d) for d in WEB] + PLAIN + [json.dumps(d) for d in LISTS]
STREAMS = ["a", "b", "a", "b", "a", "c", "c", "c", "c", "d", "d", "d", "d", "d"]
EVENTS = [
    Event(stream, T0 + 1_000 * (i + 1), m)
    for i, (stream, m) in enumerate(zip(STREAMS, MESSAGES, strict=True))
]
TOTAL = len(EVENTS)


@pytest.fixture(scope="module")
def g(owl_server: OwlServer) -> str:
    return load(owl_server.client("logs"), f"/owl-test/insights-cmd/{uuid.uuid4()}", EVENTS)


def q(logs: Any, group: str, query: str) -> list[dict[str, str]]:
    return rows(logs, group, query)


def field_order(logs: Any, group: str, query: str) -> list[list[str]]:
    _, response = run(logs, group, query)
    return [[f["field"] for f in row] for row in response["results"]]


# -- §6.1 fields, §6.2 display ----------------------------------------------------------------


def test_6_1_1_fields_bind_names_later_commands_use(logs: Any, g: str) -> None:
    query = "filter ispresent(host) | fields ms * 2 as double | filter double > 40 | fields double"
    assert q(logs, g, query) == [{"double": "60.0"}, {"double": "500.0"}]
    assert q(logs, g, "fields host | filter host = 'host2'") == [{"host": "host2"}]


def test_6_1_2_columns_are_the_union_of_fields_in_first_appearance_order(logs: Any, g: str) -> None:
    query = "fields host | fields status, host | filter status = 404"
    assert field_order(logs, g, query) == [["host", "status", "@ptr"]]


def test_6_1_3_unaliased_expressions_are_named_by_their_text(logs: Any, g: str) -> None:
    assert q(logs, g, "filter status = 404 | fields toupper(host), ms*2") == [
        {"toupper(host)": "HOST9", "ms*2": "14.0"}
    ]


def test_6_1_4_without_fields_rows_have_timestamp_and_message(logs: Any, g: str) -> None:
    assert q(logs, g, "filter status = 404") == [
        {"@timestamp": timestamp(T0 + 3_000), "@message": MESSAGES[2]}
    ]


def test_6_2_1_display_sets_the_columns_and_the_last_one_counts(logs: Any, g: str) -> None:
    assert q(logs, g, "fields host, status | display status | filter status = 404") == [
        {"status": "404"}
    ]
    assert field_order(logs, g, "display host | display status, ms | filter status = 404") == [
        ["status", "ms", "@ptr"]
    ]


def test_6_2_2_display_accepts_expressions_with_as(logs: Any, g: str) -> None:
    query = "filter ispresent(host) | display host, status = 500 as isError | sort @timestamp asc"
    assert q(logs, g, query) == [
        {"host": "host9", "isError": "0"},
        {"host": "host10", "isError": "1"},
        {"host": "host9", "isError": "0"},
        {"host": "host2", "isError": "0"},
        {"host": "host10", "isError": "0"},
    ]


def test_6_2_3_display_keeps_every_row(logs: Any, g: str) -> None:
    found = q(logs, g, "display host")
    assert [r.get("host") for r in found] == [None] * 9 + [
        "host10",
        "host2",
        "host9",
        "host10",
        "host9",
    ]


# -- §6.3 filter ------------------------------------------------------------------------------


def test_6_3_1_filters_are_anded(logs: Any, g: str) -> None:
    assert q(logs, g, "filter status = 200 | filter ms > 15 | fields host") == [
        {"host": "host10"},
        {"host": "host2"},
    ]


def test_6_3_2_like_and_regex_matching(logs: Any, g: str) -> None:
    assert q(logs, g, "filter @message like 'disk' | fields @message") == [
        {"@message": PLAIN[1]},
        {"@message": PLAIN[0]},
    ]
    assert q(logs, g, "filter @message like 'Disk'") == []
    assert q(logs, g, r"filter @message like /^t=\d \[E\]/ | fields @message") == [
        {"@message": PLAIN[1]}
    ]
    assert q(logs, g, "filter @message =~ /(?i)DISK LOW$/ | fields @message") == [
        {"@message": PLAIN[0]}
    ]
    assert q(logs, g, "filter @message not like 'disk' | stats count(*) as c") == [
        {"c": str(TOTAL - 2)}
    ]
    assert q(logs, g, "filter @message not like /disk/ | stats count(*) as c") == [
        {"c": str(TOTAL - 2)}
    ]


def test_6_3_3_in_lists(logs: Any, g: str) -> None:
    assert q(logs, g, "filter status in [200, 404] | stats count(*) as c") == [{"c": "4"}]
    assert q(logs, g, "filter host in ['host9', 'host2'] | stats count(*) as c") == [{"c": "3"}]
    assert q(logs, g, "filter status not in [200] | sort ms asc | fields status") == [
        {"status": "404"},
        {"status": "500"},
    ]


def test_6_3_4_and_or_not_and_parentheses(logs: Any, g: str) -> None:
    query = "filter (status = 200 or status = 404) and not (host = 'host9') | fields host"
    assert q(logs, g, query) == [{"host": "host10"}, {"host": "host2"}]


def test_6_3_5_comparisons_follow_the_type_rules(logs: Any, g: str) -> None:
    assert q(logs, g, "filter ms > 100 | fields host") == [{"host": "host10"}]
    assert q(logs, g, "filter path > '/b' | fields path") == [{"path": "/c"}]


def test_6_3_6_where_is_filter(logs: Any, g: str) -> None:
    assert q(logs, g, "where status = 500 | fields host") == [{"host": "host10"}]


# -- §6.4 stats -------------------------------------------------------------------------------


def test_6_4_1_6_4_6_one_row_per_group_in_key_order_without_ptr(logs: Any, g: str) -> None:
    query = "filter ispresent(host) | stats count(*) as n by host"
    assert field_order(logs, g, query) == [["host", "n"]] * 3
    assert q(logs, g, query) == [
        {"host": "host2", "n": "1"},
        {"host": "host9", "n": "2"},
        {"host": "host10", "n": "2"},
    ]
    assert q(logs, g, "stats count(*) as n") == [{"n": str(TOTAL)}]


def test_6_4_2_14_4_unaliased_columns_are_the_text_without_whitespace(logs: Any, g: str) -> None:
    query = "filter ispresent(host) | stats count( * ), avg(ms), sum( ms ) / 1000, count(user)"
    assert q(logs, g, query) == [
        {"count(*)": "5", "avg(ms)": "63.4", "sum(ms)/1000": "0.317", "count(user)": "4"}
    ]
    assert field_order(logs, g, query) == [["count(*)", "avg(ms)", "sum(ms)/1000", "count(user)"]]


def test_6_4_3_arithmetic_over_aggregates_and_earlier_aliases(logs: Any, g: str) -> None:
    query = (
        "filter ispresent(host) | stats max(strlen(@message)) as longest, "
        "sum(strcontains(path, 'a')) as with_a, sum(ms) as s, count(*) as n, s / n as mean, "
        "sum(ms) / 1000 / 1000 as tiny"
    )
    assert q(logs, g, query) == [
        {
            "longest": str(max(len(json.dumps(d)) for d in WEB)),
            "with_a": "3.0",
            "s": "317.0",
            "n": "5",
            "mean": "63.4",
            "tiny": "3.17E-4",
        }
    ]


def test_6_4_4_group_keys_are_expressions(logs: Any, g: str) -> None:
    query = (
        "filter ispresent(host) | stats count(*) as n by concat(host, ':', status) as k, bin(1m)"
    )
    keys = ["host2:200", "host9:200", "host9:404", "host10:200", "host10:500"]
    assert q(logs, g, query) == [{"k": k, "bin(1m)": timestamp(T0), "n": "1"} for k in keys]
    query = (
        "filter ispresent(host) "
        "| stats count(*) as n by toupper(host), datefloor(@timestamp, 1h) as h"
    )
    assert q(logs, g, query) == [
        {"toupper(host)": h, "h": timestamp(T0 // 3_600_000 * 3_600_000), "n": n}
        for h, n in (("HOST2", "1"), ("HOST9", "2"), ("HOST10", "2"))
    ]


def test_6_4_5_14_14_a_missing_key_forms_its_own_group(logs: Any, g: str) -> None:
    assert q(logs, g, "stats count(*) as n by user") == [
        {"user": "ann", "n": "2"},
        {"user": "bob", "n": "1"},
        {"user": "cid", "n": "1"},
        {"n": str(TOTAL - 4)},
    ]


def test_6_4_7_a_third_stats_is_malformed(logs: Any, g: str) -> None:
    query = "stats count(*) as a by host | stats count(*) as b by a | stats count(*) as c"
    assert malformed(logs, g, query)[1] == "stats count(*) as c"


def test_6_4_8_after_stats_only_its_outputs_and_timestamps_by_name(logs: Any, g: str) -> None:
    assert malformed(logs, g, "stats count(*) as c by host | fields @message")[1] == "@message"
    assert malformed(logs, g, "stats count(*) as c by host | stats sum(c) by bin(5m)")[1] == (
        "bin(5m)"
    )
    query = (
        "filter ispresent(host) | stats count(*) as c by bin(5m) as @t "
        "| stats sum(c) as total by dateceil(@t, 5m) as up"
    )
    assert q(logs, g, query) == [{"up": timestamp(T0), "total": "5.0"}]
    query = (
        "filter ispresent(host) | stats max(@timestamp) as @t by host "
        "| stats count(*) as hosts by datefloor(@t, 1h) as h"
    )
    assert q(logs, g, query) == [{"h": timestamp(T0 // 3_600_000 * 3_600_000), "hosts": "3"}]
    query = "stats count(*) as c by bin(1m) as @timestamp | stats sum(c) as s by bin(1h)"
    assert q(logs, g, query) == [
        {"bin(1h)": timestamp(T0 // 3_600_000 * 3_600_000), "s": f"{float(TOTAL)}"}
    ]


def test_6_4_9_sort_and_limit_only_after_the_second_stats(logs: Any, g: str) -> None:
    assert malformed(logs, g, "stats count(*) as c by host | sort c desc | stats max(c)")[1] == (
        "sort c desc"
    )
    query = (
        "filter ispresent(host) | stats count(*) as c by host "
        "| stats count(*) as hosts by c | sort c desc | limit 1"
    )
    assert q(logs, g, query) == [{"c": "2", "hosts": "2"}]


def test_6_4_10_filter_fields_display_between_two_stats(logs: Any, g: str) -> None:
    query = (
        "filter ispresent(host) | stats count(*) as c, sum(ms) as s by host | filter c > 1 "
        "| fields s / c as mean | stats max(mean) as top"
    )
    assert q(logs, g, query) == [{"top": "134.0"}]
    query = (
        "filter ispresent(host) | stats count(*) as c by host | display host, c | stats sum(c) as t"
    )
    assert q(logs, g, query) == [{"t": "5.0"}]


# -- §6.5 aggregation functions --------------------------------------------------------------


def test_6_5_1_6_5_2_6_5_3_counts(logs: Any, g: str) -> None:
    query = (
        "stats count(*) as a, count() as b, count(user) as u, count(list) as l, "
        "count_distinct(host) as h, count_distinct(status) as s"
    )
    # `list` is a field only where it is a leaf (the string and the number, §5.2.1).
    assert q(logs, g, query) == [
        {"a": str(TOTAL), "b": str(TOTAL), "u": "4", "l": "2", "h": "3", "s": "3"}
    ]


def test_6_5_4_sum_and_avg_skip_non_numbers_and_missing(logs: Any, g: str) -> None:
    query = "stats sum(ms) as s, avg(ms) as a, sum(user) as su, avg(host) as ah, sum(list) as sl"
    assert q(logs, g, query) == [{"s": "317.0", "a": "63.4", "sl": "7.0"}]


def test_6_5_5_min_and_max(logs: Any, g: str) -> None:
    query = (
        "stats min(ms) as a, max(ms) as b, min(host) as c, max(host) as d, "
        "min(list) as e, max(list) as f"
    )
    assert q(logs, g, query) == [
        {"a": "7", "b": "250", "c": "host2", "d": "host10", "e": "solo", "f": "7"}
    ]


def test_6_5_6_14_5_pct_is_nearest_rank(logs: Any, g: str) -> None:
    query = (
        "stats pct(ms, 0) as p0, pct(ms, 40) as p40, pct(ms, 41) as p41, pct(ms, 50) as p50, "
        "pct(ms, 90) as p90, pct(ms, 100) as p100"
    )
    assert q(logs, g, query) == [
        {"p0": "7.0", "p40": "12.0", "p41": "18.0", "p50": "18.0", "p90": "250.0", "p100": "250.0"}
    ]


def test_6_5_7_14_6_stddev_is_the_sample_deviation(logs: Any, g: str) -> None:
    query = (
        "filter tag = 'L' | fields jsonParse(@message) as doc | unnest doc.list into x "
        "| stats stddev(x) as sd"
    )
    assert q(logs, g, query) == [{"sd": "1.0"}]
    assert q(logs, g, "filter status = 404 | stats stddev(ms) as sd") == [{"sd": "0.0"}]


def test_6_5_8_earliest_and_latest(logs: Any, g: str) -> None:
    query = (
        "filter ispresent(host) "
        "| stats earliest(ms) as e, latest(ms) as l, latest(status) as s by host"
    )
    assert q(logs, g, query) == [
        {"host": "host2", "e": "30", "l": "30", "s": "200"},
        {"host": "host9", "e": "12", "l": "7", "s": "404"},
        {"host": "host10", "e": "250", "l": "18", "s": "200"},
    ]


def test_6_5_9_sorts_first_and_sorts_last(logs: Any, g: str) -> None:
    query = "filter host != 'host2' | stats sortsFirst(host) as f, sortsLast(host) as l"
    assert q(logs, g, query) == [{"f": "host9", "l": "host10"}]
    query = "stats sortsFirst(list) as f, sortsLast(list) as l, sortsLast(path) as p"
    assert q(logs, g, query) == [{"f": "solo", "l": "7", "p": "/c"}]


# -- §6.6 sort, §6.7 limit --------------------------------------------------------------------


def test_6_6_1_several_keys(logs: Any, g: str) -> None:
    query = "filter ispresent(host) | sort status asc, ms desc | fields status, ms"
    assert q(logs, g, query) == [
        {"status": s, "ms": m}
        for s, m in (("200", "30"), ("200", "18"), ("200", "12"), ("404", "7"), ("500", "250"))
    ]


def test_6_6_3_14_2_direction_defaults_to_descending(logs: Any, g: str) -> None:
    assert q(logs, g, "filter ispresent(ms) | sort ms | fields ms") == [
        {"ms": m} for m in ("250", "30", "18", "12", "7")
    ]


def test_6_6_4_missing_keys_go_last_both_ways(logs: Any, g: str) -> None:
    up = q(logs, g, "filter ispresent(host) | sort user asc | fields user, host")
    assert up == [
        {"user": "ann", "host": "host2"},
        {"user": "ann", "host": "host9"},
        {"user": "bob", "host": "host10"},
        {"user": "cid", "host": "host10"},
        {"host": "host9"},
    ]
    down = q(logs, g, "filter ispresent(host) | sort user desc | fields user, host")
    assert down == [
        {"user": "cid", "host": "host10"},
        {"user": "bob", "host": "host10"},
        {"user": "ann", "host": "host2"},
        {"user": "ann", "host": "host9"},
        {"host": "host9"},
    ]


def test_6_6_5_sort_is_stable(logs: Any, g: str) -> None:
    query = "filter ispresent(host) | sort status asc | fields status, host"
    assert q(logs, g, query) == [
        {"status": "200", "host": "host10"},
        {"status": "200", "host": "host2"},
        {"status": "200", "host": "host9"},
        {"status": "404", "host": "host9"},
        {"status": "500", "host": "host10"},
    ]
    query = "filter status = 200 | sort ms asc | sort status asc | fields ms"
    assert q(logs, g, query) == [{"ms": "12"}, {"ms": "18"}, {"ms": "30"}]


def test_6_7_1_limit_keeps_the_first_rows(logs: Any, g: str) -> None:
    assert q(logs, g, "filter ispresent(ms) | sort ms asc | limit 2 | fields ms") == [
        {"ms": "7"},
        {"ms": "12"},
    ]
    assert malformed(logs, g, "limit any 5")[1] == "limit any"


def test_6_7_1_limit_after_a_sort_keeps_ties_in_natural_order(logs: Any, g: str) -> None:
    # host9 and host10 tie on n; the group key breaks the tie naturally (9 before 10).
    query = "filter ispresent(host) | stats count(*) as n by host | sort n desc"
    assert q(logs, g, query + " | limit 1") == [{"host": "host9", "n": "2"}]
    assert q(logs, g, query + " | limit 2") == [
        {"host": "host9", "n": "2"},
        {"host": "host10", "n": "2"},
    ]
    assert [r["host"] for r in q(logs, g, query)] == ["host9", "host10", "host2"]


def test_6_7_3_14_3_without_sort_rows_are_newest_first(logs: Any, g: str) -> None:
    assert q(logs, g, "limit 2 | fields @message") == [
        {"@message": MESSAGES[-1]},
        {"@message": MESSAGES[-2]},
    ]


# -- §6.8 parse -------------------------------------------------------------------------------


def test_6_8_1_glob_on_message_by_default(logs: Any, g: str) -> None:
    query = "parse 't=* [*]' as t, lvl | filter ispresent(lvl) | fields t, lvl"
    assert q(logs, g, query) == [{"t": "2", "lvl": "E"}, {"t": "1", "lvl": "W"}]


def test_6_8_2_14_16_glob_is_lazy_unanchored_and_case_sensitive(logs: Any, g: str) -> None:
    query = "parse @message '[*] *' as lvl, rest | filter @message like 'low' | fields lvl, rest"
    assert q(logs, g, query) == [{"lvl": "W", "rest": "disk low"}]
    query = (
        "parse @message 'k=*;' as first | parse @message 'k=*' as tail | filter ispresent(first)"
    )
    assert q(logs, g, query + " | fields first, tail") == [{"first": "v1", "tail": "v1;k=v2;end"}]
    assert q(logs, g, "parse @message '[w] *' as x | filter ispresent(x)") == []


def test_6_8_3_single_quoted_glob_holds_double_quotes(logs: Any, g: str) -> None:
    query = """parse @message '"name":"*"' as name | filter ispresent(name) | fields name"""
    assert q(logs, g, query) == [{"name": "x"}]


def test_6_8_4_regex_named_groups_first_match(logs: Any, g: str) -> None:
    query = r"parse @message /id=(?<id>\d+) took (?<took>[\d.]+)ms/ | filter ispresent(id)"
    assert q(logs, g, query + " | fields id, took") == [{"id": "42", "took": "3.5"}]
    query = r"parse @message /k=(?<k>\w+)/ | filter ispresent(k) | fields k"
    assert q(logs, g, query) == [{"k": "v1"}]
    query = r"parse path /\/(?<seg>\w)/ | filter ispresent(seg) | stats count(*) as n by seg"
    assert q(logs, g, query) == [
        {"seg": "a", "n": "3"},
        {"seg": "b", "n": "1"},
        {"seg": "c", "n": "1"},
    ]


def test_6_8_5_no_match_keeps_the_row_without_the_fields(logs: Any, g: str) -> None:
    assert q(logs, g, "parse @message 't=* ' as t | stats count(*) as n by t") == [
        {"t": "1", "n": "1"},
        {"t": "2", "n": "1"},
        {"n": str(TOTAL - 2)},
    ]


def test_6_8_6_captures_are_strings_and_overwrite_only_matching_rows(logs: Any, g: str) -> None:
    query = "parse @message 'took *ms' as took | filter took > 3 | fields took * 2 as d, took"
    assert q(logs, g, query) == [{"d": "7.0", "took": "3.5"}]
    query = (
        "parse @message 't=* ' as host | filter ispresent(host) | sort @timestamp asc | fields host"
    )
    assert [r["host"] for r in q(logs, g, query)] == [
        "host9",
        "host10",
        "host9",
        "host2",
        "host10",
        "1",
        "2",
    ]


def test_6_8_7_newer_parse_forms(logs: Any, g: str) -> None:
    # A regex followed by `as` needs no named group.
    query = r"parse @message /(\d+)ms/ as n | filter ispresent(n) | fields n"
    assert q(logs, g, query) == [{"n": "5"}]
    for form in ("logfmt as x", "csv as a, b", "json field=a"):
        assert malformed(logs, g, f"parse @message {form}")[1] == form.split(" ")[0]


# -- §6.9 dedup, §6.10 unnest -----------------------------------------------------------------


def test_6_9_1_dedup_keeps_the_first_row_in_the_current_order(logs: Any, g: str) -> None:
    assert q(logs, g, "filter ispresent(host) | fields host, ms | dedup host") == [
        {"host": "host10", "ms": "18"},
        {"host": "host2", "ms": "30"},
        {"host": "host9", "ms": "7"},
    ]
    query = "filter ispresent(host) | fields host, ms | sort ms desc | dedup host"
    assert q(logs, g, query) == [
        {"host": "host10", "ms": "250"},
        {"host": "host2", "ms": "30"},
        {"host": "host9", "ms": "12"},
    ]


def test_6_9_2_rows_missing_a_dedup_field_are_all_kept(logs: Any, g: str) -> None:
    assert q(logs, g, "filter ispresent(host) | fields host, user | dedup user") == [
        {"host": "host10", "user": "cid"},
        {"host": "host2", "user": "ann"},
        {"host": "host9"},
        {"host": "host10", "user": "bob"},
    ]
    assert len(q(logs, g, "dedup user")) == TOTAL - 1
    assert len(q(logs, g, "dedup user, host")) == TOTAL  # (ann, host9) and (ann, host2)


def test_6_9_3_only_limit_after_dedup(logs: Any, g: str) -> None:
    assert q(logs, g, "filter ispresent(host) | fields host | dedup host | limit 1") == [
        {"host": "host10"}
    ]
    assert malformed(logs, g, "dedup host | filter ms > 1")[1] == "filter ms > 1"


def test_6_10_1_unnest_makes_one_row_per_element(logs: Any, g: str) -> None:
    query = "filter tag = 'L' | fields jsonParse(@message) as doc | unnest doc.list into item"
    found = q(logs, g, query + " | display item, tag")
    assert sorted(found, key=lambda r: r["item"]) == [
        {"item": "1", "tag": "L"},
        {"item": "2", "tag": "L"},
        {"item": "3", "tag": "L"},
    ]


def test_6_10_2_non_lists_are_one_element_and_missing_gives_no_row(logs: Any, g: str) -> None:
    query = (
        "filter ispresent(tag) | fields jsonParse(@message) as doc | unnest doc.list into item "
        "| stats count(*) as n by tag"
    )
    assert q(logs, g, query) == [
        {"tag": "L", "n": "3"},
        {"tag": "M", "n": "1"},
        {"tag": "N", "n": "1"},
        {"tag": "S", "n": "1"},
    ]
    query = (
        "filter tag in ['M', 'N', 'S'] | fields jsonParse(@message) as doc "
        "| unnest doc.list into item | display tag, item.k, jsonStringify(item) as j | sort tag asc"
    )
    assert q(logs, g, query) == [
        {"tag": "M", "item.k": "v", "j": '{"k":"v"}'},
        {"tag": "N", "j": "7"},
        {"tag": "S", "j": '"solo"'},
    ]


# -- §6.11 other commands ---------------------------------------------------------------------


def test_6_11_1_unmask_is_a_no_op(logs: Any, g: str) -> None:
    assert q(logs, g, "unmask | filter status = 404 | fields host") == [{"host": "host9"}]
    assert q(logs, g, "filter status = 404 | unmask @message | fields host") == [{"host": "host9"}]


def test_6_11_2_filter_index_behaves_like_filter(logs: Any, g: str) -> None:
    assert q(logs, g, "filterIndex status = 404 | fields host") == [{"host": "host9"}]
    assert q(logs, g, "filterIndex host in ['host2', 'host9'] | stats count(*) as n") == [
        {"n": "3"}
    ]


@pytest.mark.parametrize(
    "command",
    [
        "pattern @message",
        "diff",
        "anomaly",
        "lookup table key",
        "join other on a",
        "addtotals",
        "fillmissing x",
        "filldown x",
        "accum x",
        "sessionize x",
        "countFrequent x",
        "outlier x",
        "autoregress x",
        "logcompare x",
        "appendcols x",
        "cidrlookup x",
        "expand x",
        "relevantfields",
    ],
)
def test_6_11_4_6_11_5_unsupported_commands_are_malformed(logs: Any, g: str, command: str) -> None:
    message, pointed = malformed(logs, g, f"fields @message | {command}")
    assert pointed == command.split(" ")[0]
    assert "not supported" in message


def test_6_11_5_subqueries_are_malformed(logs: Any, g: str) -> None:
    assert malformed(logs, g, "filter host in (fields host) | fields host")[1] == "("
