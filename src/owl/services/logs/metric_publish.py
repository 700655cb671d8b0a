"""Metrics out of an ingested batch: a group's metric filters, fused, and embedded metric format.

Runs after the batch is durable, on the events that were stored, on a thread of its own (see
MetricPublisher). All filters of the group are one pass of the batch evaluator (a mask per
filter, a column per metric value and dimension); DuckDB then folds each filter's matches per
minute and dimension values into count, sum, min, max and a histogram, so Python sees one row
per metric and minute, never one per event. A filter counts only events ingested at or after
its creation: filters are never retroactive.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from owl.domain.metric_filters import MetricFilter, MetricFilters
from owl.metrics.datum import Datum, MetricSink, compact
from owl.metrics.emf import emf_datums
from owl.patterns import BatchEvaluator, parse, parse_metric_value
from owl.patterns.ast import NumberValue
from owl.patterns.sql import sql_string

log = logging.getLogger("owl.metrics")

MAX_JOINED_EVENTS = 100_000  # events of one publishing round
LINGER_EVENTS = 10_000  # a round this small waits (linger_s) for more batches

_AGGREGATE = """
SELECT ts // 60000 * 60000 AS minute, {dims} count(*) AS n, sum(v) AS s, min(v) AS lo,
       max(v) AS hi, map_keys(histogram(v)) AS hk, map_values(histogram(v)) AS hv
FROM (SELECT ts, TRY_CAST({value} AS DOUBLE) AS v {dim_cols} FROM owl_evaluated
      WHERE {mask} AND ingest >= {since})
WHERE v IS NOT NULL AND isfinite(v) {dims_present}
GROUP BY ALL
"""
_UNMATCHED = """
SELECT ts // 60000 * 60000 AS minute, count(*) AS n FROM owl_evaluated
WHERE NOT {mask} AND ingest >= {since}
GROUP BY ALL
"""


@dataclass
class _Compiled:
    version: int
    filters: tuple[MetricFilter, ...]
    evaluator: BatchEvaluator
    # Per filter: its value (a literal number's SQL, or the index of its value column), then
    # each dimension's (name, column index).
    columns: list[tuple[str | int, list[tuple[str, int]]]]


def _compile(version: int, filters: tuple[MetricFilter, ...]) -> _Compiled:
    refs: list[tuple[int, str]] = []
    columns: list[tuple[str | int, list[tuple[str, int]]]] = []
    for i, f in enumerate(filters):
        t = f.transformations[0]
        value = parse_metric_value(t["metricValue"])
        value_col: str | int
        if isinstance(value, NumberValue):  # the same for every event: no column for it
            value_col = sql_string(value.text)
        else:
            value_col = len(refs)
            refs.append((i, t["metricValue"]))
        dims: list[tuple[str, int]] = []
        for name, ref in sorted((t.get("dimensions") or {}).items()):
            dims.append((name, len(refs)))
            refs.append((i, ref))
        columns.append((value_col, dims))
    evaluator = BatchEvaluator([parse(f.pattern) for f in filters], refs)
    return _Compiled(version, filters, evaluator, columns)


@dataclass(frozen=True)
class _Batch:
    account_id: str
    region: str
    group_id: int
    group_name: str
    ingest_ms: int
    ts: pa.Array
    messages: pa.Array


class MetricPublisher:
    """Turns ingested batches into datums for the metric store, on its own thread.

    PutLogEvents hands a stored batch over and answers; the thread takes whatever has queued
    up, joins the batches of each group (one evaluator pass over many batches costs far less
    than one per batch) and publishes. A filter counts only events ingested at or after its
    creation, whenever the thread gets to them. The queue is bounded: when evaluation falls
    behind, handing over blocks and ingestion slows instead of memory growing. Readers of
    metrics call `settle` first, so that what was ingested before a read is in it.
    """

    def __init__(
        self,
        filters: MetricFilters,
        sink: MetricSink,
        max_pending: int = 32,
        linger_s: float = 0.05,
    ) -> None:
        self._filters = filters
        self._sink = sink
        self._linger_s = linger_s
        self._hurry = threading.Event()  # a reader waits: stop lingering
        self._compiled: dict[int, _Compiled] = {}
        self._lock = threading.Lock()  # the aggregation connection
        self._compile_lock = threading.Lock()
        self._con = duckdb.connect()
        self._con.execute("SET threads = 1")  # small batches: one thread costs least
        self._queue: queue.Queue[_Batch | None] = queue.Queue(max_pending)
        self._done = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="owl-metric-filters", daemon=True)
        self._thread.start()

    def publish(
        self,
        account_id: str,
        region: str,
        group_id: int,
        group_name: str,
        ingest_ms: int,
        ts: pa.Array,
        messages: pa.Array,
    ) -> None:
        """Queue a stored batch (blocks while the queue is full)."""
        with self._done:
            self._pending += 1
        self._queue.put(_Batch(account_id, region, group_id, group_name, ingest_ms, ts, messages))

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until every batch queued so far is published (False on timeout)."""
        with self._done:
            if self._pending:
                self._hurry.set()
            return self._done.wait_for(lambda: self._pending == 0, timeout)

    def _more(self, deadline: float) -> _Batch | None:
        """The next queued batch, waiting until `deadline` unless a reader is waiting; None
        when there is none (or the thread is to stop: the None is put back)."""
        while True:
            wait = deadline - time.monotonic()
            try:
                if wait <= 0 or self._hurry.is_set():
                    more = self._queue.get_nowait()
                else:
                    more = self._queue.get(timeout=min(wait, 0.005))
            except queue.Empty:
                if wait <= 0 or self._hurry.is_set():
                    return None
                continue
            if more is None:
                self._queue.put(None)  # seen again after this round
            return more

    def close(self) -> None:
        self.settle()
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            taken = [first]
            events = len(first.ts)
            # Small rounds wait a little for more: the fused statement of a group's filters
            # costs milliseconds to plan, whatever the number of events it reads.
            deadline = time.monotonic() + self._linger_s
            while events < MAX_JOINED_EVENTS:
                more = self._more(deadline if events < LINGER_EVENTS else 0.0)
                if more is None:
                    break
                taken.append(more)
                events += len(more.ts)
            try:
                by_group: dict[tuple[str, str, int], list[_Batch]] = {}
                for b in taken:
                    by_group.setdefault((b.account_id, b.region, b.group_id), []).append(b)
                for batches in by_group.values():
                    self._publish(batches)
            finally:
                with self._done:
                    self._pending -= len(taken)
                    if not self._pending:
                        self._hurry.clear()
                    self._done.notify_all()

    def _publish(self, batches: list[_Batch]) -> None:
        """Datums of one group's batches to the sink; a failure is logged, never raised (the
        events are stored and acknowledged whatever happens to their metrics)."""
        first = batches[0]
        try:
            ts = pa.concat_arrays([b.ts for b in batches])
            messages = pa.concat_arrays([b.messages for b in batches])
            datums = emf_datums(messages, ts, log_group_name=first.group_name)
            compiled = self._evaluator(first.group_id)
            if compiled is not None:
                ingest = pa.array(
                    np.concatenate([np.full(len(b.ts), b.ingest_ms, np.int64) for b in batches])
                )
                datums += self._filter_datums(compiled, ts, ingest, messages)
            if datums:
                self._sink.put(first.account_id, first.region, datums)
        except Exception:
            log.exception("Publishing metrics failed group_id=%d", first.group_id)

    def _evaluator(self, group_id: int) -> _Compiled | None:
        """The group's compiled filters, rebuilt once after any filter changed. A replaced
        evaluator is left to the garbage collector: a concurrent batch may still be using it."""
        version = self._filters.version
        hit = self._compiled.get(group_id)
        if hit is not None and hit.version == version:
            return hit
        with self._compile_lock:
            hit = self._compiled.get(group_id)
            if hit is not None and hit.version == version:
                return hit
            filters = self._filters.of_group(group_id)
            if not filters:
                self._compiled.pop(group_id, None)
                return None
            compiled = _compile(version, filters)
            self._compiled[group_id] = compiled
            return compiled

    def _filter_datums(
        self, c: _Compiled, ts: pa.Array, ingest: pa.Array, messages: pa.Array
    ) -> list[Datum]:
        result = c.evaluator.run(messages)
        cols: dict[str, pa.Array] = {"ts": ts, "ingest": ingest}
        for i, mask in enumerate(result.masks):
            cols[f"m{i}"] = mask
        for j, values in enumerate(result.values):
            cols[f"v{j}"] = values
        out: list[Datum] = []
        with self._lock:
            # Copied into DuckDB once: each filter's aggregation then reads native columns
            # instead of converting the Arrow batch again.
            self._con.register("owl_arrow", pa.table(cols))
            try:
                self._con.execute("CREATE OR REPLACE TEMP TABLE owl_evaluated AS FROM owl_arrow")
                for i, f in enumerate(c.filters):
                    value_col, dims = c.columns[i]
                    out += self._one(f, i, value_col, dims)
            finally:
                self._con.unregister("owl_arrow")
                self._con.execute("DROP TABLE IF EXISTS owl_evaluated")
        return out

    def _one(
        self, f: MetricFilter, i: int, value_col: str | int, dims: list[tuple[str, int]]
    ) -> list[Datum]:
        t = f.transformations[0]
        namespace, name = t["metricNamespace"], t["metricName"]
        unit = t.get("unit") or "None"
        sql = _AGGREGATE.format(
            dims="".join(f"d{k}, " for k in range(len(dims))),
            value=value_col if isinstance(value_col, str) else f"v{value_col}",
            dim_cols="".join(f", v{col} AS d{k}" for k, (_, col) in enumerate(dims)),
            mask=f"m{i}",
            since=int(f.created_ms),
            dims_present="".join(f" AND d{k} IS NOT NULL AND d{k} <> ''" for k in range(len(dims))),
        )
        out: list[Datum] = []
        table = self._con.execute(sql).to_arrow_table()
        keys, counts = table.column("hk").combine_chunks(), table.column("hv").combine_chunks()
        columns = [table.column(k).to_pylist() for k in ("minute", "n", "s", "lo", "hi")]
        dim_columns = [table.column(f"d{k}").to_pylist() for k in range(len(dims))]
        for r, (minute, n, total, lo, hi) in enumerate(zip(*columns, strict=True)):
            # One row per metric, dimensions and minute; its histogram may hold a value per
            # event, so it is compacted in numpy, not walked in Python.
            values, weights = compact(
                keys[r].values.to_numpy(zero_copy_only=False),
                counts[r].values.to_numpy(zero_copy_only=False),
            )
            dimensions = tuple(
                sorted((dn, str(col[r])) for (dn, _), col in zip(dims, dim_columns, strict=True))
            )
            out.append(
                Datum(
                    namespace=namespace,
                    name=name,
                    dimensions=dimensions,
                    timestamp_ms=int(minute),
                    sample_count=float(n),
                    sum=float(total),
                    minimum=float(lo),
                    maximum=float(hi),
                    unit=unit,
                    values=values,
                    counts=weights,
                )
            )
        default = t.get("defaultValue")
        if default is not None and not dims:
            d = float(default)
            unmatched = _UNMATCHED.format(mask=f"m{i}", since=int(f.created_ms))
            for minute, n in self._con.execute(unmatched).fetchall():
                out.append(
                    Datum(
                        namespace=namespace,
                        name=name,
                        dimensions=(),
                        timestamp_ms=int(minute),
                        sample_count=float(n),
                        sum=d * n,
                        minimum=d,
                        maximum=d,
                        unit=unit,
                        values=(d,),
                        counts=(float(n),),
                    )
                )
        return out
