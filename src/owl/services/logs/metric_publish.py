"""Metrics out of an ingested batch: a group's metric filters, fused, and embedded metric format.

Runs after the batch is durable, on the events that were stored. All filters of the group are
one pass of the batch evaluator (a mask per filter, a column per metric value and dimension);
DuckDB then folds each filter's matches per minute and dimension values into count, sum, min,
max and a histogram, so Python sees one row per metric and minute, never one per event.
Events before a filter existed never reach it: filters apply at ingestion only.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from owl.domain.metric_filters import MetricFilter, MetricFilters
from owl.metrics.datum import Datum
from owl.metrics.emf import emf_datums
from owl.patterns import BatchEvaluator, parse

log = logging.getLogger("owl.metrics")

_AGGREGATE = """
SELECT ts // 60000 * 60000 AS minute, {dims} count(*) AS n, sum(v) AS s, min(v) AS lo,
       max(v) AS hi, histogram(v) AS h
FROM (SELECT ts, TRY_CAST({value} AS DOUBLE) AS v {dim_cols} FROM owl_evaluated WHERE {mask})
WHERE v IS NOT NULL AND isfinite(v) {dims_present}
GROUP BY ALL
"""
_UNMATCHED = """
SELECT ts // 60000 * 60000 AS minute, count(*) AS n FROM owl_evaluated WHERE NOT {mask}
GROUP BY ALL
"""


@dataclass
class _Compiled:
    version: int
    filters: tuple[MetricFilter, ...]
    evaluator: BatchEvaluator
    # Per filter: the index of its value column, then of each dimension's (name, column).
    columns: list[tuple[int, list[tuple[str, int]]]]


def _compile(version: int, filters: tuple[MetricFilter, ...]) -> _Compiled:
    refs: list[tuple[int, str]] = []
    columns: list[tuple[int, list[tuple[str, int]]]] = []
    for i, f in enumerate(filters):
        t = f.transformations[0]
        value_col = len(refs)
        refs.append((i, t["metricValue"]))
        dims: list[tuple[str, int]] = []
        for name, ref in sorted((t.get("dimensions") or {}).items()):
            dims.append((name, len(refs)))
            refs.append((i, ref))
        columns.append((value_col, dims))
    evaluator = BatchEvaluator([parse(f.pattern) for f in filters], refs)
    return _Compiled(version, filters, evaluator, columns)


class MetricPublisher:
    """Turns ingested batches into datums for the metric store."""

    def __init__(self, filters: MetricFilters, sink: Any) -> None:
        self._filters = filters
        self._sink = sink
        self._compiled: dict[int, _Compiled] = {}
        self._lock = threading.Lock()  # the aggregation connection
        self._compile_lock = threading.Lock()
        self._con = duckdb.connect()

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

    def publish(
        self,
        account_id: str,
        region: str,
        group_id: int,
        group_name: str,
        ts: pa.Array,
        messages: pa.Array,
    ) -> None:
        """Datums of one stored batch to the sink; a failure is logged, never raised (the
        events are stored and acknowledged whatever happens to their metrics)."""
        try:
            datums = emf_datums(messages, ts, log_group_name=group_name)
            compiled = self._evaluator(group_id)
            if compiled is not None:
                datums += self._filter_datums(compiled, ts, messages)
            if datums:
                self._sink.put(account_id, region, datums)
        except Exception:
            log.exception("Publishing metrics failed group_id=%d", group_id)

    def _filter_datums(self, c: _Compiled, ts: pa.Array, messages: pa.Array) -> list[Datum]:
        result = c.evaluator.run(messages)
        cols: dict[str, pa.Array] = {"ts": ts}
        for i, mask in enumerate(result.masks):
            cols[f"m{i}"] = mask
        for j, values in enumerate(result.values):
            cols[f"v{j}"] = values
        out: list[Datum] = []
        with self._lock:
            self._con.register("owl_evaluated", pa.table(cols))
            try:
                for i, f in enumerate(c.filters):
                    value_col, dims = c.columns[i]
                    out += self._one(f, i, value_col, dims)
            finally:
                self._con.unregister("owl_evaluated")
        return out

    def _one(
        self, f: MetricFilter, i: int, value_col: int, dims: list[tuple[str, int]]
    ) -> list[Datum]:
        t = f.transformations[0]
        namespace, name = t["metricNamespace"], t["metricName"]
        unit = t.get("unit") or "None"
        sql = _AGGREGATE.format(
            dims="".join(f"d{k}, " for k in range(len(dims))),
            value=f"v{value_col}",
            dim_cols="".join(f", v{col} AS d{k}" for k, (_, col) in enumerate(dims)),
            mask=f"m{i}",
            dims_present="".join(f" AND d{k} IS NOT NULL AND d{k} <> ''" for k in range(len(dims))),
        )
        out: list[Datum] = []
        for row in self._con.execute(sql).fetchall():
            minute, *dim_values = row[: 1 + len(dims)]
            n, total, lo, hi, hist = row[1 + len(dims) :]
            values = tuple(float(v) for v in hist)
            out.append(
                Datum(
                    namespace=namespace,
                    name=name,
                    dimensions=tuple(
                        sorted((dn, str(dv)) for (dn, _), dv in zip(dims, dim_values, strict=True))
                    ),
                    timestamp_ms=int(minute),
                    sample_count=float(n),
                    sum=float(total),
                    minimum=float(lo),
                    maximum=float(hi),
                    unit=unit,
                    values=values,
                    counts=tuple(float(hist[v]) for v in hist),
                )
            )
        default = t.get("defaultValue")
        if default is not None and not dims:
            d = float(default)
            for minute, n in self._con.execute(_UNMATCHED.format(mask=f"m{i}")).fetchall():
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
