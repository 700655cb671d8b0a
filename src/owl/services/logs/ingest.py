"""PutLogEvents: a column-wise parse and check of the batch, then a durable append.

The body is parsed straight into Arrow columns (no Python object per event); every rule of the
API is a vectorised check on those columns. Only a body the fast parser cannot read (or one that
breaks a rule) goes through the generic path, which produces the exact AWS error.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from owl.domain.models import LogGroup, LogStream
from owl.errors import UnavailableError
from owl.protocol.awsjson import decode_body
from owl.protocol.errors import AwsError
from owl.protocol.validate import ValidationFailed, validate, validate_members
from owl.services.base import Call, Result
from owl.services.logs import LOGS
from owl.services.logs.limits import EVENT_OVERHEAD, MAX_BATCH_BYTES
from owl.store.wal import WalWriteError

MAX_EVENTS = 10_000
MAX_SPAN_MS = 24 * 3600 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
TOO_OLD_MS = 14 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000

_SCHEMA = pa.schema(
    [
        ("logGroupName", pa.string()),
        ("logStreamName", pa.string()),
        ("sequenceToken", pa.string()),
        (
            "logEvents",
            pa.list_(pa.struct([("timestamp", pa.int64()), ("message", pa.string())])),
        ),
    ]
)
_PARSE = pj.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore")


@dataclass(frozen=True)
class Batch:
    group_name: str
    stream_name: str
    ts: pa.Array  # int64
    messages: pa.Array  # string


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def _fast_parse(body: bytes) -> Batch | None:
    """Arrow columns straight from the JSON body; None when the body needs the generic path."""
    # Only an object goes to Arrow: a bare `null` document crashes its reader (SIGSEGV).
    if not body.lstrip(b" \t\r\n").startswith(b"{"):
        return None
    if b'"entity"' in body:
        return None  # the fast schema does not carry `entity`; let the model validate it
    try:
        table = pj.read_json(
            io.BytesIO(body),
            read_options=pj.ReadOptions(block_size=len(body) + 64, use_threads=False),
            parse_options=_PARSE,
        )
        # Arrow does not check that strings are UTF-8; the generic path refuses such bodies.
        table.validate(full=True)
    except pa.ArrowException:
        return None
    if table.num_rows != 1:
        return None
    row = {name: table.column(name) for name in ("logGroupName", "logStreamName")}
    group, stream = row["logGroupName"][0].as_py(), row["logStreamName"][0].as_py()
    events = table.column("logEvents").combine_chunks()
    if group is None or stream is None or events.null_count:
        return None
    flat = events.flatten()
    ts, messages = flat.field("timestamp"), flat.field("message")
    if ts.null_count or messages.null_count or len(ts) == 0:
        return None
    return Batch(group, stream, ts, messages)


def _slow_parse(body: bytes) -> Batch:
    """The generic path: full model validation, so errors read exactly as AWS writes them."""
    params = decode_body(body)
    try:
        validate("logs", "PutLogEvents", params)
    except ValidationFailed as failed:
        raise _invalid(failed.summary()) from None
    events = params["logEvents"]
    return Batch(
        params["logGroupName"],
        params["logStreamName"],
        pa.array([int(e["timestamp"]) for e in events], pa.int64()),
        pa.array([e["message"] for e in events], pa.string()),
    )


def _check_columns(batch: Batch) -> None:
    """The model constraints of logEvents, checked on whole columns."""
    try:
        validate_members(
            "logs",
            "PutLogEvents",
            {"logGroupName": batch.group_name, "logStreamName": batch.stream_name},
            ["logGroupName", "logStreamName"],
        )
    except ValidationFailed as failed:
        raise _invalid(failed.summary()) from None
    n = len(batch.ts)
    if n > MAX_EVENTS:
        raise _invalid(
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_EVENTS}"
        )
    lengths = pc.binary_length(batch.messages)
    # pc.index is slow for a hot path: look for the offending event only once one exists.
    empty = pc.index(lengths, 0).as_py() if pc.min(lengths).as_py() == 0 else -1
    if empty >= 0:
        raise _invalid(
            f"1 validation error detected: Value '' at 'logEvents.{empty + 1}.member.message' "
            "failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    negative = pc.index(pc.less(batch.ts, 0), True).as_py() if pc.min(batch.ts).as_py() < 0 else -1
    if negative >= 0:
        raise _invalid(
            f"1 validation error detected: Value '{batch.ts[negative].as_py()}' at "
            f"'logEvents.{negative + 1}.member.timestamp' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0"
        )
    size = int(pc.sum(lengths).as_py()) + EVENT_OVERHEAD * n
    if size > MAX_BATCH_BYTES:
        raise _invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")


@dataclass(frozen=True)
class Accepted:
    start: int  # first stored index
    end: int  # one past the last stored index
    rejected: dict[str, int]


def _split(ts: np.ndarray, now_ms: int, retention_days: int | None) -> Accepted:
    """Order, span, and the too-old / expired / too-new ranges of a batch."""
    if len(ts) > 1 and bool((ts[1:] < ts[:-1]).any()):
        raise _invalid(
            "Log events in a single PutLogEvents request must be in chronological order."
        )
    if int(ts[-1]) - int(ts[0]) > MAX_SPAN_MS:
        raise _invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )
    rejected: dict[str, int] = {}
    too_old = int(np.searchsorted(ts, now_ms - TOO_OLD_MS, side="left"))
    start = too_old
    if too_old > 0:
        rejected["tooOldLogEventEndIndex"] = too_old
    if retention_days is not None:
        expired = int(np.searchsorted(ts, now_ms - retention_days * DAY_MS, side="left"))
        if expired > too_old:
            rejected["expiredLogEventEndIndex"] = expired
            start = expired
    end = int(np.searchsorted(ts, now_ms + TOO_NEW_MS, side="right"))
    if end < len(ts):
        rejected["tooNewLogEventStartIndex"] = end
    return Accepted(start, max(start, end), rejected)


def _prepare(call: Call, body: bytes) -> tuple[Batch, LogGroup, LogStream]:
    """Parse, check and resolve names: one trip to a worker thread, off the event loop (the
    Arrow parser releases the GIL, so two batches parse at once on two cores)."""
    batch = _fast_parse(body) or _slow_parse(body)
    _check_columns(batch)
    group, stream = call.backends.directory.stream(call.scope, batch.group_name, batch.stream_name)
    call.backends.data_keys.check_writable(group)
    return batch, group, stream


@LOGS.raw_operation("PutLogEvents")
async def put_log_events(call: Call, body: bytes) -> Result:
    batch, group, stream = await asyncio.to_thread(_prepare, call, body)
    backends = call.backends
    now = backends.clock.now_ms()
    ts_np = batch.ts.to_numpy(zero_copy_only=False)
    accepted = _split(ts_np, now, group.retention_days)
    out: dict[str, object] = {}
    if accepted.end > accepted.start:
        length = accepted.end - accepted.start
        future = backends.store.append(
            group.id,
            stream.id,
            batch.ts.slice(accepted.start, length),
            batch.messages.slice(accepted.start, length),
            now,
        )
        try:
            await asyncio.wrap_future(future)
        except WalWriteError as e:
            raise UnavailableError(str(e), reason="wal_write_failed") from None
        await asyncio.to_thread(
            backends.publish,
            call.scope.account_id,
            call.scope.region,
            group.id,
            group.name,
            now,
            batch.ts.slice(accepted.start, length),
            batch.messages.slice(accepted.start, length),
        )
    out["nextSequenceToken"] = f"{now:056d}"
    if accepted.rejected:
        out["rejectedLogEventsInfo"] = accepted.rejected
    return out
