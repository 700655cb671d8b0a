"""Splitting a batch of messages into space-delimited fields (§7.1) with numpy, not RE2.

The SQL form of a space-delimited pattern splits each message with `regexp_extract_all` and
FIELD_RE, which costs about 3 µs per message: most of what the batch evaluator spends when a
group carries such a filter. Here the same tokens come from searches over the positions of the
three delimiter bytes (space, `"`, `]`) of the whole batch, one vectorised step per field
position across all messages at once, so the Python work grows with the number of fields of
the longest message, not with the number of messages.

The tokens are exactly those of `owl.patterns.sql.TOKENS_SQL` (RE2's leftmost-first matches of
`"[^"]*"|\\[[^\\]]*\\]|[^ ]+`): at a token's first byte, a `"` that is closed later in the
message takes everything to the closing `"`, a `[` closed later everything to the `]`, and
anything else runs to the next space. Tokens keep their quotes and brackets, as there. All
delimiters are ASCII, so byte positions never split a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SPACE, _QUOTE, _OPEN, _CLOSE = 0x20, 0x22, 0x5B, 0x5D


def _next(positions: np.ndarray, at: np.ndarray, none: np.ndarray) -> np.ndarray:
    """The first of `positions` (sorted) at or after each of `at`; `none` where there is none."""
    i = np.searchsorted(positions, at)
    found = i < len(positions)
    out = none.copy()
    out[found] = positions[i[found]]
    return out


def _buffers(messages: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bytes of `messages` and each message's [start, stop) in them."""
    n = len(messages)
    offsets = np.frombuffer(messages.buffers()[1], np.int32, n + 1, messages.offset * 4)
    data = messages.buffers()[2]
    base = int(offsets[0])
    size = int(offsets[-1]) - base
    buf = np.frombuffer(data, np.uint8, size, base) if data is not None and size else _NO_BYTES
    start = offsets[:-1].astype(np.int64) - base
    stop = offsets[1:].astype(np.int64) - base
    return buf, start, stop


_NO_BYTES = np.zeros(0, np.uint8)


def _strings(messages: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks() if messages.num_chunks else pa.array([], pa.string())
    if messages.type != pa.string():
        messages = messages.cast(pa.string())
    return messages


@dataclass
class _Found:
    """Tokens found, one entry per field position: the events that have it, and where."""

    buf: np.ndarray
    events: list[np.ndarray]
    starts: list[np.ndarray]
    ends: list[np.ndarray]

    def counts(self, n: int) -> np.ndarray:
        counts = np.zeros(n, np.int64)
        for ev in self.events:
            counts[ev] += 1  # an event appears at most once per field position
        return counts


def _scan(messages: pa.Array, limit: int | None) -> _Found:
    """The first `limit` (None: all) tokens of each message, one field position per step."""
    n = len(messages)
    buf, start, stop = _buffers(messages)
    # One pass over the bytes for the three delimiters, then each one's positions.
    marks = np.flatnonzero((buf == _SPACE) | (buf == _QUOTE) | (buf == _CLOSE))
    kinds = buf[marks]
    spaces, quotes, closes = (marks[kinds == b] for b in (_SPACE, _QUOTE, _CLOSE))
    sentinel = np.append(spaces, len(buf))  # spaces[len(spaces)] reads as "no space left"
    run_last: np.ndarray | None = None

    found_event: list[np.ndarray] = []
    found_start: list[np.ndarray] = []
    found_end: list[np.ndarray] = []
    event = np.arange(n, dtype=np.int64)
    p = start
    si = np.searchsorted(spaces, p)  # index of the first space at or after p
    k = 0
    while len(event) and (limit is None or k < limit):
        # Skip the spaces at p; a run may go on into the next message, which stop bounds.
        at_space = (sentinel[si] == p) & (p < stop)
        p, si = p + at_space, si + at_space
        again = (sentinel[si] == p) & (p < stop)
        if again.any():  # runs of spaces: jump to the end of each run
            if run_last is None:
                breaks = np.append(np.flatnonzero(np.diff(spaces) != 1), len(spaces) - 1)
                run_last = np.repeat(breaks, np.diff(breaks, prepend=-1))
            last = run_last[si[again]]
            p, si = p.copy(), si.copy()
            p[again] = spaces[last] + 1
            si[again] = last + 1
        live = p < stop
        if not live.all():
            event, p, stop, si = event[live], p[live], stop[live], si[live]
            if not len(event):
                break
        tok_end = np.minimum(sentinel[si], stop)
        first = buf[p]
        moved = None
        for opener, closers in ((_QUOTE, quotes), (_OPEN, closes)):
            opens = np.flatnonzero(first == opener)
            if len(opens):
                closing = _next(closers, p[opens] + 1, stop[opens])
                closed = closing < stop[opens]
                idx = opens[closed]
                tok_end[idx] = closing[closed] + 1
                moved = idx if moved is None else np.concatenate([moved, idx])
        if moved is not None and len(moved):
            si = si.copy()
            si[moved] = np.searchsorted(spaces, tok_end[moved])
        found_event.append(event)
        found_start.append(p)
        found_end.append(tok_end)
        p = tok_end
        k += 1
    return _Found(buf, found_event, found_start, found_end)


def _flat(found: _Found, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every token's [start, end), event by event, and each event's first token index."""
    list_offsets = np.zeros(n + 1, np.int64)
    np.cumsum(found.counts(n), out=list_offsets[1:])
    total = int(list_offsets[-1])
    ts = np.empty(total, np.int64)
    te = np.empty(total, np.int64)
    for k, (ev, a, b) in enumerate(zip(found.events, found.starts, found.ends, strict=True)):
        at = list_offsets[ev] + k
        ts[at] = a
        te[at] = b
    return ts, te, list_offsets


def _slices(buf: np.ndarray, ts: np.ndarray, te: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """A string array of the byte ranges [ts, te) of `buf` (NULL where not `valid`)."""
    lengths = te - ts
    value_offsets = np.zeros(len(ts) + 1, np.int64)
    np.cumsum(lengths, out=value_offsets[1:])
    total = int(value_offsets[-1])
    if total:
        gather = np.arange(total, dtype=np.int64) + np.repeat(ts - value_offsets[:-1], lengths)
        data = buf[gather]
    else:
        data = _NO_BYTES
    wide = total >= 2**31
    validity = None
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.large_string() if wide else pa.string(),
        len(ts),
        [
            validity,
            pa.py_buffer(value_offsets if wide else value_offsets.astype(np.int32)),
            pa.py_buffer(data),
        ],
    )


def _strip(buf: np.ndarray, ts: np.ndarray, te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A field's value: its token without the quotes or brackets that enclose it (the same
    rule as owl.patterns.sql.strip_sql)."""
    long = np.flatnonzero(te - ts >= 2)
    if not len(long):
        return ts, te
    first, last = buf[ts[long]], buf[te[long] - 1]
    enclosed = long[((first == _QUOTE) & (last == _QUOTE)) | ((first == _OPEN) & (last == _CLOSE))]
    if len(enclosed):
        ts, te = ts.copy(), te.copy()
        ts[enclosed] += 1
        te[enclosed] -= 1
    return ts, te


def tokens(messages: pa.Array | pa.ChunkedArray, limit: int | None = None) -> pa.ListArray:
    """The tokens of each message (at most the first `limit`), as a list<string> array aligned
    with `messages`; NULL for a NULL message."""
    messages = _strings(messages)
    n = len(messages)
    found = _scan(messages, limit)
    ts, te, list_offsets = _flat(found, n)
    values = _slices(found.buf, ts, te, None)
    mask = pc.is_null(messages) if messages.null_count else None
    return pa.ListArray.from_arrays(pa.array(list_offsets.astype(np.int32)), values, mask=mask)


def columns(
    messages: pa.Array | pa.ChunkedArray, positions: Iterable[int], needed: int | None
) -> dict[str, pa.Array]:
    """The columns owl.patterns.sql.Shared describes: `_n`, the number of tokens of each
    message, counted up to `needed` (None: all); `_t<k>` field k (1-based) and `_tm<k>`
    field k from the end, for each k of `positions` (negative from the end), as values (the
    token without its enclosing quotes or brackets); NULL where a message has no such
    field, and everywhere for a NULL message."""
    messages = _strings(messages)
    n = len(messages)
    positions = sorted(set(positions))
    if any(k < 0 for k in positions):
        needed = None
    elif positions:
        needed = None if needed is None else max(needed, positions[-1])
    found = _scan(messages, needed)
    counts = found.counts(n)
    present = ~np.asarray(pc.is_null(messages)) if messages.null_count else None
    out: dict[str, pa.Array] = {"_n": pa.array(counts, mask=None if present is None else ~present)}
    flat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for k in positions:
        ts = np.zeros(n, np.int64)
        te = np.zeros(n, np.int64)
        if k > 0:
            name = f"_t{k}"
            valid = counts >= k
            if k <= len(found.events):
                ev = found.events[k - 1]
                ts[ev], te[ev] = found.starts[k - 1], found.ends[k - 1]
        else:
            name = f"_tm{-k}"
            valid = counts >= -k
            if flat is None:
                flat = _flat(found, n)
            at = (flat[2][:-1] + counts + k)[valid]
            ts[valid], te[valid] = flat[0][at], flat[1][at]
        if present is not None:
            valid &= present
        ts, te = _strip(found.buf, ts, te)
        out[name] = _slices(found.buf, ts, te, valid)
    return out


__all__ = ["columns", "tokens"]
