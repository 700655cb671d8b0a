"""Embedded metric format (EMF): the metrics that the log events of one ingested batch carry.

A log event whose message is a JSON object with `_aws.CloudWatchMetrics` asks CloudWatch Logs to
publish metrics read from its own root members (formats.md §4). This module finds those events
in an Arrow batch, validates each document as CloudWatch does and folds the samples of the batch
into `Datum`s, one per metric, dimensions, unit, resolution and period. It knows nothing of the
store, the services or HTTP: it imports only `owl.metrics.datum`, pyarrow and orjson.

Most events of a batch are not EMF, so candidates are picked by one Arrow kernel (the message
contains `"_aws"`) and only those are parsed in Python.
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from owl.metrics.datum import Datum, Dimensions

__all__ = ["STANDARD_UNITS", "emf_datums", "document_samples"]

STANDARD_UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)

MAX_METRICS_PER_DIRECTIVE = 100
MAX_DIMENSIONS_PER_SET = 30
MAX_VALUES_PER_METRIC = 100
MAX_NAMESPACE_CHARS = 255
MAX_NAME_CHARS = 255  # MetricName and dimension names, as PutMetricData bounds them
MAX_DIMENSION_VALUE_CHARS = 1024
# CloudWatch refuses magnitudes outside [2^-260, 2^360] (zero aside), so such a value is not a
# number it could store: the metric is skipped like any non-numeric value.
_MAX_MAGNITUDE = 2.0**360
_MIN_MAGNITUDE = 2.0**-260
# Timestamps past year 9999 or before 1970 cannot be a metric's time.
_MAX_TIMESTAMP_MS = 253_402_300_799_999
_LAMBDA_GROUP_PREFIX = "/aws/lambda/"
# The key as producers write it; one spelled with escapes (`"\u005faws"`) is not a candidate.
_CANDIDATE_MARK = '"_aws"'

# (namespace, name, dimensions, unit, storage resolution, timestamp ms) and its sample values.
SampleKey = tuple[str, str, Dimensions, str, int, int]
Sample = tuple[SampleKey, list[float]]


class _Invalid(Exception):
    """An EMF document that breaks the specification: the event yields no metric at all."""


def emf_datums(
    messages: pa.Array | pa.ChunkedArray,
    timestamps: pa.Array | pa.ChunkedArray | None = None,
    *,
    log_group_name: str = "",
) -> list[Datum]:
    """The metric datums that the EMF events of one ingested batch publish.

    Called by ingestion after the batch is durable; the events themselves are stored whatever
    this finds (invalid EMF never rejects a log event). `messages` is the batch's string column;
    `timestamps` (the events' own times) is accepted so that callers hand over the batch as is,
    but EMF stamps metrics with `_aws.Timestamp`, never with the event's time. `log_group_name`
    only decides whether a Lambda runtime prefix may precede the document.

    Samples of the same namespace, metric name, dimensions, unit and storage resolution in the
    same minute (the same second for resolution 1) become one `Datum`, whose `timestamp_ms` is
    the start of that period and whose `values`/`counts` hold the distinct values. Invalid
    documents yield nothing and nothing here raises on any message content. A batch without
    candidates costs one Arrow kernel and returns an empty list.
    """
    del timestamps  # part of the contract; EMF ignores the event time
    if len(messages) == 0:
        return []
    mask = pc.fill_null(pc.match_substring(messages, _CANDIDATE_MARK), False)
    if not pc.any(mask).as_py():
        return []
    lambda_prefix = log_group_name.startswith(_LAMBDA_GROUP_PREFIX)
    buckets: dict[SampleKey, list[float]] = {}
    for text in pc.filter(messages, mask).to_pylist():
        for key, values in document_samples(text, lambda_prefix=lambda_prefix):
            buckets.setdefault(key, []).extend(values)
    return [_datum(key, values) for key, values in buckets.items()]


def document_samples(text: str, *, lambda_prefix: bool = False) -> list[Sample]:
    """The samples one message publishes, keyed by metric and period; [] when it is not valid EMF.

    `lambda_prefix` lets the document follow a runtime prefix (timestamp, request id, level),
    as Lambda's log pipeline allows; otherwise the message must be the JSON object alone.
    """
    if lambda_prefix:
        start = text.find("{")
        if start < 0:
            return []
        text = text[start:]
    try:
        root = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(root, dict):
        return []
    meta = root.get("_aws")
    if not isinstance(meta, dict) or "CloudWatchMetrics" not in meta:
        return []
    try:
        return _samples(root, meta)
    except _Invalid:
        return []


def _samples(root: dict[str, Any], meta: dict[str, Any]) -> list[Sample]:
    """Every sample of a document; one invalid directive voids them all (raises `_Invalid`)."""
    timestamp = _timestamp(meta.get("Timestamp"))
    directives = meta["CloudWatchMetrics"]
    if not isinstance(directives, list):
        raise _Invalid
    out: list[Sample] = []
    for directive in directives:
        if not isinstance(directive, dict):
            raise _Invalid
        namespace = _namespace(directive.get("Namespace"))
        dimension_sets = _dimension_sets(root, directive)
        for name, unit, resolution in _definitions(directive):
            values = _values(root.get(name))
            if not values:
                continue
            period_ms = 1000 if resolution == 1 else 60_000
            stamp = timestamp - timestamp % period_ms
            for dims in dimension_sets:
                out.append(((namespace, name, dims, unit, resolution, stamp), values))
    return out


def _timestamp(value: object) -> int:
    if not _is_number(value) or not 0 <= value <= _MAX_TIMESTAMP_MS:
        raise _Invalid
    return int(value)


def _namespace(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAMESPACE_CHARS:
        raise _Invalid
    return value


def _dimension_sets(root: dict[str, Any], directive: dict[str, Any]) -> list[Dimensions]:
    """Distinct dimension sets with the root's values; none declared means one without dimensions.

    A directive without `Dimensions` (or with an empty list) publishes its metrics without
    dimensions: AWS's own OpenTelemetry EMF exporters emit exactly that for attribute-less
    metrics. Listing the same names twice, in any order, names the same metric once.
    """
    if "Dimensions" not in directive:
        return [()]
    declared = directive["Dimensions"]
    if not isinstance(declared, list):
        raise _Invalid
    sets: dict[Dimensions, None] = {}
    for names in declared:
        if not isinstance(names, list) or len(names) > MAX_DIMENSIONS_PER_SET:
            raise _Invalid
        pairs: dict[str, str] = {}
        for name in names:
            if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
                raise _Invalid
            value = root.get(name)
            if not isinstance(value, str) or not 1 <= len(value) <= MAX_DIMENSION_VALUE_CHARS:
                raise _Invalid
            pairs[name] = value
        sets[tuple(sorted(pairs.items()))] = None
    return list(sets) or [()]


def _definitions(directive: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(name, unit, storage resolution) of each metric, the first definition of a name winning."""
    metrics = directive.get("Metrics")
    if not isinstance(metrics, list) or len(metrics) > MAX_METRICS_PER_DIRECTIVE:
        raise _Invalid
    found: dict[str, tuple[str, str, int]] = {}
    for metric in metrics:
        if not isinstance(metric, dict):
            raise _Invalid
        name = metric.get("Name")
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
            raise _Invalid
        unit = metric.get("Unit")
        if unit is None:
            unit = "None"
        elif not isinstance(unit, str) or unit not in STANDARD_UNITS:
            raise _Invalid
        resolution = metric.get("StorageResolution")
        if resolution is None:
            resolution = 60
        elif (
            not isinstance(resolution, int | float)
            or isinstance(resolution, bool)
            or resolution not in (1, 60)
        ):
            raise _Invalid
        found.setdefault(name, (name, unit, int(resolution)))
    return list(found.values())


def _values(target: object) -> list[float]:
    """The samples of a metric's root member; [] (the metric is skipped) unless all are numbers."""
    if _is_sample(target):
        return [float(target)]
    if not isinstance(target, list):
        return []
    if len(target) > MAX_VALUES_PER_METRIC:
        raise _Invalid
    if not all(_is_sample(v) for v in target):
        return []
    return [float(v) for v in target]


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_sample(value: object) -> TypeGuard[int | float]:
    if not _is_number(value):
        return False
    magnitude = abs(float(value))
    return magnitude == 0.0 or _MIN_MAGNITUDE <= magnitude <= _MAX_MAGNITUDE


def _datum(key: SampleKey, values: list[float]) -> Datum:
    namespace, name, dims, unit, resolution, stamp = key
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    distinct = sorted(counts)
    return Datum(
        namespace=namespace,
        name=name,
        dimensions=dims,
        timestamp_ms=stamp,
        sample_count=float(len(values)),
        sum=math.fsum(values),
        minimum=distinct[0],
        maximum=distinct[-1],
        unit=unit,
        values=tuple(distinct),
        counts=tuple(float(counts[v]) for v in distinct),
        storage_resolution=resolution,
    )
