"""Logs Insights through boto3, spec §11: the whole table of illustrative examples.

The four events of `/demo/shop` in three streams, with 10:00:00 placed at T0 (a quarter hour
45–60 minutes ago) so that the 5-minute bins fall exactly as in the table.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.test_insights_support import T0, Event, load, rows, start, timestamp

MINUTE = 60_000
EVENTS = [
    Event("web-1", T0 + 5_000, '{"op":"buy","sku":"K-1","ms":40,"user":{"tier":"gold"}}'),
    Event("web-2", T0 + 3 * MINUTE + 10_000, '{"op":"buy","sku":"K-2","ms":95}'),
    Event(
        "web-3",
        T0 + 7 * MINUTE + 59_000,
        '{"op":"view","sku":"K-1","ms":12,"user":{"tier":"free"}}',
    ),
    Event("web-1", T0 + 12 * MINUTE, '{"op":"buy","sku":"K-1","ms":61,"user":{"tier":"gold"}}'),
]


@pytest.fixture(scope="module")
def shop(owl_server: OwlServer) -> str:
    return load(owl_server.client("logs"), f"/demo/shop/{uuid.uuid4()}", EVENTS)


def by_key(found: list[dict[str, str]], key: str) -> list[dict[str, str]]:
    return sorted(found, key=lambda r: r[key])


def test_11_filter_then_count_by_sku(logs: Any, shop: str) -> None:
    found = rows(logs, shop, 'filter op = "buy" | stats count(*) by sku')
    assert by_key(found, "sku") == [
        {"sku": "K-1", "count(*)": "2"},
        {"sku": "K-2", "count(*)": "1"},
    ]


def test_11_avg_and_max(logs: Any, shop: str) -> None:
    assert rows(logs, shop, "stats avg(ms) as a, max(ms) as b") == [{"a": "52.0", "b": "95"}]


def test_11_count_by_five_minute_bins(logs: Any, shop: str) -> None:
    found = rows(logs, shop, "stats count(*) as n by bin(5m)")
    assert by_key(found, "bin(5m)") == [
        {"bin(5m)": timestamp(T0), "n": "2"},
        {"bin(5m)": timestamp(T0 + 5 * MINUTE), "n": "1"},
        {"bin(5m)": timestamp(T0 + 10 * MINUTE), "n": "1"},
    ]


def test_11_fields_sort_limit_with_a_missing_field(logs: Any, shop: str) -> None:
    found = rows(logs, shop, "fields sku, user.tier | sort @timestamp asc | limit 2")
    assert found == [{"sku": "K-1", "user.tier": "gold"}, {"sku": "K-2"}]


def test_11_earliest_and_latest_of_events_with_a_tier(logs: Any, shop: str) -> None:
    query = "filter ispresent(user.tier) | stats earliest(sku) as e, latest(sku) as l"
    assert rows(logs, shop, query) == [{"e": "K-1", "l": "K-1"}]


def test_11_dedup_keeps_the_newest_row_per_op(logs: Any, shop: str) -> None:
    query = 'fields concat(op, ":", sku) as k | dedup op | limit 5'
    assert rows(logs, shop, query) == [{"k": "buy:K-1"}, {"k": "view:K-1"}]


def test_11_substr_then_filter(logs: Any, shop: str) -> None:
    assert rows(logs, shop, 'fields substr(sku, 2) as num | filter num = "2"') == [{"num": "2"}]


def test_11_parse_then_count(logs: Any, shop: str) -> None:
    found = rows(logs, shop, """parse @message '"sku":"*"' as s | stats count(*) by s""")
    assert by_key(found, "s") == [{"s": "K-1", "count(*)": "3"}, {"s": "K-2", "count(*)": "1"}]


def test_11_two_stats(logs: Any, shop: str) -> None:
    query = "stats count(*) as c by sku | stats max(c) as top"
    assert rows(logs, shop, query) == [{"top": "3"}]


def test_11_three_stats_are_malformed(logs: Any, shop: str) -> None:
    query = "stats count(*) | stats count(*) | stats count(*)"
    with pytest.raises(ClientError) as caught:
        start(logs, shop, query)
    assert caught.value.response["Error"]["Code"] == "MalformedQueryException"
    location = caught.value.response["queryCompileError"]["location"]
    assert location == {"startCharOffset": 34, "endCharOffset": 48}  # the third stats
