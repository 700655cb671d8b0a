"""Every kind of filter pattern through boto3 against a live server: FilterLogEvents across
streams and pages, TestMetricFilter, and the errors of invalid patterns.

The first data set is the message set of spec/filter-patterns.md §11, whose table says which
messages each pattern selects. The second is larger and mixed (JSON, access lines, Lambda
REPORT lines, VPC flow lines, plain text) over three streams, with the expected events chosen
by plain Python predicates written here, one per pattern.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.protocol.support import error_of

SPEC_MESSAGES = {
    "m1": "payment failed: card declined",
    "m2": "payment ok",
    "m3": "REFUND requested by ops",
    "m4": '{"evt":"charge","amount":120,"card":{"brand":"visa"},"flags":["vip","eu"],"note":null}',
    "m5": '{"evt":"refund","amount":-40,"flags":[],"ok":true}',
    "m6": '10.1.2.3 - ann [01/Jan/2024:10:00:00 +0000] "POST /pay HTTP/1.1" 502 77',
}

SPEC_TABLE = [
    ("payment", "m1 m2"),
    ("payment -failed", "m2"),
    ("?REFUND ?declined", "m1 m3"),
    ("?REFUND payment", "m1 m2"),
    ('"card declined"', "m1"),
    ("decl", "m1"),
    ("%^payment o%", "m2"),
    ("{ $.amount < 0 }", "m5"),
    ('{ $.card.brand = "vi*" }', "m4"),
    ('{ $.flags[*] = "eu" }', "m4"),
    ('{ $.flags != "x" }', ""),
    ("{ $.note IS NULL }", "m4"),
    ("{ $.note NOT EXISTS }", "m5"),
    ("{ $.ok IS TRUE || $.amount > 100 }", "m4 m5"),
    ("[ip, id, user, ts, req, code >= 500, bytes]", "m6"),
    ("[..., code = 5*, bytes]", "m6"),
    ("[ip, rest]", "m1 m2 m3 m6"),
    ("", "m1 m2 m3 m4 m5 m6"),
]


@pytest.fixture(scope="module")
def spec_group(owl_server: Any) -> str:
    """The §11 messages, one per millisecond, alternating over two streams."""
    logs = owl_server.client()
    group = "/owl/tests/patterns/spec"
    logs.create_log_group(logGroupName=group)
    for s in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    base = _now_ms() - 60_000
    for i, message in enumerate(SPEC_MESSAGES.values()):
        logs.put_log_events(
            logGroupName=group,
            logStreamName="ab"[i % 2],
            logEvents=[{"timestamp": base + i, "message": message}],
        )
    return group


@pytest.mark.parametrize(("pattern", "expected"), SPEC_TABLE)
def test_spec_examples_select_the_documented_messages(
    logs: Any, spec_group: str, pattern: str, expected: str
) -> None:
    got = _filter_all(logs, group=spec_group, filterPattern=pattern, limit=1)
    want = [SPEC_MESSAGES[k] for k in expected.split()]
    assert [e["message"] for e in got] == want


@pytest.mark.parametrize(("pattern", "expected"), SPEC_TABLE)
def test_test_metric_filter_agrees_with_filter_log_events(
    logs: Any, pattern: str, expected: str
) -> None:
    messages = list(SPEC_MESSAGES.values())
    matches = logs.test_metric_filter(filterPattern=pattern, logEventMessages=messages)["matches"]
    names = list(SPEC_MESSAGES)
    assert [names[m["eventNumber"]] for m in matches] == expected.split()
    assert [m["eventMessage"] for m in matches] == [SPEC_MESSAGES[k] for k in expected.split()]


def test_test_metric_filter_extracts_space_delimited_fields(logs: Any) -> None:
    out = logs.test_metric_filter(
        filterPattern="[..., code = 5*, bytes]",
        logEventMessages=[SPEC_MESSAGES["m2"], SPEC_MESSAGES["m6"]],
    )
    assert out["matches"] == [
        {
            "eventNumber": 1,
            "eventMessage": SPEC_MESSAGES["m6"],
            "extractedValues": {
                "$1": "10.1.2.3",
                "$2": "-",
                "$3": "ann",
                "$4": "01/Jan/2024:10:00:00 +0000",
                "$5": "POST /pay HTTP/1.1",
                "$code": "502",
                "$bytes": "77",
            },
        }
    ]


def test_test_metric_filter_json_and_terms_extract_nothing(logs: Any) -> None:
    out = logs.test_metric_filter(
        filterPattern="{ $.amount > 100 }", logEventMessages=[SPEC_MESSAGES["m4"]]
    )
    assert out["matches"] == [
        {"eventNumber": 0, "eventMessage": SPEC_MESSAGES["m4"], "extractedValues": {}}
    ]


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = 1",
        "[a, b",
        "{ $.a = }",
        "%a(b)%",
        '"unterminated',
        "{ $.a == 1 }",
        "[a, b = ]",
    ],
)
def test_invalid_patterns_are_invalid_parameter(logs: Any, spec_group: str, pattern: str) -> None:
    for call in (
        lambda: logs.filter_log_events(logGroupName=spec_group, filterPattern=pattern),
        lambda: logs.test_metric_filter(filterPattern=pattern, logEventMessages=["x"]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        code, message = error_of(exc)
        assert code == "InvalidParameterException"
        assert "filter pattern" in message.lower()


def test_a_pattern_over_1024_characters_is_refused(logs: Any, spec_group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=spec_group, filterPattern="x" * 1025)
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert "1024" in message


def test_test_metric_filter_needs_one_to_fifty_messages(logs: Any) -> None:
    from tests.protocol.support import lenient

    client = lenient(logs)
    for messages in ([], ["x"] * 51):
        with pytest.raises(ClientError) as exc:
            client.test_metric_filter(filterPattern="x", logEventMessages=messages)
        assert error_of(exc)[0] == "InvalidParameterException"


# -- a larger mixed data set, three streams, many pages ---------------------------------------


def _json_line(rng: random.Random) -> str:
    doc: dict[str, Any] = {
        "level": rng.choice(["info", "info", "warn", "error"]),
        "latency": rng.randrange(0, 1000),
        "http": {"status": rng.choice([200, 200, 404, 503])},
        "tags": rng.sample(["blue", "green", "red"], rng.randrange(0, 3)),
    }
    if rng.random() < 0.2:
        doc["user"] = None
    return json.dumps(doc)


def _access_line(rng: random.Random) -> str:
    status = rng.choice([200, 200, 201, 404, 500, 503])
    return (
        f"10.0.{rng.randrange(4)}.{rng.randrange(9)} - u{rng.randrange(5)} "
        f'[25/Nov/2026:10:00:{rng.randrange(60):02d} +0000] "GET /x/{rng.randrange(99)} '
        f'HTTP/1.1" {status} {rng.randrange(10, 5000)}'
    )


def _lambda_line(rng: random.Random) -> str:
    ms = rng.uniform(1, 3000)
    return (
        f"REPORT RequestId: {rng.getrandbits(64):016x}\tDuration: {ms:.2f} ms\t"
        f"Billed Duration: {int(ms) + 1} ms\tMemory Size: 128 MB\t"
        f"Max Memory Used: {rng.randrange(40, 128)} MB"
    )


def _vpc_line(rng: random.Random) -> str:
    action = rng.choice(["ACCEPT", "ACCEPT", "REJECT"])
    port = rng.choice([22, 443, 80, 5432])
    return (
        f"2 123456789012 eni-{rng.getrandbits(32):08x} 10.0.0.{rng.randrange(9)} "
        f"10.0.1.{rng.randrange(9)} {rng.randrange(1024, 65535)} {port} 6 "
        f"{rng.randrange(1, 50)} {rng.randrange(40, 9000)} 1732500000 1732500060 {action} OK"
    )


def _text_line(rng: random.Random) -> str:
    return rng.choice(
        [
            "ERROR connection reset by peer",
            "WARN slow response from upstream",
            "DEBUG cache miss for key user-42",
            "INFO request served",
            "user-7 logged in",
        ]
    )


def _doc(m: str) -> Any:
    try:
        return json.loads(m)
    except ValueError:
        return None


def _fields(m: str) -> list[str]:
    """Space-separated fields; "quoted" and [bracketed] runs are one field, without the marks."""
    return [
        t[1:-1] if len(t) > 1 and (t[0], t[-1]) in (('"', '"'), ("[", "]")) else t
        for t in re.findall(r'"[^"]*"|\[[^\]]*\]|[^ ]+', m)
    ]


MIXED_CASES: list[tuple[str, Callable[[str], bool]]] = [
    ("ERROR", lambda m: "ERROR" in m),
    ('"connection reset"', lambda m: "connection reset" in m),
    ("?ERROR ?WARN", lambda m: "ERROR" in m or "WARN" in m),
    ("user -DEBUG", lambda m: "user" in m and "DEBUG" not in m),
    ("%user-[0-9]+%", lambda m: re.search(r"user-[0-9]+", m) is not None),
    (
        '{ $.level = "error" && $.latency > 500 }',
        lambda m: isinstance(d := _doc(m), dict) and d["level"] == "error" and d["latency"] > 500,
    ),
    (
        "{ $.http.status = 503 || $.user IS NULL }",
        lambda m: (
            isinstance(d := _doc(m), dict)
            and (d["http"]["status"] == 503 or ("user" in d and d["user"] is None))
        ),
    ),
    ('{ $.tags[*] = "red" }', lambda m: isinstance(d := _doc(m), dict) and "red" in d["tags"]),
    (
        "[ip, id, user, ts, request, status = 5*, size]",
        lambda m: len(f := _fields(m)) >= 7 and f[5].startswith("5"),
    ),
    (
        "[v, account, eni, src, dst, sport, dport = 22, proto, packets, bytes, start, end, "
        'action = "REJECT", status]',
        lambda m: len(f := _fields(m)) >= 14 and f[6] == "22" and f[12] == "REJECT",
    ),
    ("Duration", lambda m: m.startswith("REPORT")),
]


@pytest.fixture(scope="module")
def mixed(owl_server: Any) -> tuple[str, list[tuple[str, int, str]]]:
    """3,000 events of every kind over three streams, timestamps unique and interleaved."""
    rng = random.Random(7)
    makers = [_json_line, _access_line, _lambda_line, _vpc_line, _text_line]
    logs = owl_server.client()
    group = "/owl/tests/patterns/mixed"
    logs.create_log_group(logGroupName=group)
    streams = ["s0", "s1", "s2"]
    for s in streams:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    base = _now_ms() - 600_000
    events = [(streams[i % 3], base + i, rng.choice(makers)(rng)) for i in range(3_000)]
    for s in streams:
        mine = [{"timestamp": ts, "message": m} for st, ts, m in events if st == s]
        for k in range(0, len(mine), 400):
            logs.put_log_events(logGroupName=group, logStreamName=s, logEvents=mine[k : k + 400])
    return group, events


@pytest.mark.parametrize(("pattern", "select"), MIXED_CASES, ids=[c[0] for c in MIXED_CASES])
def test_every_pattern_kind_pages_across_streams(
    logs: Any,
    mixed: tuple[str, list[tuple[str, int, str]]],
    pattern: str,
    select: Callable[[str], bool],
) -> None:
    group, events = mixed
    want = [(s, ts, m) for s, ts, m in events if select(m)]
    assert 0 < len(want) < len(events)  # the case discriminates
    got = _filter_all(logs, group=group, filterPattern=pattern, limit=97)
    assert [(e["logStreamName"], e["timestamp"], e["message"]) for e in got] == want


def test_patterns_combine_with_stream_names(
    logs: Any, mixed: tuple[str, list[tuple[str, int, str]]]
) -> None:
    group, events = mixed
    want = [(s, ts) for s, ts, m in events if s in ("s0", "s2") and "ERROR" in m]
    got = _filter_all(
        logs, group=group, filterPattern="ERROR", logStreamNames=["s2", "s0"], limit=13
    )
    assert [(e["logStreamName"], e["timestamp"]) for e in got] == want


# -- helpers -----------------------------------------------------------------------------------


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def _filter_all(logs: Any, *, group: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"logGroupName": group, **params}
    if not kwargs.get("filterPattern"):
        kwargs.pop("filterPattern", None)
    for _ in range(10_000):
        page = logs.filter_log_events(**kwargs)
        out += page["events"]
        if "nextToken" not in page:
            return out
        kwargs["nextToken"] = page["nextToken"]
    raise AssertionError("FilterLogEvents never ended")
