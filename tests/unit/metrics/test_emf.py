"""formats.md §4: embedded metric format documents → metric datums."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from owl.metrics.datum import Datum
from owl.metrics.emf import STANDARD_UNITS, emf_datums

T0 = 1_700_000_040_000  # the start of a minute
NS = "MyApp"


def doc(
    *directives: dict[str, Any],
    timestamp: object = T0,
    aws: dict[str, Any] | None = None,
    **root: Any,
) -> str:
    meta: dict[str, Any] = {"Timestamp": timestamp, "CloudWatchMetrics": list(directives)}
    meta.update(aws or {})
    return orjson.dumps({"_aws": meta, **root}).decode()


def directive(
    metrics: list[dict[str, Any]] | None = None,
    dimensions: list[list[str]] | None = None,
    namespace: object = NS,
) -> dict[str, Any]:
    return {
        "Namespace": namespace,
        "Dimensions": [["Service"]] if dimensions is None else dimensions,
        "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}] if metrics is None else metrics,
    }


def run(*messages: str | None, group: str = "") -> list[Datum]:
    arr = pa.array(list(messages), pa.string())
    return emf_datums(arr, pa.array([T0] * len(messages), pa.int64()), log_group_name=group)


def one(*messages: str) -> Datum:
    (datum,) = run(*messages)
    return datum


# -- valid documents ------------------------------------------------------------------------


def test_single_value() -> None:
    d = one(doc(directive(), Service="api", Latency=12.5))
    assert d == Datum(
        namespace=NS,
        name="Latency",
        dimensions=(("Service", "api"),),
        timestamp_ms=T0,
        sample_count=1,
        sum=12.5,
        minimum=12.5,
        maximum=12.5,
        unit="Milliseconds",
        values=(12.5,),
        counts=(1,),
        storage_resolution=60,
    )


def test_real_producer_document_two_dimension_sets() -> None:
    """aws-embedded-metrics (formats.md §4.3): one metric per DimensionSet, array = samples."""
    message = (
        '{"Operation": "checkout", "Cell": "001", "RequestId": "r-1", "_aws": '
        f'{{"Timestamp": {T0 + 1234}, "CloudWatchMetrics": [{{"Dimensions": [["Operation"], '
        '["Operation","Cell"]], "Metrics": [{"Name": "Latency", "Unit": '
        '"Milliseconds"}], "Namespace": "NS"}]}, "Latency": [100, 200]}'
    )
    datums = sorted(run(message), key=lambda d: len(d.dimensions))
    assert [d.dimensions for d in datums] == [
        (("Operation", "checkout"),),
        (("Cell", "001"), ("Operation", "checkout")),
    ]
    for d in datums:
        assert (d.namespace, d.timestamp_ms, d.unit) == ("NS", T0, "Milliseconds")
        assert (d.sample_count, d.sum, d.minimum, d.maximum) == (2, 300, 100, 200)
        assert (d.values, d.counts) == ((100, 200), (1, 1))


def test_several_directives_and_metrics() -> None:
    message = doc(
        directive(
            [{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "Errors", "Unit": "Count"}]
        ),
        directive([{"Name": "Bytes", "Unit": "Bytes"}], [["Service", "Host"]], namespace="Other"),
        Service="api",
        Host="h1",
        Latency=3,
        Errors=0,
        Bytes=[1024, 1024, 10],
    )
    got = {(d.namespace, d.name, d.dimensions): d for d in run(message)}
    assert set(got) == {
        (NS, "Latency", (("Service", "api"),)),
        (NS, "Errors", (("Service", "api"),)),
        ("Other", "Bytes", (("Host", "h1"), ("Service", "api"))),
    }
    b = got["Other", "Bytes", (("Host", "h1"), ("Service", "api"))]
    assert (b.values, b.counts, b.sum, b.unit) == ((10, 1024), (1, 2), 2058, "Bytes")
    assert got[NS, "Errors", (("Service", "api"),)].sum == 0


def test_empty_dimension_set_means_no_dimensions() -> None:
    d = one(doc(directive(dimensions=[[]]), Latency=1))
    assert d.dimensions == ()


@pytest.mark.parametrize("declared", [None, []])
def test_directive_without_dimension_sets_publishes_without_dimensions(declared: object) -> None:
    """AWS's OpenTelemetry EMF exporters leave `Dimensions` out for attribute-less metrics."""
    d = directive()
    if declared is None:
        del d["Dimensions"]
    else:
        d["Dimensions"] = declared
    assert one(doc(d, Latency=1)).dimensions == ()


def test_repeated_dimension_sets_name_one_metric() -> None:
    d = one(
        doc(
            directive(dimensions=[["A", "B"], ["B", "A"], ["A", "A", "B"]]), A="1", B="2", Latency=4
        )
    )
    assert (d.dimensions, d.sample_count) == ((("A", "1"), ("B", "2")), 1)


def test_dimension_names_are_root_keys_with_dots() -> None:
    d = one(doc(directive(dimensions=[["a.b"]]), **{"a.b": "x", "a": {"b": "y"}}, Latency=1))
    assert d.dimensions == (("a.b", "x"),)


def test_high_resolution_is_bucketed_per_second() -> None:
    metrics = [{"Name": "Latency", "StorageResolution": 1}]
    datums = run(
        doc(directive(metrics), timestamp=T0 + 1100, Service="a", Latency=1),
        doc(directive(metrics), timestamp=T0 + 1900, Service="a", Latency=2),
        doc(directive(metrics), timestamp=T0 + 2000, Service="a", Latency=3),
    )
    assert sorted((d.timestamp_ms, d.sample_count, d.storage_resolution) for d in datums) == [
        (T0 + 1000, 2, 1),
        (T0 + 2000, 1, 1),
    ]
    assert {d.unit for d in datums} == {"None"}


def test_standard_resolution_is_bucketed_per_minute() -> None:
    datums = run(
        doc(directive(), timestamp=T0 + 59_999, Service="a", Latency=1),
        doc(directive(), timestamp=T0, Service="a", Latency=1),
        doc(directive(), timestamp=T0 + 60_000, Service="a", Latency=5),
    )
    got = sorted((d.timestamp_ms, d.sample_count, d.sum) for d in datums)
    assert got == [(T0, 2, 2), (T0 + 60_000, 1, 5)]


def test_resolution_and_unit_keep_datums_apart() -> None:
    datums = run(
        doc(directive([{"Name": "Latency", "StorageResolution": 60}]), Service="a", Latency=1),
        doc(directive([{"Name": "Latency", "StorageResolution": 1}]), Service="a", Latency=1),
        doc(directive([{"Name": "Latency", "Unit": "Seconds"}]), Service="a", Latency=1),
        doc(directive([{"Name": "Latency"}]), Service="a", Latency=2),
    )
    assert sorted((d.unit, d.storage_resolution, d.sum) for d in datums) == [
        ("None", 1, 1),
        ("None", 60, 3),
        ("Seconds", 60, 1),
    ]


def test_float_timestamp_and_extra_aws_members_are_tolerated() -> None:
    """The agent path adds `_aws.LogGroupName`/`LogStreamName` (formats.md §4.3)."""
    aws = {"LogGroupName": "g", "LogStreamName": "s"}
    d = one(doc(directive(), timestamp=T0 + 0.5, aws=aws, Service="a", Latency=1))
    assert d.timestamp_ms == T0


@pytest.mark.parametrize("unit", sorted(STANDARD_UNITS))
def test_every_standard_unit(unit: str) -> None:
    assert one(doc(directive([{"Name": "M", "Unit": unit}], [[]]), M=1)).unit == unit


def test_there_are_27_standard_units() -> None:
    assert len(STANDARD_UNITS) == 27


def test_null_unit_and_resolution_take_the_defaults() -> None:
    d = one(doc(directive([{"Name": "M", "Unit": None, "StorageResolution": None}], [[]]), M=1))
    assert (d.unit, d.storage_resolution) == ("None", 60)


def test_surrounding_whitespace_is_still_one_json_object() -> None:
    assert len(run("  " + doc(directive(), Service="a", Latency=1) + "\n")) == 1


def test_lambda_runtime_prefix_only_in_lambda_groups() -> None:
    message = "2024-01-01T00:00:00.000Z\tc0ffee\tINFO\t" + doc(directive(), Service="a", Latency=1)
    assert run(message) == []
    assert len(run(message, group="/aws/lambda/checkout")) == 1


def test_limits_at_the_edge_are_accepted() -> None:
    names = [f"d{i}" for i in range(30)]
    metrics = [{"Name": f"m{i}"} for i in range(100)]
    root: dict[str, Any] = {n: "v" for n in names} | {f"m{i}": list(range(100)) for i in range(100)}
    datums = run(doc(directive(metrics, [names], namespace="N" * 255), **root))
    assert len(datums) == 100
    assert all(d.sample_count == 100 and len(d.dimensions) == 30 for d in datums)


def test_a_metric_defined_twice_in_a_directive_counts_once() -> None:
    metrics = [{"Name": "Latency", "Unit": "Seconds"}, {"Name": "Latency", "Unit": "Count"}]
    d = one(doc(directive(metrics), Service="a", Latency=[1, 2]))
    assert (d.unit, d.sample_count) == ("Seconds", 2)


def test_integral_float_resolution_and_epoch_zero_are_accepted() -> None:
    metrics = [{"Name": "Latency", "StorageResolution": 1.0}]
    d = one(doc(directive(metrics), timestamp=0, Service="a", Latency=1))
    assert (d.storage_resolution, d.timestamp_ms) == (1, 0)


def test_the_event_timestamp_is_not_the_metric_time() -> None:
    message = doc(directive(), timestamp=T0 + 120_000, Service="a", Latency=1)
    d = one_of(emf_datums(pa.array([message]), pa.array([5], pa.int64())))
    assert d.timestamp_ms == T0 + 120_000


# -- metrics skipped, the rest of the document kept -----------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, "12", True, {"Sum": 1}, [1, "2"], [1, None], [], [True], 2.0**400, 1e-300],
    ids=repr,
)
def test_non_numeric_value_skips_only_that_metric(value: object) -> None:
    metrics = [{"Name": "Bad"}, {"Name": "Good"}]
    root: dict[str, Any] = {"Service": "a", "Good": 7}
    if value is not None:
        root["Bad"] = value
    d = one(doc(directive(metrics), **root))
    assert (d.name, d.sum) == ("Good", 7)


def test_zero_and_negative_values_are_samples() -> None:
    d = one(doc(directive(), Service="a", Latency=[0, -1.5, -0.0]))
    assert (d.sample_count, d.minimum, d.maximum, d.values, d.counts) == (
        3,
        -1.5,
        0,
        (-1.5, 0.0),
        (1, 2),
    )


# -- invalid documents: the event yields no metric at all -----------------------------------

VALID_DIRECTIVE = directive()
GOOD_ROOT = {"Service": "api", "Latency": 1}


def invalid_cases() -> list[tuple[str, str]]:
    def with_directive(**changes: Any) -> str:
        d = dict(VALID_DIRECTIVE)
        for key, value in changes.items():
            if value is ...:
                del d[key]
            else:
                d[key] = value
        return doc(d, directive(namespace="Fine"), **GOOD_ROOT)

    def metric(**fields: Any) -> str:
        return with_directive(Metrics=[{"Name": "Latency", **fields}])

    good = doc(VALID_DIRECTIVE, **GOOD_ROOT)
    return [
        ("not json", "{_aws: 1}"),
        ("truncated", good[:-1]),
        ("data after the object", good + " trailing"),
        ("data before the object", "x " + good),
        ("two objects", good + good),
        ("root is an array", f"[{good}]"),
        ("_aws not an object", orjson.dumps({"_aws": [1], **GOOD_ROOT}).decode()),
        ("_aws null", orjson.dumps({"_aws": None, **GOOD_ROOT}).decode()),
        ("_aws nested, not at the root", orjson.dumps({"x": {"_aws": {}}}).decode()),
        ("CloudWatchMetrics missing", orjson.dumps({"_aws": {"Timestamp": T0}}).decode()),
        (
            "CloudWatchMetrics not an array",
            orjson.dumps(
                {"_aws": {"Timestamp": T0, "CloudWatchMetrics": VALID_DIRECTIVE}}
            ).decode(),
        ),
        ("directive not an object", doc(VALID_DIRECTIVE, "x", **GOOD_ROOT)),  # type: ignore[arg-type]
        (
            "Timestamp missing",
            orjson.dumps({"_aws": {"CloudWatchMetrics": [VALID_DIRECTIVE]}, **GOOD_ROOT}).decode(),
        ),
        ("Timestamp a string", doc(VALID_DIRECTIVE, timestamp=str(T0), **GOOD_ROOT)),
        ("Timestamp a boolean", doc(VALID_DIRECTIVE, timestamp=True, **GOOD_ROOT)),
        ("Timestamp null", doc(VALID_DIRECTIVE, timestamp=None, **GOOD_ROOT)),
        ("Timestamp negative", doc(VALID_DIRECTIVE, timestamp=-1, **GOOD_ROOT)),
        ("Timestamp past year 9999", doc(VALID_DIRECTIVE, timestamp=10**17, **GOOD_ROOT)),
        ("Namespace missing", with_directive(Namespace=...)),
        ("Namespace empty", with_directive(Namespace="")),
        ("Namespace too long", with_directive(Namespace="N" * 256)),
        ("Namespace not a string", with_directive(Namespace=5)),
        ("Dimensions not an array", with_directive(Dimensions="Service")),
        ("Dimensions null", with_directive(Dimensions=None)),
        ("DimensionSet not an array", with_directive(Dimensions=["Service"])),
        ("dimension name not a string", with_directive(Dimensions=[[1]])),
        ("dimension name empty", with_directive(Dimensions=[[""]])),
        ("31 dimensions", with_directive(Dimensions=[[f"d{i}" for i in range(31)]])),
        ("dimension target missing", with_directive(Dimensions=[["Absent"]])),
        (
            "dimension target a number",
            doc(VALID_DIRECTIVE, directive(namespace="F"), Service=1, Latency=1),
        ),
        ("dimension target empty", doc(VALID_DIRECTIVE, Service="", Latency=1)),
        ("dimension target too long", doc(VALID_DIRECTIVE, Service="v" * 1025, Latency=1)),
        ("Metrics missing", with_directive(Metrics=...)),
        ("Metrics not an array", with_directive(Metrics={"Name": "Latency"})),
        ("101 metrics", with_directive(Metrics=[{"Name": f"m{i}"} for i in range(101)])),
        ("metric definition not an object", with_directive(Metrics=["Latency"])),
        ("metric Name missing", with_directive(Metrics=[{"Unit": "Count"}])),
        ("metric Name not a string", with_directive(Metrics=[{"Name": 3}])),
        ("metric Name empty", with_directive(Metrics=[{"Name": ""}])),
        ("metric Name too long", with_directive(Metrics=[{"Name": "m" * 256}])),
        ("unit not standard", metric(Unit="Millis")),
        ("unit in the wrong case", metric(Unit="milliseconds")),
        ("unit not a string", metric(Unit=1)),
        ("unit a list (unhashable)", metric(Unit=[])),
        ("unit an object (unhashable)", metric(Unit={})),
        ("resolution a list", metric(StorageResolution=[1])),
        ("StorageResolution 30", metric(StorageResolution=30)),
        ("StorageResolution a string", metric(StorageResolution="1")),
        ("StorageResolution true", metric(StorageResolution=True)),
        ("101 values", doc(VALID_DIRECTIVE, Service="a", Latency=list(range(101)))),
    ]


@pytest.mark.parametrize(("case", "message"), invalid_cases(), ids=[c for c, _ in invalid_cases()])
def test_invalid_document_yields_nothing(case: str, message: str) -> None:
    assert run(message) == []


def test_invalid_document_leaves_the_other_events_alone() -> None:
    bad = doc(directive(), Service=1, Latency=1)
    good = doc(directive(), Service="a", Latency=2)
    assert one(bad, good, "plain text", bad).sum == 2


# -- batches ---------------------------------------------------------------------------------


def test_batch_without_candidates_is_a_no_op() -> None:
    assert run() == []
    assert run("GET / 200", None, '{"level": "info", "aws": 1}') == []


def test_chunked_and_large_string_columns() -> None:
    message = doc(directive(), Service="a", Latency=1)
    chunked = pa.chunked_array([[message, "x"], [None, message]])
    assert one_of(emf_datums(chunked)).sample_count == 2
    assert one_of(emf_datums(pa.array([message], pa.large_string()))).sample_count == 1


def one_of(datums: list[Datum]) -> Datum:
    (datum,) = datums
    return datum


# -- properties ------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
aws_keys = st.sampled_from(
    [
        "Timestamp",
        "CloudWatchMetrics",
        "Namespace",
        "Dimensions",
        "Metrics",
        "Name",
        "Unit",
        "StorageResolution",
        "Service",
        "Latency",
    ]
)


@st.composite
def mangled_documents(draw: st.DrawFn) -> str:
    """A valid-looking document with one member anywhere replaced by an arbitrary JSON value."""
    tree: Any = orjson.loads(doc(directive(), Service="a", Latency=[1, 2]))
    node = tree
    while True:
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)) | aws_keys)
        elif isinstance(node, list) and node:
            key = draw(st.integers(0, len(node) - 1))
        else:
            break
        child = node[key] if (isinstance(node, list) or key in node) else None
        if child is None or not isinstance(child, dict | list) or draw(st.booleans()):
            node[key] = draw(json_values)
            break
        node = child
    return orjson.dumps(tree).decode()


@given(
    st.lists(st.text() | mangled_documents(), max_size=6), st.sampled_from(["", "/aws/lambda/f"])
)
@settings(max_examples=300)
def test_any_text_never_raises(messages: list[str], group: str) -> None:
    for d in run(*messages, group=group):
        assert d.sample_count >= 1 and d.minimum <= d.maximum


non_emf_text = st.text().filter(lambda s: "_aws" not in s)


@given(
    st.lists(
        non_emf_text
        | st.dictionaries(st.text(max_size=8), json_values).map(lambda m: orjson.dumps(m).decode()),
        max_size=8,
    )
)
def test_non_emf_messages_yield_nothing(messages: list[str]) -> None:
    messages = [m for m in messages if '"_aws"' not in m]
    assert run(*messages) == []


names = st.text("abcdefghij.:_-", min_size=1, max_size=6)
numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False).filter(
    lambda v: v == 0 or abs(v) >= 1e-12
)


@st.composite
def valid_documents(draw: st.DrawFn) -> tuple[str, list[tuple[Any, ...]]]:
    """A valid document and its expected samples: (namespace, name, dims, unit, res, ts, values)."""
    timestamp = draw(st.integers(0, 4_000_000_000_000))
    dim_names = draw(st.lists(names, max_size=5, unique=True))
    root: dict[str, Any] = {n: draw(st.text(min_size=1, max_size=5)) for n in dim_names}
    directives, expected = [], []
    metric_names = draw(
        st.lists(names.filter(lambda n: n not in dim_names), min_size=1, max_size=4, unique=True)
    )
    for name in metric_names:
        root[name] = draw(numbers | st.lists(numbers, min_size=1, max_size=100))
    for _ in range(draw(st.integers(1, 3))):
        namespace = draw(st.text(min_size=1, max_size=10))
        sets = draw(
            st.lists(
                st.lists(st.sampled_from(dim_names), unique=True) if dim_names else st.just([]),
                min_size=1,
                max_size=3,
            )
        )
        chosen = draw(st.lists(st.sampled_from(metric_names), min_size=1, unique=True))
        defs = []
        for name in chosen:
            unit = draw(st.sampled_from(sorted(STANDARD_UNITS)))
            res = draw(st.sampled_from([1, 60]))
            defs.append({"Name": name, "Unit": unit, "StorageResolution": res})
            period = 1000 if res == 1 else 60_000
            values = root[name] if isinstance(root[name], list) else [root[name]]
            for dims in {tuple(sorted((n, root[n]) for n in s)) for s in sets}:
                expected.append(
                    (namespace, name, dims, unit, res, timestamp // period * period, values)
                )
        directives.append({"Namespace": namespace, "Dimensions": sets, "Metrics": defs})
    return doc(*directives, timestamp=timestamp, **root), expected


def aggregate(expected: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[float]]:
    out: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for *key, values in expected:
        out[tuple(key)] += [float(v) for v in values]
    return out


def key_of(d: Datum) -> tuple[Any, ...]:
    return (d.namespace, d.name, d.dimensions, d.unit, d.storage_resolution, d.timestamp_ms)


@given(valid_documents())
def test_valid_document_yields_exactly_the_expected_datums(
    case: tuple[str, list[tuple[Any, ...]]],
) -> None:
    message, expected = case
    want = aggregate(expected)
    got = {key_of(d): d for d in run(message)}
    assert set(got) == set(want)
    for key, values in want.items():
        d = got[key]
        counter = Counter(values)
        assert d.values == tuple(sorted(counter))
        assert d.counts == tuple(float(counter[v]) for v in sorted(counter))
        assert (d.sample_count, d.minimum, d.maximum) == (len(values), min(values), max(values))
        assert d.sum == math.fsum(values)


@given(st.lists(valid_documents(), min_size=1, max_size=6), st.lists(st.text(), max_size=4))
def test_batch_aggregates_match_a_naive_computation(
    cases: list[tuple[str, list[tuple[Any, ...]]]], noise: list[str]
) -> None:
    want = aggregate([sample for _, expected in cases for sample in expected])
    got = run(*noise, *(message for message, _ in cases))
    assert len(got) == len({key_of(d) for d in got}) == len(want)
    for d in got:
        values = want[key_of(d)]
        assert d.sample_count == len(values) == sum(d.counts)
        assert d.sum == pytest.approx(sum(values), rel=1e-9, abs=1e-6)
        assert (d.minimum, d.maximum) == (min(values), max(values))
        assert math.fsum(v * c for v, c in zip(d.values, d.counts, strict=True)) == pytest.approx(
            d.sum, rel=1e-9, abs=1e-6
        )
