"""§11: the spec's example queries parse (and print back); its last one is rejected.

Plus everyday queries of the shapes the AWS pages use, written here from scratch.
"""

from __future__ import annotations

import pytest

from owl.insights import column_name, parse
from owl.insights.ast import StatsCommand
from tests.unit.insights.support import rejected, round_trip

SPEC_11 = [
    'filter op = "buy" | stats count(*) by sku',
    "stats avg(ms) as a, max(ms) as b",
    "stats count(*) as n by bin(5m)",
    "fields sku, user.tier | sort @timestamp asc | limit 2",
    "filter ispresent(user.tier) | stats earliest(sku) as e, latest(sku) as l",
    'fields concat(op, ":", sku) as k | dedup op | limit 5',
    'fields substr(sku, 2) as num | filter num = "2"',
    """parse @message '"sku":"*"' as s | stats count(*) by s""",
    "stats count(*) as c by sku | stats max(c) as top",
]

EVERYDAY = [
    "fields @timestamp, @message, @logStream, @log | sort @timestamp desc | limit 20",
    "filter @message like /(?i)(exception|error)/ | stats count(*) as errors by bin(1h)",
    "filter @type = 'REPORT' | stats max(@memorySize / 1000 / 1000) as provisioned,"
    " max(@maxMemoryUsed / 1000 / 1000) as used, provisioned - used as spare",
    "filter @type = 'REPORT' | stats avg(@duration), pct(@duration, 95) by bin(5m)",
    "filter action = 'REJECT' | stats count(*) as n by srcAddr, dstPort | sort n desc | limit 20",
    "parse @message '[*] *' as level, text | filter level in ['WARN', 'ERROR'] | display text",
    "fields @timestamp, status | filter status >= 500 and status not in [503]"
    " | stats count(*) by bin(1m) as minute",
    "filter isValidIpV4(client) and isIpInSubnet(client, '10.0.0.0/8') | dedup client",
    "fields jsonParse(payload) as p | unnest p.items into item | display item",
    "filter @logStream =~ /^web-/ and not ispresent(user.id) # anonymous traffic\n| limit 50",
    "stats count_distinct(user) as users, sortsFirst(host) as h1, sortsLast(host) as h2 by region",
    "fields toMillis(@timestamp) as ms, fromMillis(ms) as back, now() as nowSec"
    " | filter abs(ms - nowSec * 1000) < 60000",
    "stats sum(bytes) / 1024 / 1024 as mb, stddev(latency) by `k8s:pod`",
]


@pytest.mark.parametrize("query", SPEC_11 + EVERYDAY)
def test_11_examples_parse_and_print_back(query: str) -> None:
    round_trip(query)


def test_11_three_stats_are_rejected() -> None:
    err = rejected("stats count(*) | stats count(*) | stats count(*)")
    assert (err.start, err.end) == (34, 48)


def test_11_unaliased_bin_column_is_named_by_its_text() -> None:
    stats = parse("stats count(*) as n by bin(5m)").commands[0]
    assert isinstance(stats, StatsCommand)
    assert [column_name(p) for p in stats.groups + stats.items] == ["bin(5m)", "n"]


def test_6_4_2_column_names_drop_whitespace() -> None:
    stats = parse("stats count( * ), sum(x) / 1000, avg(latency) by host").commands[0]
    assert isinstance(stats, StatsCommand)
    assert [column_name(p) for p in stats.groups + stats.items] == [
        "host",
        "count(*)",
        "sum(x)/1000",
        "avg(latency)",
    ]
