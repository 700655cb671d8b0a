"""Seeded, realistic log messages and PutLogEvents batches cut by the API's own size rules.

Messages mix the shapes real services write (access lines, JSON lines, key=value lines,
errors with exception text, debug chatter): timestamps, levels, request ids, paths and numbers
all vary, a few messages carry non-ASCII text, and the mean size is about 210 bytes. Storage
size depends on how repetitive the data is, so one repeated string would flatter any store.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

MAX_BATCH_BYTES = 1_048_576  # UTF-8 bytes of the messages + 26 per event
EVENT_OVERHEAD = 26
MAX_BATCH_EVENTS = 10_000

_LEVELS = ["INFO"] * 12 + ["DEBUG"] * 5 + ["WARN"] * 2 + ["ERROR"]
_METHODS = ["GET"] * 8 + ["POST"] * 3 + ["PUT", "DELETE", "PATCH"]
_RESOURCES = ["users", "orders", "carts", "payments", "products", "sessions", "invoices"]
_STATUSES = [200] * 30 + [201] * 4 + [204] * 3 + [304] * 2 + [400, 401, 403, 404, 404, 500, 503]
_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "Go-http-client/2.0",
]
_LOGGERS = ["payments.worker", "orders.api", "auth.session", "search.indexer", "mail.sender"]
_JSON_MSGS = ["charge captured", "order placed", "token refreshed", "document indexed", "sent"]
_ERRORS = [
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "TimeoutError: upstream did not answer within 5000 ms",
    "psycopg.errors.DeadlockDetected: deadlock detected",
    "KeyError: 'customer_id'",
    "ValueError: invalid literal for int() with base 10: 'né'",
]
_TABLES = ["line_items", "customers", "events", "audit_log", "inventory"]
_CITIES = ["Zürich", "São Paulo", "Kraków", "München", "Seattle", "Lyon", "Osaka"]


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _iso(ms: int) -> str:
    t = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _access(rng: random.Random, ms: int) -> str:
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    res = rng.choice(_RESOURCES)
    query = f"?page={rng.randrange(1, 40)}&limit={rng.choice((20, 50, 100))}"
    path = f"/api/v{rng.randrange(1, 3)}/{res}/{rng.randrange(1, 10**6)}{query}"
    return (
        f"{_iso(ms)} {rng.choice(_LEVELS)} [{_uuid(rng)}] {ip} "
        f'"{rng.choice(_METHODS)} {path} HTTP/1.1" {rng.choice(_STATUSES)} '
        f'{rng.randrange(80, 60_000)} {rng.uniform(0.3, 900):.1f}ms ua="{rng.choice(_AGENTS)}" '
        f"host=web-{rng.randrange(1, 40)}.prod"
    )


def _json_line(rng: random.Random, ms: int) -> str:
    return (
        f'{{"ts":"{_iso(ms)}","level":"{rng.choice(_LEVELS).lower()}",'
        f'"logger":"{rng.choice(_LOGGERS)}","msg":"{rng.choice(_JSON_MSGS)}",'
        f'"request_id":"{_uuid(rng)}","user_id":{rng.randrange(10**6)},'
        f'"order_id":{rng.randrange(10**7)},'
        f'"amount_cents":{rng.randrange(100, 500_000)},"currency":"{rng.choice(("USD", "EUR"))}",'
        f'"duration_ms":{rng.uniform(1, 2500):.2f}}}'
    )


def _kv_line(rng: random.Random, ms: int) -> str:
    return (
        f'time={_iso(ms)} level={rng.choice(_LEVELS).lower()} msg="slow query" db=orders '
        f"table={rng.choice(_TABLES)} rows={rng.randrange(1, 50_000)} "
        f"duration_ms={rng.randrange(200, 9000)} query_id={rng.getrandbits(64):016x} "
        f"conn={rng.randrange(1, 64)} pool_wait_ms={rng.randrange(0, 300)} "
        f'city="{rng.choice(_CITIES)}"'
    )


def _error_line(rng: random.Random, ms: int) -> str:
    return (
        f"{_iso(ms)} ERROR [worker-{rng.randrange(1, 17)}] Failed to process job "
        f"{rng.randrange(10**6)} (attempt {rng.randrange(1, 6)}/5) for tenant "
        f"t-{rng.randrange(1, 900):04d}: {rng.choice(_ERRORS)}; retrying in "
        f"{rng.choice((100, 200, 400, 800, 1600))}ms trace_id={rng.getrandbits(96):024x}"
    )


def _debug_line(rng: random.Random, ms: int) -> str:
    key = f"{rng.choice(_RESOURCES)}:{rng.randrange(10**6)}:v{rng.randrange(1, 9)}"
    return (
        f"{_iso(ms)} DEBUG [cache] {rng.choice(('hit', 'miss', 'miss', 'evict'))} "
        f"key={key} size={rng.randrange(64, 65_536)}B ttl={rng.randrange(30, 3600)}s "
        f"shard={rng.randrange(32)} node=cache-{rng.randrange(1, 7)}.internal "
        f"latency_us={rng.randrange(20, 20_000)} req={_uuid(rng)}"
    )


_SHAPES: list[Callable[[random.Random, int], str]] = (
    [_access] * 9 + [_json_line] * 5 + [_kv_line] * 2 + [_error_line] * 1 + [_debug_line] * 3
)


def messages(n: int, *, seed: int, start_ms: int) -> list[str]:
    """`n` mixed log lines; the text timestamps advance about 1 ms per line."""
    rng = random.Random(seed)
    return [rng.choice(_SHAPES)(rng, start_ms + i + rng.randrange(3)) for i in range(n)]


def utf8_sizes(msgs: Sequence[str]) -> list[int]:
    return [len(m.encode()) for m in msgs]


@dataclass(frozen=True)
class StreamEvents:
    """Events of one stream: indexes into the shared message list, with their timestamps."""

    group: str
    stream: str
    first: int  # index of the first message
    count: int
    start_ms: int  # timestamp of the first event; +1 ms per event


def batches(
    events: StreamEvents, msgs: Sequence[str], sizes: Sequence[int]
) -> Iterator[dict[str, Any]]:
    """PutLogEvents requests for a stream, each as full as the 1 MiB / 10,000-event rules allow."""
    cur: list[dict[str, Any]] = []
    size = 0
    for j in range(events.count):
        i = events.first + j
        add = sizes[i] + EVENT_OVERHEAD
        if cur and (size + add > MAX_BATCH_BYTES or len(cur) == MAX_BATCH_EVENTS):
            yield _request(events, cur)
            cur, size = [], 0
        cur.append({"timestamp": events.start_ms + j, "message": msgs[i]})
        size += add
    if cur:
        yield _request(events, cur)


def _request(events: StreamEvents, cur: list[dict[str, Any]]) -> dict[str, Any]:
    return {"logGroupName": events.group, "logStreamName": events.stream, "logEvents": cur}


# -- a wider mix for the filter-pattern benchmarks (bench/filter.py, bench/patterns.py) ----------
#
# Adds the two AWS shapes people filter most: Lambda's text log lines (START/END/REPORT platform
# lines around the runtime's own lines, one invocation at a time) and VPC flow log records
# (version 2 default format). `messages()` above is unchanged: bench/ingest.py depends on it.

_FUNCTIONS_MB = [128, 256, 512, 1024]
_LAMBDA_SOURCES = ["orders-queue", "payments-stream", "s3://uploads-prod/incoming", "events-bus"]
_LAMBDA_CALLS = ["dynamodb:PutItem", "s3:GetObject", "sqs:SendMessage", "https://api.partner"]
_PORTS = [443] * 10 + [80] * 3 + [22] * 3 + [3389] * 2 + [5432, 6379, 53, 123, 8080, 9200, 25, 445]
_ACCOUNTS = ["123456789012", "210987654321", "555500001111"]
_ENIS = [f"eni-0{k:07x}a1b2c3d4e" for k in range(0x3A1F, 0x3A1F + 12)]


def _lambda_invocation(rng: random.Random, ms: int) -> list[str]:
    """One invocation in Lambda's default text format: START, runtime lines, END, REPORT."""
    req = _uuid(rng)
    lines: list[str] = []
    cold = rng.random() < 0.08
    if cold:
        lines.append(
            "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: "
            f"arn:aws:lambda:us-east-1::runtime:{rng.getrandbits(256):064x}"
        )
    lines.append(f"START RequestId: {req} Version: $LATEST")
    timeout_s = rng.choice((3, 6, 15))
    timed_out = rng.random() < 0.15
    t = ms
    for _ in range(rng.randrange(0, 4)):
        t += rng.randrange(1, 40)
        kind = rng.random()
        if kind < 0.55:
            text = (
                f"[INFO]\t{_iso(t)}\t{req}\tprocessed {rng.randrange(1, 500)} records from "
                f"{rng.choice(_LAMBDA_SOURCES)}"
            )
        elif kind < 0.75:
            text = (
                f"[WARNING]\t{_iso(t)}\t{req}\tslow call to {rng.choice(_LAMBDA_CALLS)}: "
                f"{rng.randrange(500, 5000)} ms (attempt {rng.randrange(1, 4)})"
            )
        elif kind < 0.9:
            # a JSON document after the runtime's prefix: not a JSON message (spec §6.1)
            text = (
                f'[INFO]\t{_iso(t)}\t{req}\t{{"level":"{rng.choice(("error", "warn"))}",'
                f'"event":"batch_done","duration_ms":{rng.uniform(1, 2500):.2f},'
                f'"items":{rng.randrange(1, 200)}}}'
            )
        else:
            text = f"[ERROR]\t{_iso(t)}\t{req}\t{rng.choice(_ERRORS)}"
        lines.append(text)
    if timed_out:
        duration = timeout_s * 1000.0
        lines.append(
            f"{_iso(ms + timeout_s * 1000)} {req} Task timed out after {timeout_s}.00 seconds"
        )
    else:
        duration = rng.uniform(0.9, timeout_s * 400)
    memory = rng.choice(_FUNCTIONS_MB)
    lines.append(f"END RequestId: {req}")
    report = (
        f"REPORT RequestId: {req}\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {int(duration) + 1} ms\tMemory Size: {memory} MB\t"
        f"Max Memory Used: {rng.randrange(40, memory)} MB\t"
    )
    if cold:
        report += f"Init Duration: {rng.uniform(80, 900):.2f} ms\t"
    if rng.random() < 0.2:
        report += (
            f"XRAY TraceId: 1-{ms // 1000:08x}-{rng.getrandbits(96):024x}\t"
            f"SegmentId: {rng.getrandbits(64):016x}\tSampled: true\t"
        )
    lines.append(report)
    return lines


def _vpc_ip(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"


def _vpc_flow(rng: random.Random, ms: int) -> list[str]:
    """One VPC flow log record, version 2 default format (14 space-separated fields)."""
    head = f"2 {rng.choice(_ACCOUNTS)} {rng.choice(_ENIS)}"
    end = ms // 1000
    start = end - rng.randrange(5, 60)
    status = rng.random()
    if status < 0.04:
        nodata = "NODATA" if status < 0.03 else "SKIPDATA"
        return [f"{head} - - - - - - - {start} {end} - {nodata}"]
    port = rng.choice(_PORTS)
    protocol = 17 if port in (53, 123) else 6
    reject = rng.random() < (0.6 if port in (22, 3389) else 0.08)
    if reject:
        packets = rng.randrange(1, 5)
        size = packets * rng.randrange(40, 80)
    else:
        packets = rng.randrange(1, 5000)
        size = packets * rng.randrange(40, 1500)
    return [
        f"{head} {_vpc_ip(rng)} {_vpc_ip(rng)} {rng.randrange(1024, 65536)} {port} {protocol} "
        f"{packets} {size} {start} {end} {'REJECT' if reject else 'ACCEPT'} OK"
    ]


def _one(shape: Callable[[random.Random, int], str]) -> Callable[[random.Random, int], list[str]]:
    return lambda rng, ms: [shape(rng, ms)]


# Weights in draws; a Lambda draw yields a whole invocation (about 4 lines), so by lines the mix
# is roughly JSON 26%, access 26%, VPC 21%, Lambda 20%, key=value / error / debug 7%.
_PATTERN_SHAPES: list[Callable[[random.Random, int], list[str]]] = (
    [_one(_json_line)] * 25
    + [_one(_access)] * 24
    + [_vpc_flow] * 20
    + [_lambda_invocation] * 4
    + [_one(_kv_line)] * 2
    + [_one(_error_line)] * 2
    + [_one(_debug_line)] * 3
)


def pattern_messages(n: int, *, seed: int, start_ms: int) -> list[str]:
    """`n` lines of JSON app logs, access logs, Lambda invocations, VPC flow records and more.

    Lines of one Lambda invocation stay together (in order), as in a real stream; the text
    timestamps advance about 1 ms per line.
    """
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        out.extend(rng.choice(_PATTERN_SHAPES)(rng, start_ms + len(out) + rng.randrange(3)))
    del out[n:]
    return out
