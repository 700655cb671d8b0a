"""The metric publisher's linger: small rounds wait for more batches, a reader never does."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pyarrow as pa

from owl.domain.metric_filters import MetricFilter
from owl.metrics.datum import Datum
from owl.services.logs.metric_publish import MetricPublisher

FILTER = MetricFilter(
    1,
    "/g",
    "errors",
    "ERROR",
    ({"metricName": "Errors", "metricNamespace": "T", "metricValue": "1"},),
    {},
    0,
)


class _Filters:
    version = 1

    def of_group(self, group_id: int) -> tuple[MetricFilter, ...]:
        return (FILTER,)


class _Sink:
    def __init__(self) -> None:
        self.rounds: list[float] = []  # sample counts of each put

    def put(self, account_id: str, region: str, datums: Sequence[Datum]) -> None:
        self.rounds.append(sum(d.sample_count for d in datums))


def _publish(publisher: MetricPublisher, n: int) -> None:
    ts = pa.array([1_700_000_000_000] * n, pa.int64())
    messages = pa.array(["ERROR x"] * n, pa.string())
    publisher.publish("1", "us-east-1", 1, "/g", 1_700_000_000_000, ts, messages)


def test_a_reader_cuts_the_linger_short_and_small_batches_are_joined() -> None:
    sink = _Sink()
    publisher = MetricPublisher(_Filters(), sink, linger_s=10.0)  # type: ignore[arg-type]
    try:
        for _ in range(5):
            _publish(publisher, 100)
        start = time.monotonic()
        assert publisher.settle(timeout=5.0)
        assert time.monotonic() - start < 2.0  # not the 10 s linger
        assert sum(sink.rounds) == 500
        assert len(sink.rounds) < 5  # joined, not one round per batch
    finally:
        publisher.close()


def test_no_linger_publishes_each_batch_at_once() -> None:
    sink = _Sink()
    publisher = MetricPublisher(_Filters(), sink, linger_s=0.0)  # type: ignore[arg-type]
    try:
        _publish(publisher, 10)
        deadline = time.monotonic() + 5
        while not sink.rounds and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.rounds == [10.0]
    finally:
        publisher.close()
