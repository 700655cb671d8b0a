"""PutLogEvents through boto3 and raw HTTP: every rule of the API, read back with GetLogEvents.

The rules (spec api-surface 2.1, formats 0.1b): 1..10,000 events; at most 1,048,576 bytes
counted as UTF-8 message bytes + 26 per event; non-empty messages; chronological order and a
span of at most 24 h (whole call rejected); too old (> 14 days), expired (older than the
group's retention) and too new (> 2 h ahead) events skipped and reported by index while the
rest is stored; sequence tokens accepted and ignored.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import error_of
from tests.signing import RawResponse, send, signed_request

HOUR = 3600 * 1000
DAY = 24 * HOUR
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
GROUP_MISSING = "The specified log group does not exist."
STREAM_MISSING = "The specified log stream does not exist."
OUT_OF_ORDER = "Log events in a single PutLogEvents request must be in chronological order."
TOO_LONG_SPAN = (
    "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
)

# Characters that JSON, UTF-8 or a naive serializer get wrong.
NASTY_MESSAGES = [
    'quote " and backslash \\ and slash /',
    "new\nline, carriage\rreturn, tab\t, backspace\b, form feed\f",
    "nul \x00 and controls \x01\x02\x1f and del \x7f",
    "latin é ñ ü ß, greek Ω, cyrillic Ж",
    "cjk 日本語 中文 한국어",
    "rtl שלום مرحبا",
    "combining e\u0301 and zero width \u200b joiner \u200d",
    "astral 😀 🎉 𝄞 \U0010fffd",
    "separators \u2028 \u2029 and bom \ufeff and \uffff",
    '{"json": [1, 2.5, {"nested": null, "t": true}], "s": "x\\"y"}',
    "literal escapes \\u0041 \\n \\t",
    "</script><script>alert(1)</script> & <b>",
    "null",
    "true",
    "0",
    " ",
    "trailing newline\n",
    "x" * 5000,
]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def lenient(server: OwlServer) -> Any:
    """A client that skips botocore's own parameter checks, so the server sees bad input."""
    return boto3.client(
        "logs",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def events_at(timestamps: list[int], prefix: str = "e") -> list[dict[str, Any]]:
    return [{"timestamp": t, "message": f"{prefix}{i}"} for i, t in enumerate(timestamps)]


def read_all(logs: Any, group: str, stream: str) -> list[dict[str, Any]]:
    """Every event of the stream, oldest first, by forward paging."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kw: dict[str, Any] = {"logGroupName": group, "logStreamName": stream}
        kw["startFromHead"] = True
        if token:
            kw["nextToken"] = token
        page = logs.get_log_events(**kw)
        out += page["events"]
        if page["nextForwardToken"] == token:
            return out
        token = page["nextForwardToken"]


def stored(logs: Any, group: str, stream: str) -> list[tuple[int, str]]:
    return [(e["timestamp"], e["message"]) for e in read_all(logs, group, stream)]


def raw_put(server: OwlServer, body: bytes) -> RawResponse:
    request = signed_request(
        server.endpoint + "/",
        body,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        target="Logs_20140328.PutLogEvents",
    )
    return send(server.endpoint, dict(request.headers.items()), body)


@pytest.fixture
def stream(logs: Any, unique_name: str) -> tuple[str, str]:
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    return unique_name, "s"


# --- count and size limits --------------------------------------------------------------------


def test_ten_thousand_events_accepted_and_stored(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    base = now_ms() - HOUR
    events = [{"timestamp": base + i // 7, "message": f"m{i}"} for i in range(10_000)]
    resp = logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert "rejectedLogEventsInfo" not in resp
    assert stored(logs, group, name) == [(e["timestamp"], e["message"]) for e in events]


def test_ten_thousand_and_one_events_rejected(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    base = now_ms() - HOUR
    events = [{"timestamp": base, "message": "m"} for _ in range(10_001)]
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert "'logEvents'" in message
    assert "Member must have length less than or equal to 10000" in message
    assert stored(logs, group, name) == []


def sized_events(total_bytes: int, count: int, base: int, char: str) -> list[dict[str, Any]]:
    """`count` events whose UTF-8 size plus 26 bytes each is exactly `total_bytes`."""
    width = len(char.encode())
    budget = total_bytes - EVENT_OVERHEAD * count
    per, rest = divmod(budget, count)
    events: list[dict[str, Any]] = []
    for i in range(count):
        size = per + (rest if i == count - 1 else 0)
        chars, pad = divmod(size, width)
        events.append({"timestamp": base + i, "message": char * chars + "a" * pad})
    assert sum(len(e["message"].encode()) + EVENT_OVERHEAD for e in events) == total_bytes
    return events


@pytest.mark.parametrize("char", ["a", "é", "😀"], ids=["ascii", "2-byte", "4-byte"])
def test_batch_of_exactly_one_mebibyte_accepted(
    logs: Any, stream: tuple[str, str], char: str
) -> None:
    group, name = stream
    events = sized_events(MAX_BATCH_BYTES, 5, now_ms() - HOUR, char)
    logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert stored(logs, group, name) == [(e["timestamp"], e["message"]) for e in events]


@pytest.mark.parametrize("char", ["a", "é", "😀"], ids=["ascii", "2-byte", "4-byte"])
def test_batch_one_byte_over_rejected(logs: Any, stream: tuple[str, str], char: str) -> None:
    """Counted in UTF-8 bytes: with multi-byte characters a count of characters would pass."""
    group, name = stream
    events = sized_events(MAX_BATCH_BYTES + 1, 5, now_ms() - HOUR, char)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert str(MAX_BATCH_BYTES + 1) in message and str(MAX_BATCH_BYTES) in message
    assert stored(logs, group, name) == []


def test_event_overhead_counts_per_event(logs: Any, stream: tuple[str, str]) -> None:
    """Many tiny events: 26 bytes each is what tips the batch over, not the messages."""
    group, name = stream
    count = 10_000
    # 10,000 × 26 = 260,000 overhead; messages fill the rest up to one byte over.
    events = sized_events(MAX_BATCH_BYTES + 1, count, now_ms() - HOUR, "a")
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert error_of(exc)[0] == "InvalidParameterException"
    events = sized_events(MAX_BATCH_BYTES, count, now_ms() - HOUR, "a")
    logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert len(read_all(logs, group, name)) == count


def test_empty_message_rejected(owl_server: OwlServer, logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    events = events_at([now_ms()] * 3)
    events[1]["message"] = ""
    with pytest.raises(ClientError) as exc:
        lenient(owl_server).put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '' at 'logEvents.2.member.message' failed to "
        "satisfy constraint: Member must have length greater than or equal to 1",
    )
    assert stored(logs, group, name) == []


def test_empty_batch_rejected(owl_server: OwlServer, stream: tuple[str, str]) -> None:
    group, name = stream
    with pytest.raises(ClientError) as exc:
        lenient(owl_server).put_log_events(logGroupName=group, logStreamName=name, logEvents=[])
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert "'logEvents'" in message and "greater than or equal to 1" in message


def test_negative_timestamp_rejected(
    owl_server: OwlServer, logs: Any, stream: tuple[str, str]
) -> None:
    group, name = stream
    with pytest.raises(ClientError) as exc:
        lenient(owl_server).put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=[{"timestamp": -1, "message": "m"}],
        )
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '-1' at 'logEvents.1.member.timestamp' failed to "
        "satisfy constraint: Member must have value greater than or equal to 0",
    )


# --- order and span ---------------------------------------------------------------------------


def test_events_out_of_order_reject_the_whole_call(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - HOUR
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group, logStreamName=name, logEvents=events_at([t, t + 2, t + 1])
        )
    assert error_of(exc) == ("InvalidParameterException", OUT_OF_ORDER)
    assert stored(logs, group, name) == []


def test_equal_timestamps_are_in_order(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - HOUR
    events = events_at([t, t, t, t + 1, t + 1])
    logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert stored(logs, group, name) == [(e["timestamp"], e["message"]) for e in events]


def test_span_of_exactly_24_hours_accepted(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - 2 * DAY
    events = events_at([t, t + DAY // 2, t + DAY])
    resp = logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert "rejectedLogEventsInfo" not in resp
    assert len(stored(logs, group, name)) == 3


def test_span_over_24_hours_rejects_the_whole_call(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - 2 * DAY
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group, logStreamName=name, logEvents=events_at([t, t + 1, t + DAY + 1])
        )
    assert error_of(exc) == ("InvalidParameterException", TOO_LONG_SPAN)
    assert stored(logs, group, name) == []


def test_too_old_and_too_new_cannot_share_a_batch(logs: Any, stream: tuple[str, str]) -> None:
    """Too old and too new are 14 days apart: the span rule refuses the call first."""
    group, name = stream
    now = now_ms()
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=events_at([now - 15 * DAY, now, now + 3 * HOUR]),
        )
    assert error_of(exc) == ("InvalidParameterException", TOO_LONG_SPAN)


# --- skipped events: too old, too new, expired ------------------------------------------------


def put_and_check(
    logs: Any,
    group: str,
    name: str,
    offsets: list[int],
    rejected: dict[str, int],
    kept: range,
) -> None:
    events = events_at([now_ms() + o for o in offsets])
    resp = logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert resp.get("rejectedLogEventsInfo", {}) == rejected
    assert resp["nextSequenceToken"]
    assert [m for _, m in stored(logs, group, name)] == [f"e{i}" for i in kept]


def test_too_old_events_skipped_rest_stored(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    offsets = [
        -14 * DAY - 10 * HOUR,
        -14 * DAY - 5 * HOUR,
        -14 * DAY + 5 * HOUR,
        -14 * DAY + 10 * HOUR,
    ]
    put_and_check(logs, group, name, offsets, {"tooOldLogEventEndIndex": 2}, range(2, 4))


def test_too_new_events_skipped_rest_stored(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    offsets = [-HOUR, 0, HOUR, 2 * HOUR - 60_000, 2 * HOUR + 60_000, 5 * HOUR]
    put_and_check(logs, group, name, offsets, {"tooNewLogEventStartIndex": 4}, range(0, 4))


def test_all_events_too_new(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    put_and_check(
        logs, group, name, [3 * HOUR, 4 * HOUR], {"tooNewLogEventStartIndex": 0}, range(0)
    )


def test_all_events_too_old(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    put_and_check(
        logs, group, name, [-20 * DAY, -20 * DAY + 1], {"tooOldLogEventEndIndex": 2}, range(0)
    )


def test_expired_events_skipped_rest_stored(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    # 47 h and 46 h old are past a 1-day retention; the span is exactly 24 h.
    offsets = [-47 * HOUR, -46 * HOUR, -23 * HOUR - 30 * 60_000, -23 * HOUR]
    put_and_check(logs, group, name, offsets, {"expiredLogEventEndIndex": 2}, range(2, 4))


def test_retention_removed_means_nothing_expires(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    logs.delete_retention_policy(logGroupName=group)
    put_and_check(logs, group, name, [-47 * HOUR, -46 * HOUR, -23 * HOUR], {}, range(0, 3))


def test_too_old_and_expired_in_one_batch(logs: Any, stream: tuple[str, str]) -> None:
    """With a 7-day retention, events past 14 days are too old and those past 7 expired."""
    group, name = stream
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    offsets = [
        -14 * DAY - 10 * HOUR,
        -14 * DAY - 5 * HOUR,
        -14 * DAY + 5 * HOUR,
        -14 * DAY + 10 * HOUR,
    ]
    put_and_check(
        logs,
        group,
        name,
        offsets,
        {"tooOldLogEventEndIndex": 2, "expiredLogEventEndIndex": 4},
        range(0),
    )


def test_combined_rejections_exact_indexes(logs: Any, stream: tuple[str, str]) -> None:
    """Every feasible mix in consecutive batches of one stream, each with exact indexes."""
    group, name = stream
    # The 24-hour span rule makes too-new incompatible with too-old and expired in one call.
    logs.put_retention_policy(logGroupName=group, retentionInDays=3)
    now = now_ms()
    batches: list[tuple[list[int], dict[str, int], list[int]]] = [
        (
            [-3 * DAY - 5 * HOUR, -3 * DAY - 4 * HOUR, -3 * DAY - 3 * HOUR, -3 * DAY + HOUR],
            {"expiredLogEventEndIndex": 3},
            [3],
        ),
        (
            [-HOUR, -HOUR, 0, 2 * HOUR + 60_000, 2 * HOUR + 60_000],
            {"tooNewLogEventStartIndex": 3},
            [0, 1, 2],
        ),
        ([-2 * DAY, -2 * DAY + 1], {}, [0, 1]),
    ]
    expected: list[tuple[int, str]] = []
    for n, (offsets, rejected, kept) in enumerate(batches):
        events = events_at([now + o for o in offsets], prefix=f"b{n}-")
        resp = logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
        assert resp.get("rejectedLogEventsInfo", {}) == rejected
        expected += [(events[i]["timestamp"], events[i]["message"]) for i in kept]
    assert stored(logs, group, name) == sorted(expected)


# --- tokens and missing resources --------------------------------------------------------------


def test_sequence_token_accepted_and_ignored(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - HOUR
    first = logs.put_log_events(
        logGroupName=group, logStreamName=name, logEvents=events_at([t], "a")
    )
    token = first["nextSequenceToken"]
    assert isinstance(token, str) and token
    # A stale token, a made-up one, and no token at all: all accepted, nothing refused.
    for n, seq in enumerate([token, token, "49039859629349876543210987654321", None]):
        kw: dict[str, Any] = {} if seq is None else {"sequenceToken": seq}
        resp = logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=events_at([t + 1 + n], f"b{n}-"),
            **kw,
        )
        assert isinstance(resp["nextSequenceToken"], str) and resp["nextSequenceToken"]
    assert len(stored(logs, group, name)) == 5


def test_missing_group(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=unique_name, logStreamName="s", logEvents=events_at([now_ms()])
        )
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_missing_stream(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=unique_name, logStreamName="nope", logEvents=events_at([now_ms()])
        )
    assert error_of(exc) == ("ResourceNotFoundException", STREAM_MISSING)


def test_deleted_stream_refuses_puts(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events_at([now_ms()]))
    logs.delete_log_stream(logGroupName=group, logStreamName=name)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events_at([now_ms()]))
    assert error_of(exc) == ("ResourceNotFoundException", STREAM_MISSING)


# --- content round trip -------------------------------------------------------------------------


def test_unicode_and_json_special_characters_round_trip(logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - HOUR
    events = [{"timestamp": t + i, "message": m} for i, m in enumerate(NASTY_MESSAGES)]
    logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)
    assert stored(logs, group, name) == [(e["timestamp"], e["message"]) for e in events]


def test_raw_utf8_body_round_trips(
    owl_server: OwlServer, logs: Any, stream: tuple[str, str]
) -> None:
    """Non-ASCII sent as raw UTF-8 rather than \\u escapes (what most non-Python SDKs send)."""
    group, name = stream
    t = now_ms() - HOUR
    events = [{"timestamp": t + i, "message": m} for i, m in enumerate(NASTY_MESSAGES)]
    body = json.dumps(
        {"logGroupName": group, "logStreamName": name, "logEvents": events}, ensure_ascii=False
    ).encode()
    resp = raw_put(owl_server, body)
    assert resp.status == 200, resp.body
    assert stored(logs, group, name) == [(e["timestamp"], e["message"]) for e in events]


# --- bodies the fast parser cannot read -------------------------------------------------------


def body_of(group: str, stream: str, events: Any, **extra: Any) -> dict[str, Any]:
    return {"logGroupName": group, "logStreamName": stream, "logEvents": events, **extra}


def test_pretty_printed_body(owl_server: OwlServer, logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - HOUR
    events = [{"timestamp": t + i, "message": m} for i, m in enumerate(["a\nb", "c", "é😀"])]
    body = json.dumps(body_of(group, name, events), indent=4, ensure_ascii=False).encode()
    body = body.replace(b"\n", b"\r\n\t ")
    resp = raw_put(owl_server, body)
    assert resp.status == 200, resp.body
    assert resp.json()["nextSequenceToken"]
    assert stored(logs, group, name) == [(e["timestamp"], e["message"]) for e in events]


def test_unknown_members_ignored(owl_server: OwlServer, logs: Any, stream: tuple[str, str]) -> None:
    group, name = stream
    t = now_ms() - HOUR
    events = [
        {"timestamp": t, "message": "one", "extra": {"deep": [1, 2]}},
        {"ingestionTime": 5, "timestamp": t + 1, "message": "two", "id": None},
    ]
    body = json.dumps(body_of(group, name, events, futureMember=[{"x": 1}], flag=True)).encode()
    resp = raw_put(owl_server, body)
    assert resp.status == 200, resp.body
    assert stored(logs, group, name) == [(t, "one"), (t + 1, "two")]


BAD_EVENT_BODIES: dict[str, tuple[Any, str, str | None]] = {
    # name: (logEvents, expected code, expected message or None for any)
    "float timestamp": (
        [{"timestamp": 1.7e12, "message": "m"}],
        "SerializationException",
        "DECIMAL_VALUE can not be converted to a Long",
    ),
    "timestamp with a fraction": (
        [{"timestamp": 1700000000000.5, "message": "m"}],
        "SerializationException",
        "DECIMAL_VALUE can not be converted to a Long",
    ),
    "timestamp as a string": (
        [{"timestamp": "1700000000000", "message": "m"}],
        "SerializationException",
        "STRING_VALUE can not be converted to a Long",
    ),
    "timestamp as a boolean": (
        [{"timestamp": True, "message": "m"}],
        "SerializationException",
        "TRUE_VALUE can not be converted to a Long",
    ),
    "message as a number": (
        [{"timestamp": 1, "message": 123}],
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    "message as an object": (
        [{"timestamp": 1, "message": {"a": 1}}],
        "SerializationException",
        None,
    ),
    "null event": ([None], "SerializationException", None),
    "events as an object": (
        {"timestamp": 1, "message": "m"},
        "SerializationException",
        None,
    ),
    "missing message": (
        [{"timestamp": 1}],
        "InvalidParameterException",
        "1 validation error detected: Value null at 'logEvents.1.member.message' failed to "
        "satisfy constraint: Member must not be null",
    ),
    "null timestamp": (
        [{"timestamp": None, "message": "m"}],
        "InvalidParameterException",
        "1 validation error detected: Value null at 'logEvents.1.member.timestamp' failed to "
        "satisfy constraint: Member must not be null",
    ),
}


@pytest.mark.parametrize("case", list(BAD_EVENT_BODIES))
def test_badly_typed_events(
    owl_server: OwlServer, logs: Any, stream: tuple[str, str], case: str
) -> None:
    group, name = stream
    events, code, message = BAD_EVENT_BODIES[case]
    # Also pretty-printed, so that both parsers meet the same bad value.
    for indent in (None, 2):
        resp = raw_put(owl_server, json.dumps(body_of(group, name, events), indent=indent).encode())
        assert resp.status == 400, resp.body
        assert resp.error_type == code
        if message is not None:
            assert resp.message == message
    assert stored(logs, group, name) == []


def test_bodies_that_are_not_json_objects(owl_server: OwlServer, stream: tuple[str, str]) -> None:
    group, name = stream
    good = json.dumps(body_of(group, name, [{"timestamp": now_ms(), "message": "m"}])).encode()
    bad = [
        good[:-1],  # truncated
        good + b" trailing",
        good + b"\n" + good,  # two documents
        b"[" + good + b"]",
        b"null",
        b"42",
        b'"text"',
        b"{,}",
        good.replace(b'"m"', b'"a\xff\xfeb"'),  # invalid UTF-8 in a message
        good.replace(b'"m"', b'"\xc3"'),  # truncated UTF-8 sequence
        good.replace(group.encode(), group.encode() + b"\xff"),  # invalid UTF-8 in a name
        good.replace(b'"m"', b'"a\\ud800b"'),  # lone surrogate
        good.replace(b'"timestamp": ', b'"timestamp": 1.7e12, "x": '),  # literal exponent
    ]
    for body in bad:
        resp = raw_put(owl_server, body)
        assert (resp.status, resp.error_type) == (400, "SerializationException"), (body, resp)
    # Still serving (a bare `null` used to crash Arrow's JSON reader, and the server with it).
    assert raw_put(owl_server, good).status == 200


def test_invalid_utf8_never_stored(
    owl_server: OwlServer, logs: Any, stream: tuple[str, str]
) -> None:
    """A message that is not UTF-8 is refused, and the stream stays readable."""
    group, name = stream
    t = now_ms() - HOUR
    body = json.dumps(body_of(group, name, [{"timestamp": t, "message": "MARK"}])).encode()
    resp = raw_put(owl_server, body.replace(b"MARK", b"ok\xffno"))
    assert resp.error_type == "SerializationException"
    resp = raw_put(owl_server, body)
    assert resp.status == 200
    assert stored(logs, group, name) == [(t, "MARK")]


def test_empty_message_in_raw_bodies(owl_server: OwlServer, stream: tuple[str, str]) -> None:
    group, name = stream
    events = [{"timestamp": 1, "message": "a"}, {"timestamp": 2, "message": ""}]
    for indent in (None, 2):
        resp = raw_put(owl_server, json.dumps(body_of(group, name, events), indent=indent).encode())
        assert resp.error_type == "InvalidParameterException"
        assert resp.message == (
            "1 validation error detected: Value '' at 'logEvents.2.member.message' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1"
        )


def test_entity_is_validated_and_otherwise_ignored(
    owl_server: OwlServer, logs: Any, stream: tuple[str, str]
) -> None:
    group, name = stream
    t = now_ms() - HOUR
    events = [{"timestamp": t, "message": "with entity"}]
    entity = {"keyAttributes": {"Type": "Service", "Name": "checkout"}, "attributes": {}}
    resp = raw_put(owl_server, json.dumps(body_of(group, name, events, entity=entity)).encode())
    assert resp.status == 200, resp.body
    bad = {"keyAttributes": {"Type": "Service"}}  # 2..4 entries
    resp = raw_put(owl_server, json.dumps(body_of(group, name, events, entity=bad)).encode())
    assert resp.error_type == "InvalidParameterException"
    assert "'entity.keyAttributes'" in (resp.message or "")
    assert stored(logs, group, name) == [(t, "with entity")]
