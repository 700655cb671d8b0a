"""Logs Insights through boto3, spec §8: every scalar function, period units and caps.

One group of two events: a JSON document with strings, numbers and addresses to feed the
functions, and a plain line. Calendar flooring is checked on fixed instants (`fromMillis`) so
that the expected values do not depend on when the test runs.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import OwlServer
from tests.protocol.test_insights_support import T0, Event, load, malformed, rows, timestamp

DOC = {
    "s": "  Hello World  ",
    "t": "xyZfooxyZ",
    "ip4": "192.168.1.10",
    "ip6": "2001:db8::1",
    "bad": "256.1.1.1",
    "short": "1.2.3",
    "n": -2.5,
    "empty": "",
    "blank": "   ",
    "u": "héllo",
    "raw": json.dumps({"a": [1, 2], "b": {"c": "d"}}),
    "epoch": 1642195111000,
}
AT = T0 + 1_234  # the document's timestamp
EVENTS = [Event("s", AT, json.dumps(DOC)), Event("s", T0 + 5_000, "plain line")]
# Wednesday 2023-11-15 13:14:15.678 UTC
INSTANT = int(datetime(2023, 11, 15, 13, 14, 15, 678_000, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture(scope="module")
def g(owl_server: OwlServer) -> str:
    return load(owl_server.client("logs"), f"/owl-test/insights-fn/{uuid.uuid4()}", EVENTS)


def one(logs: Any, g: str, fields: str) -> dict[str, str]:
    """The fields evaluated on the JSON document."""
    (row,) = rows(logs, g, f"filter ispresent(t) | fields {fields}")
    return dict(row)


def utc(*parts: int) -> str:
    return timestamp(int(datetime(*parts, tzinfo=UTC).timestamp() * 1000))  # type: ignore[misc]


# -- §8.1 general and JSON --------------------------------------------------------------------


def test_8_1_ispresent(logs: Any, g: str) -> None:
    assert one(logs, g, "ispresent(t) as a, ispresent(nosuch) as b, ispresent(empty) as c") == {
        "a": "1",
        "b": "0",
        "c": "1",
    }
    assert rows(logs, g, "filter not ispresent(t) | fields @message") == [
        {"@message": "plain line"}
    ]


def test_8_1_coalesce(logs: Any, g: str) -> None:
    assert one(logs, g, "coalesce(nosuch, t, 'd') as a, coalesce(nosuch, 'd') as b") == {
        "a": "xyZfooxyZ",
        "b": "d",
    }
    assert one(logs, g, "coalesce(nosuch, other) as c, t") == {"t": "xyZfooxyZ"}


def test_8_1_json_parse_and_stringify(logs: Any, g: str) -> None:
    fields = (
        "jsonParse(raw) as j, jsonParse(t) as bad | fields j.a[1] as second, j.b.c as c, "
        "jsonStringify(j) as back, jsonStringify(j.a) as list, ispresent(bad) as parsed "
        "| display second, c, back, list, parsed"
    )
    assert one(logs, g, fields) == {
        "second": "2",
        "c": "d",
        "back": '{"a":[1,2],"b":{"c":"d"}}',
        "list": "[1,2]",
        "parsed": "0",
    }


# -- §8.2 string ------------------------------------------------------------------------------


def test_8_2_isempty_and_isblank(logs: Any, g: str) -> None:
    fields = (
        "isempty(nosuch) as e1, isempty(empty) as e2, isempty(blank) as e3, isempty(t) as e4, "
        "isblank(nosuch) as b1, isblank(empty) as b2, isblank(blank) as b3, isblank(t) as b4"
    )
    assert one(logs, g, fields) == {
        "e1": "1",
        "e2": "1",
        "e3": "0",
        "e4": "0",
        "b1": "1",
        "b2": "1",
        "b3": "1",
        "b4": "0",
    }


def test_8_2_concat_renders_numbers_and_skips_missing(logs: Any, g: str) -> None:
    assert one(logs, g, "concat('a', nosuch, 1.5 * 2, n, t) as c") == {"c": "a3.0-2.5xyZfooxyZ"}


def test_8_2_trim_whitespace_and_character_sets(logs: Any, g: str) -> None:
    fields = (
        "ltrim(s) as l, rtrim(s) as r, trim(s) as b, ltrim(t, 'xyZ') as lc, "
        "rtrim(t, 'Zy') as rc, trim(t, 'xyZ') as bc, ltrim('xyZfoo', 'yx') as set"
    )
    assert one(logs, g, fields) == {
        "l": "Hello World  ",
        "r": "  Hello World",
        "b": "Hello World",
        "lc": "fooxyZ",
        "rc": "xyZfoox",
        "bc": "foo",
        "set": "Zfoo",
    }


def test_8_2_strlen_counts_code_points_and_case_functions(logs: Any, g: str) -> None:
    assert one(
        logs, g, "strlen(u) as n, strlen(empty) as z, toupper(u) as up, tolower(s) as lo"
    ) == {
        "n": "5",
        "z": "0",
        "up": "HÉLLO",
        "lo": "  hello world  ",
    }


def test_8_2_substr_is_zero_based(logs: Any, g: str) -> None:
    fields = (
        "substr(t, 3, 3) as a, substr(t, 3) as b, substr(t, 0, 1) as c, substr(t, 20) as d, "
        "substr(t, 3, 0) as e, substr('xyZfooxyZ', 3, 3) as f"
    )
    assert one(logs, g, fields) == {
        "a": "foo",
        "b": "fooxyZ",
        "c": "x",
        "d": "",
        "e": "",
        "f": "foo",
    }


def test_8_2_replace_and_strcontains(logs: Any, g: str) -> None:
    fields = (
        "replace(t, 'xyZ', '-') as r, replace(t, '.', '!') as literal, "
        "strcontains(t, 'foo') as a, strcontains(t, 'FOO') as b"
    )
    assert one(logs, g, fields) == {"r": "-foo-", "literal": "xyZfooxyZ", "a": "1", "b": "0"}


# -- §8.3 date and time -----------------------------------------------------------------------


def test_8_3_bin_floors_the_event_time(logs: Any, g: str) -> None:
    fields = "bin(1s) as s, bin(1m) as m, bin(1h) as h, bin(1d) as d, bin(100ms) as ms"
    hour = T0 // 3_600_000 * 3_600_000
    assert one(logs, g, fields) == {
        "s": timestamp(T0 + 1_000),
        "m": timestamp(T0),
        "h": timestamp(hour),
        "d": timestamp(T0 // 86_400_000 * 86_400_000),
        "ms": timestamp(T0 + 1_200),
    }


def test_8_3_period_counts_above_the_cap_are_clamped(logs: Any, g: str) -> None:
    fields = "bin(2000ms) as ms, bin(300s) as s, bin(90m) as m, bin(48h) as h"
    assert one(logs, g, fields) == {
        "ms": timestamp(T0 + 1_000),
        "s": timestamp(T0),
        "m": timestamp(T0 // 3_600_000 * 3_600_000),
        "h": timestamp(T0 // 86_400_000 * 86_400_000),
    }


def test_8_3_datefloor_calendar_units(logs: Any, g: str) -> None:
    at = f"fromMillis({INSTANT})"
    fields = ", ".join(
        f"datefloor({at}, {p}) as {name}"
        for name, p in (
            ("s", "1s"),
            ("d", "1d"),
            ("w", "1w"),
            ("mo", "1mo"),
            ("q", "1q"),
            ("y", "1y"),
        )
    )
    assert one(logs, g, fields) == {
        "s": utc(2023, 11, 15, 13, 14, 15),
        "d": utc(2023, 11, 15),
        "w": utc(2023, 11, 13),  # Monday
        "mo": utc(2023, 11, 1),
        "q": utc(2023, 10, 1),
        "y": utc(2023, 1, 1),
    }


def test_8_3_14_13_dateceil_and_exact_boundaries(logs: Any, g: str) -> None:
    midnight = int(datetime(2023, 11, 15, tzinfo=UTC).timestamp() * 1000)
    fields = (
        f"dateceil(fromMillis({INSTANT}), 1d) as d, dateceil(fromMillis({INSTANT}), 1mo) as mo, "
        f"dateceil(fromMillis({INSTANT}), 1h) as h, dateceil(fromMillis({midnight}), 1d) as same, "
        f"datefloor(fromMillis({midnight}), 1d) as floor"
    )
    assert one(logs, g, fields) == {
        "d": utc(2023, 11, 16),
        "mo": utc(2023, 12, 1),
        "h": utc(2023, 11, 15, 14),
        "same": utc(2023, 11, 15),
        "floor": utc(2023, 11, 15),
    }


def test_8_3_from_millis_to_millis_and_now(logs: Any, g: str) -> None:
    before = int(time.time())
    found = one(
        logs,
        g,
        "fromMillis(epoch) as f, toMillis(@timestamp) as t, toMillis(fromMillis(epoch)) as back, "
        "now() as now",
    )
    after = int(time.time())
    now = found.pop("now")
    assert found == {"f": "2022-01-14 21:18:31.000", "t": str(AT), "back": "1642195111000"}
    assert now.isdigit() and before - 1 <= int(now) <= after + 1


UNITS = [
    ("ms", 1),
    ("msec", 1),
    ("msecs", 1),
    ("millisecond", 1),
    ("milliseconds", 1),
    ("s", 1_000),
    ("sec", 1_000),
    ("secs", 1_000),
    ("second", 1_000),
    ("seconds", 1_000),
    ("m", 60_000),
    ("min", 60_000),
    ("mins", 60_000),
    ("minute", 60_000),
    ("minutes", 60_000),
    ("h", 3_600_000),
    ("hr", 3_600_000),
    ("hrs", 3_600_000),
    ("hour", 3_600_000),
    ("hours", 3_600_000),
    ("d", 86_400_000),
    ("day", 86_400_000),
    ("days", 86_400_000),
]


def test_8_3_period_unit_spellings(logs: Any, g: str) -> None:
    fields = ", ".join(f"toMillis(bin(1{unit})) as u{i}" for i, (unit, _) in enumerate(UNITS))
    found = one(logs, g, fields)
    assert found == {f"u{i}": str(AT // size * size) for i, (_, size) in enumerate(UNITS)}
    calendar = ["w", "week", "weeks", "mo", "mon", "month", "months", "q", "qtr", "quarter"]
    calendar += ["quarters", "y", "yr", "year", "years"]
    at = f"fromMillis({INSTANT})"
    fields = ", ".join(f"datefloor({at}, 1{unit}) as c{i}" for i, unit in enumerate(calendar))
    expected = [utc(2023, 11, 13)] * 3 + [utc(2023, 11, 1)] * 4 + [utc(2023, 10, 1)] * 4
    expected += [utc(2023, 1, 1)] * 4
    assert one(logs, g, fields) == {f"c{i}": e for i, e in enumerate(expected)}


@pytest.mark.parametrize("period", ["1H", "5M", "1Mo", "1D", "1x"])
def test_8_3_period_units_are_case_sensitive(logs: Any, g: str, period: str) -> None:
    assert malformed(logs, g, f"stats count(*) by bin({period})")[1] == period


# -- §8.4 numeric ------------------------------------------------------------------------------


def test_8_4_arithmetic(logs: Any, g: str) -> None:
    fields = (
        "1 + 2 as add, 5 - 7 as sub, 3 * 4 as mul, 7 / 2 as div, 7 / 0 as zero, 10 % 3 as mod, "
        "-7 % 3 as negmod, 7 % -3 as modneg, 2 ^ 3 as pow, 1 / 3 as third"
    )
    assert one(logs, g, fields) == {
        "add": "3.0",
        "sub": "-2.0",
        "mul": "12.0",
        "div": "3.5",
        "mod": "1.0",
        "negmod": "-1.0",
        "modneg": "1.0",
        "pow": "8.0",
        "third": "0.3333333333333333",
    }


def test_8_4_numeric_functions(logs: Any, g: str) -> None:
    fields = (
        "abs(n) as abs, ceil(n) as ceil, floor(n) as floor, sqrt(16) as sqrt, log(1) as log0, "
        "log(100) as log, greatest(1, 5, nosuch) as most, least(3, nosuch, -1) as fewest"
    )
    assert one(logs, g, fields) == {
        "abs": "2.5",
        "ceil": "-2.0",
        "floor": "-3.0",
        "sqrt": "4.0",
        "log0": "0.0",
        "log": "4.605170185988092",
        "most": "5.0",
        "fewest": "-1.0",
    }


# -- §8.5 IP addresses ------------------------------------------------------------------------


def test_8_5_ip_validity(logs: Any, g: str) -> None:
    fields = (
        "isValidIp(ip4) as a, isValidIp(ip6) as b, isValidIp(bad) as c, isValidIp(short) as d, "
        "isValidIpV4(ip4) as e, isValidIpV4(ip6) as f, isValidIpV6(ip6) as h, "
        "isValidIpV6(ip4) as i, isValidIpV6('::ffff:1.2.3.4') as j, isValidIpV6('1::2::3') as k"
    )
    assert one(logs, g, fields) == {
        "a": "1",
        "b": "1",
        "c": "0",
        "d": "0",
        "e": "1",
        "f": "0",
        "h": "1",
        "i": "0",
        "j": "1",
        "k": "0",
    }


def test_8_5_ip_subnets(logs: Any, g: str) -> None:
    fields = (
        "isIpInSubnet(ip4, '192.168.0.0/16') as a, isIpInSubnet(ip4, '10.0.0.0/8') as b, "
        "isIpInSubnet(ip6, '2001:db8::/32') as c, isIpInSubnet(bad, '0.0.0.0/0') as d, "
        "isIpv4InSubnet(ip4, '192.168.1.0/24') as e, isIpv4InSubnet(ip6, '2001:db8::/32') as f, "
        "isIpv6InSubnet(ip6, '2001:db8::/32') as h, isIpv6InSubnet(ip4, '192.168.0.0/16') as i"
    )
    assert one(logs, g, fields) == {
        "a": "1",
        "b": "0",
        "c": "1",
        "d": "0",
        "e": "1",
        "f": "0",
        "h": "1",
        "i": "0",
    }
    assert rows(logs, g, "filter isIpv4InSubnet(ip4, '192.168.1.0/24') | fields ip4") == [
        {"ip4": "192.168.1.10"}
    ]


# -- §8.6 newer families ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    ["round(n)", "toNumber(t)", "regexReplace(t, 'x', 'y')", "md5(t)", "sha256(t)"],
)
def test_8_6_functions_owl_lacks_are_malformed(logs: Any, g: str, call: str) -> None:
    message, pointed = malformed(logs, g, f"fields {call} as x")
    assert pointed == call.split("(")[0]
    assert message
