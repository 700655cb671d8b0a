"""The alarm evaluation rule, its reason text, the alarm table and one evaluator pass."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from owl.metrics.alarms import (
    ALARM,
    INSUFFICIENT,
    OK,
    STATIC_OPERATORS,
    TREATMENTS,
    Alarm,
    AlarmEngine,
    AlarmStore,
    HistoryItem,
    decide,
    iso_time,
    load_endpoints,
    state_reason,
)
from owl.metrics.datum import Datum
from owl.metrics.store import MetricStore

values = st.lists(st.none() | st.floats(-10, 10, allow_nan=False), min_size=1, max_size=10)
states = st.sampled_from([OK, ALARM, INSUFFICIENT])
Case = tuple[list[float | None], float, str, int, str, str]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    vs = draw(values)
    m = draw(st.integers(1, len(vs)))
    return (
        vs,
        draw(st.floats(-10, 10, allow_nan=False)),
        draw(st.sampled_from(STATIC_OPERATORS)),
        m,
        draw(st.sampled_from(TREATMENTS)),
        draw(states),
    )


@given(cases())
def test_complete_data_ignores_the_treatment(case: Case) -> None:
    vs, threshold, op, m, treat, current = case
    full = [0.0 if v is None else v for v in vs]
    d = decide(full, threshold, op, m, treat, current)
    assert d.state == (ALARM if d.breaching >= m else OK)
    assert d.missing == 0


@given(cases())
def test_treatments(case: Case) -> None:
    vs, threshold, op, m, treat, current = case
    d = decide(vs, threshold, op, m, treat, current)
    assert d.present + d.missing == len(vs)
    if treat == "breaching":
        assert d.state == (ALARM if d.breaching + d.missing >= m else OK)
    elif treat == "notBreaching":
        assert d.state == (ALARM if d.breaching >= m else OK)
    elif d.present == 0:
        assert d.state == (current if treat == "ignore" else INSUFFICIENT)
    else:
        assert d.state in (OK, ALARM)
        if d.breaching >= m:
            assert d.state == ALARM


@given(cases(), st.integers(0, 9))
def test_a_higher_value_never_clears_a_greater_than_alarm(case: Case, i: int) -> None:
    """Filled treatments only: the early-alarm rule of missing/ignore is not monotonic
    (a breach further back can break the run of breaching-or-empty periods)."""
    vs, threshold, _, m, treat, current = case
    if treat in ("missing", "ignore"):
        treat = "breaching"
    op = "GreaterThanThreshold"
    i %= len(vs)
    raised = list(vs)
    old = vs[i]
    raised[i] = (threshold if old is None else old) + 100
    before = decide(vs, threshold, op, m, treat, current).state
    after = decide(raised, threshold, op, m, treat, current).state
    if before == ALARM:
        assert after == ALARM


def test_missing_and_ignore_evaluate_the_real_points_alone() -> None:
    gt = "GreaterThanThreshold"
    assert decide([None, None, 5.0], 1.0, gt, 3, "missing", OK).state == OK
    # Early alarm: the oldest breaching point is M periods old, nothing newer is below.
    assert decide([5.0, None, None], 1.0, gt, 3, "missing", OK).state == ALARM
    assert decide([0.0, 5.0, None, 5.0], 1.0, gt, 3, "ignore", OK).state == ALARM
    assert decide([5.0, 0.0, None, None], 1.0, gt, 3, "missing", OK).state == OK
    assert decide([None, None, 0.0], 1.0, gt, 3, "missing", ALARM).state == OK
    assert decide([5.0, None, 0.0], 1.0, gt, 2, "ignore", OK).state == OK
    assert decide([None, None], 1.0, gt, 1, "ignore", ALARM).state == ALARM
    assert decide([None, None], 1.0, gt, 1, "missing", ALARM).state == INSUFFICIENT


def test_reason_text() -> None:
    gt = "GreaterThanThreshold"
    stamps, vs = [1_796_606_400], [5.0]  # 2026-12-07 01:20:00 UTC
    d = decide(vs, 1.0, gt, 1, "missing", INSUFFICIENT)
    assert state_reason(d, stamps, vs, 1.0, gt, 1, OK) == (
        "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (07/12/26 01:20:00)] was"
        " greater than the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    two = [1_796_606_400, 1_796_606_460, 1_796_606_520]
    vs3: list[float | None] = [0.0, 0.5, None]
    d = decide(vs3, 1.0, gt, 2, "notBreaching", ALARM)
    text = state_reason(d, two, vs3, 1.0, gt, 2, ALARM)
    assert text.startswith("Threshold Crossed: 3 out of the last 3 datapoints [0.0 (")
    assert "were not greater than the threshold (1.0)" in text
    assert "(minimum 1 datapoint for ALARM -> OK transition)" in text
    assert text.endswith("1 missing datapoint was treated as [NotBreaching].")
    d = decide([None], 1.0, gt, 1, "missing", OK)
    assert state_reason(d, [0], [None], 1.0, gt, 1, OK) == (
        "Insufficient Data: 1 datapoint was unknown."
    )


def test_iso_time() -> None:
    assert iso_time(1_796_606_400_123) == "2026-12-07T01:20:00.123+0000"
    assert iso_time(1_796_606_400_999) == "2026-12-07T01:20:00.999+0000"


def test_endpoints_from_json_or_file(tmp_path: Path) -> None:
    mapping = {"arn:aws:sns:us-east-1:1:t": "http://127.0.0.1:1/"}
    assert load_endpoints(json.dumps(mapping)) == mapping
    path = tmp_path / "actions.json"
    path.write_text(json.dumps(mapping))
    assert load_endpoints(str(path)) == mapping
    assert load_endpoints("") == {}


def _config(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "AlarmName": "a",
        "Namespace": "N",
        "MetricName": "m",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 1,
        "Threshold": 3.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    base.update(kw)
    return base


def test_store_round_trip_and_history(tmp_path: Path) -> None:
    store = AlarmStore(tmp_path / "alarms.db")
    alarm = Alarm("111", "r", "a", _config(), {"k": "v"}, config_updated_ms=5)
    store.save(alarm, HistoryItem("a", 1, "ConfigurationUpdate", "created", "{}"))
    store.close()
    store = AlarmStore(tmp_path / "alarms.db")
    assert store.get("111", "r", "a") == alarm
    assert store.get("111", "other", "a") is None
    store.record("111", "r", HistoryItem("a", 2, "Action", "sent", "{}"))
    got = store.history(
        "111", "r", name="a", item_type=None, start_ms=None, end_ms=None, ascending=False
    )
    assert [h.summary for h in got] == ["sent", "created"]
    assert store.purge_history(before_ms=2) == 1
    store.delete("111", "r", ["a", "unknown"])
    assert store.alarms("111", "r") == []
    store.close()


def test_one_evaluator_pass_on_stored_metrics(tmp_path: Path) -> None:
    now = [1_796_606_400_000 + 30_000]
    metrics = MetricStore(tmp_path / "metrics.db", bytes(32))
    engine = AlarmEngine(AlarmStore(tmp_path / "alarms.db"), metrics, lambda: now[0])
    engine.store.save(Alarm("1", "r", "a", _config(), {}))
    d = Datum(
        namespace="N",
        name="m",
        dimensions=(),
        timestamp_ms=now[0],
        unit="None",
        storage_resolution=60,
        sample_count=2,
        sum=4.0,
        minimum=1.0,
        maximum=3.0,
    )
    metrics.put("1", "r", [d])
    assert engine.evaluate() == 0  # the minute of the datum is not complete yet
    assert engine.store.get("1", "r", "a").state == INSUFFICIENT  # type: ignore[union-attr]
    assert engine.evaluate() == 0  # not due again before the next boundary
    now[0] += 60_000
    assert engine.evaluate() == 1
    alarm = engine.store.get("1", "r", "a")
    assert alarm is not None and alarm.state == ALARM
    assert "[4.0 (07/12/26 01:20:00)]" in alarm.reason
    data = json.loads(alarm.reason_data or "")
    assert data["recentDatapoints"] == [4.0] and data["period"] == 60
    engine.store.close()
    metrics.close()
