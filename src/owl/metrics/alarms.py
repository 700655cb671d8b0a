"""CloudWatch metric alarms: their table, the evaluation rule, the evaluator and action delivery.

An alarm is stored keyed by (account, region, name) in `alarms.db` beside the metric database,
its configuration kept as the members PutMetricAlarm took (so DescribeAlarms and notifications
show what the caller sent), its state in columns. History items (configuration updates, state
updates, action outcomes) live in a second table. The evaluator thread decides states from the
metric store on the injected clock; a separate delivery thread POSTs notifications so that a
slow endpoint never delays evaluation. Imports only owl.metrics and the standard library.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from owl.metrics.datum import Dimensions
from owl.metrics.expressions import Array, ExpressionError, Series, Value, evaluate
from owl.metrics.query import buckets
from owl.metrics.statistics import parse_stat
from owl.metrics.store import MetricStore

log = logging.getLogger("owl.alarms")

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
INITIAL_REASON = "Unchecked: Initial alarm creation"
_OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
STATIC_OPERATORS = tuple(_OPERATORS)
TREATMENTS = ("missing", "notBreaching", "breaching", "ignore")
EVALUATE_EVERY_S = 2.0
DELIVERY_ATTEMPTS = 4
DELIVERY_BACKOFF_S = 0.2
HISTORY_KEEP_MS = 30 * 86_400_000
HISTORY_PURGE_EVERY_S = 60.0


# -- the evaluation rule (pure) -------------------------------------------------------------


def breaches(value: float, threshold: float, operator: str) -> bool:
    return _OPERATORS[operator][0](value, threshold)


@dataclass(frozen=True)
class Decision:
    """The state an evaluation arrives at and what it saw (counts over the N periods)."""

    state: str
    breaching: int  # real breaching datapoints
    present: int  # real datapoints
    missing: int
    filled: str | None  # how missing periods counted: "Breaching", "NotBreaching" or None


def decide(
    values: Sequence[float | None],
    threshold: float,
    operator: str,
    datapoints_to_alarm: int,
    treat_missing: str,
    current: str,
) -> Decision:
    """The state after one evaluation of the last N periods (`values`, None = no data).

    Real datapoints always count; `breaching`/`notBreaching` fill the periods without data
    in. `missing` and `ignore` leave them out, and with no real point at all go to
    INSUFFICIENT_DATA or keep the current state. They also alarm early, as CloudWatch does to
    avoid waiting on intermittent data: when the oldest breaching point is at least M periods
    old and every newer period is breaching or empty, even with fewer than M points.
    """
    real = [v for v in values if v is not None]
    hits = sum(breaches(v, threshold, operator) for v in real)
    missing = len(values) - len(real)
    m = datapoints_to_alarm
    if missing == 0:
        return Decision(ALARM if hits >= m else OK, hits, len(real), 0, None)
    if treat_missing == "breaching":
        state = ALARM if hits + missing >= m else OK
        return Decision(state, hits, len(real), missing, "Breaching")
    if treat_missing == "notBreaching":
        return Decision(ALARM if hits >= m else OK, hits, len(real), missing, "NotBreaching")
    if not real:
        state = current if treat_missing == "ignore" else INSUFFICIENT
        return Decision(state, 0, 0, missing, None)
    state = ALARM if hits >= m or _early(values, threshold, operator, m) else OK
    return Decision(state, hits, len(real), missing, None)


def _early(values: Sequence[float | None], threshold: float, operator: str, m: int) -> bool:
    """The early-alarm rule of `decide` (values oldest first)."""
    first = next(
        (i for i, v in enumerate(values) if v is not None and breaches(v, threshold, operator)),
        None,
    )
    if first is None or len(values) - first < m:
        return False
    return all(v is None or breaches(v, threshold, operator) for v in values[first:])


def _short_time(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%d/%m/%y %H:%M:%S")


def iso_time(ms: int) -> str:
    """The timestamp form CloudWatch writes inside JSON documents (…T01:20:00.000+0000)."""
    t = dt.datetime.fromtimestamp(ms // 1000, dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def state_reason(
    decision: Decision,
    stamps: Sequence[int],
    values: Sequence[float | None],
    threshold: float,
    operator: str,
    datapoints_to_alarm: int,
    old: str,
) -> str:
    """StateReason text worded as CloudWatch words it."""
    n = len(values)
    if decision.state == INSUFFICIENT or (decision.present == 0 and decision.filled is None):
        return (
            f"Insufficient Data: {_plural(n, 'datapoint')} {'was' if n == 1 else 'were'} unknown."
        )
    to_alarm = decision.state == ALARM
    shown = [
        f"{v} ({_short_time(t)})"
        for t, v in zip(stamps, values, strict=True)
        if v is not None and breaches(v, threshold, operator) == to_alarm
    ]
    count = len(shown)
    if decision.filled is not None and decision.missing:
        count += decision.missing if (decision.filled == "Breaching") == to_alarm else 0
    verb = "was" if count == 1 else "were"
    words = _OPERATORS[operator][1]
    text = (
        f"Threshold Crossed: {count} out of the last {n} datapoints [{', '.join(shown)}]"
        f" {verb} {'' if to_alarm else 'not '}{words} the threshold ({threshold})"
    )
    if old != decision.state:
        text += (
            f" (minimum {_plural(datapoints_to_alarm if to_alarm else 1, 'datapoint')}"
            f" for {old} -> {decision.state} transition)"
        )
    if decision.filled is not None and decision.missing:
        text += (
            f". No datapoints were received for {_plural(decision.missing, 'period')} and"
            f" {_plural(decision.missing, 'missing datapoint')}"
            f" {'was' if decision.missing == 1 else 'were'} treated as [{decision.filled}]"
        )
    return text + "."


# -- storage --------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alarms (
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  tags TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  reason_data TEXT,
  state_updated_ms INTEGER NOT NULL,
  state_transitioned_ms INTEGER NOT NULL,
  config_updated_ms INTEGER NOT NULL,
  next_eval_s INTEGER NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE IF NOT EXISTS alarm_history (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  summary TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_history_by_alarm ON alarm_history (account, region, name, ts_ms);
"""


@dataclass(frozen=True)
class Alarm:
    account: str
    region: str
    name: str
    config: dict[str, Any]  # PutMetricAlarm's members, as sent (AlarmName included)
    tags: dict[str, str]
    state: str = INSUFFICIENT
    reason: str = INITIAL_REASON
    reason_data: str | None = None
    state_updated_ms: int = 0
    state_transitioned_ms: int = 0
    config_updated_ms: int = 0
    next_eval_s: int = 0

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{self.name}"

    @property
    def period(self) -> int:
        if "Period" in self.config:
            return int(self.config["Period"])
        periods = [int(q["MetricStat"]["Period"]) for q in self.metric_queries if "MetricStat" in q]
        returned = [int(q["Period"]) for q in self.metric_queries if q.get("Period")]
        return (returned or periods or [60])[0]

    @property
    def metric_queries(self) -> list[dict[str, Any]]:
        return list(self.config.get("Metrics") or [])

    def actions(self, state: str) -> list[str]:
        key = {OK: "OKActions", ALARM: "AlarmActions", INSUFFICIENT: "InsufficientDataActions"}
        return list(self.config.get(key[state]) or [])


@dataclass(frozen=True)
class HistoryItem:
    name: str
    ts_ms: int
    type: str  # ConfigurationUpdate | StateUpdate | Action
    summary: str
    data: str


_COLUMNS = (
    "account, region, name, config, tags, state, reason, reason_data, state_updated_ms,"
    " state_transitioned_ms, config_updated_ms, next_eval_s"
)


def _row(alarm: Alarm) -> tuple[object, ...]:
    return (
        alarm.account,
        alarm.region,
        alarm.name,
        json.dumps(alarm.config),
        json.dumps(alarm.tags),
        alarm.state,
        alarm.reason,
        alarm.reason_data,
        alarm.state_updated_ms,
        alarm.state_transitioned_ms,
        alarm.config_updated_ms,
        alarm.next_eval_s,
    )


def _alarm(r: Sequence[Any]) -> Alarm:
    return Alarm(
        r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5], r[6], r[7], *map(int, r[8:12])
    )


class AlarmStore:
    """Alarms and their history on SQLite; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def save(self, alarm: Alarm, *history: HistoryItem) -> None:
        """Insert or replace an alarm and append its history items, in one transaction."""
        with self._lock:
            self._con.execute("BEGIN")
            try:
                self._con.execute(
                    f"INSERT OR REPLACE INTO alarms ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
                    _row(alarm),
                )
                self._append(alarm.account, alarm.region, history)
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise

    def _append(self, account: str, region: str, items: Sequence[HistoryItem]) -> None:
        self._con.executemany(
            "INSERT INTO alarm_history (account, region, name, ts_ms, type, summary, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(account, region, h.name, h.ts_ms, h.type, h.summary, h.data) for h in items],
        )

    def record(self, account: str, region: str, item: HistoryItem) -> None:
        with self._lock:
            self._append(account, region, [item])

    def get(self, account: str, region: str, name: str) -> Alarm | None:
        with self._lock:
            row = self._con.execute(
                f"SELECT {_COLUMNS} FROM alarms WHERE account=? AND region=? AND name=?",
                (account, region, name),
            ).fetchone()
        return None if row is None else _alarm(row)

    def alarms(self, account: str | None = None, region: str | None = None) -> list[Alarm]:
        """Alarms ordered by name (all accounts when `account` is None, for the evaluator)."""
        sql, args = f"SELECT {_COLUMNS} FROM alarms", []
        if account is not None:
            sql += " WHERE account=? AND region=?"
            args = [account, region]
        with self._lock:
            rows = self._con.execute(sql + " ORDER BY account, region, name", args).fetchall()
        return [_alarm(r) for r in rows]

    def delete(self, account: str, region: str, names: Sequence[str]) -> None:
        """Delete alarms and their history (unknown names are ignored, as CloudWatch does)."""
        with self._lock:
            for table in ("alarms", "alarm_history"):
                self._con.executemany(
                    f"DELETE FROM {table} WHERE account=? AND region=? AND name=?",
                    [(account, region, n) for n in names],
                )

    def purge_history(self, before_ms: int) -> int:
        """Drop history items older than `before_ms` (CloudWatch keeps 30 days of them)."""
        with self._lock:
            return self._con.execute(
                "DELETE FROM alarm_history WHERE ts_ms < ?", (before_ms,)
            ).rowcount

    def history(
        self,
        account: str,
        region: str,
        *,
        name: str | None,
        item_type: str | None,
        start_ms: int | None,
        end_ms: int | None,
        ascending: bool,
    ) -> list[HistoryItem]:
        sql = (
            "SELECT name, ts_ms, type, summary, data FROM alarm_history"
            " WHERE account=? AND region=?"
        )
        args: list[object] = [account, region]
        for clause, value in (
            (" AND name = ?", name),
            (" AND type = ?", item_type),
            (" AND ts_ms >= ?", start_ms),
            (" AND ts_ms <= ?", end_ms),
        ):
            if value is not None:
                sql += clause
                args.append(value)
        order = "ASC" if ascending else "DESC"
        with self._lock:
            rows = self._con.execute(f"{sql} ORDER BY ts_ms {order}, id {order}", args).fetchall()
        return [HistoryItem(r[0], int(r[1]), r[2], r[3], r[4]) for r in rows]


# -- evaluation -----------------------------------------------------------------------------


def _dimensions(raw: Sequence[Mapping[str, str]] | None) -> Dimensions:
    return tuple(sorted((d["Name"], d["Value"]) for d in raw or []))


def _stat_series(
    metrics: MetricStore, account: str, region: str, spec: Mapping[str, Any], start: int, end: int
) -> dict[int, float]:
    """Bucket start → value of one metric's statistic over [start, end)."""
    stat = parse_stat(str(spec.get("Stat")))
    found = metrics.find(
        account, region, spec["Namespace"], spec["MetricName"], _dimensions(spec.get("Dimensions"))
    )
    if found is None or stat is None:
        return {}
    out: dict[int, float] = {}
    for p in buckets(metrics, found.id, start, end, int(spec["Period"]), spec.get("Unit")):
        v = stat(p)
        if v is not None:
            out[p.ts] = v
    return out


def alarm_values(
    metrics: MetricStore, alarm: Alarm, now_s: int
) -> tuple[list[int], list[float | None]]:
    """Period starts and values of the last EvaluationPeriods complete periods before now."""
    period = alarm.period
    n = int(alarm.config["EvaluationPeriods"])
    end = now_s - now_s % period
    start = end - n * period
    stamps = list(range(start, end, period))
    c = alarm.config
    if not alarm.metric_queries:
        spec = {**c, "Stat": c.get("Statistic") or c.get("ExtendedStatistic")}
        points = _stat_series(metrics, alarm.account, alarm.region, spec, start, end)
    else:
        points = _math_points(metrics, alarm, start, end)
    return stamps, [points.get(t) for t in stamps]


def _math_points(metrics: MetricStore, alarm: Alarm, start: int, end: int) -> dict[int, float]:
    refs: dict[str, Value] = {}
    listed: list[Series] = []
    for q in alarm.metric_queries:
        if "MetricStat" in q:
            ms = q["MetricStat"]
            spec = {**ms["Metric"], "Stat": ms["Stat"], "Period": ms["Period"]}
            if ms.get("Unit"):
                spec["Unit"] = ms["Unit"]
            s = Series(
                q["Id"], _stat_series(metrics, alarm.account, alarm.region, spec, start, end)
            )
            refs[q["Id"]] = s
            listed.append(s)
    pending = [q for q in alarm.metric_queries if "Expression" in q]
    while pending:
        waiting = []
        for q in pending:
            try:
                refs[q["Id"]] = evaluate(q["Expression"], refs, listed)
            except ExpressionError:
                waiting.append(q)
        if len(waiting) == len(pending):
            return {}
        pending = waiting
    returned = next(q for q in alarm.metric_queries if q.get("ReturnData", True))
    value = refs.get(returned["Id"])
    if isinstance(value, Array):
        value = value.items[0] if value.items else None
    if isinstance(value, float | int):
        return {t: float(value) for s in listed for t in s.points}
    return dict(value.points) if isinstance(value, Series) else {}


def _reason_data(
    alarm: Alarm, stamps: Sequence[int], values: Sequence[float | None], now_ms: int
) -> str:
    c = alarm.config
    data: dict[str, Any] = {"version": "1.0", "queryDate": iso_time(now_ms)}
    if stamps:
        data["startDate"] = iso_time(stamps[0] * 1000)
    if not alarm.metric_queries:
        if c.get("Unit"):
            data["unit"] = c["Unit"]
        data["statistic"] = c.get("Statistic") or c.get("ExtendedStatistic")
    data["period"] = alarm.period
    data["recentDatapoints"] = [v for v in values if v is not None]
    data["threshold"] = float(c.get("Threshold", 0.0))
    data["evaluatedDatapoints"] = [
        {"timestamp": iso_time(t * 1000), **({"value": v} if v is not None else {})}
        for t, v in reversed(list(zip(stamps, values, strict=True)))
    ]
    return json.dumps(data)


def state_history(alarm: Alarm, old: Alarm, ts_ms: int) -> HistoryItem:
    """The StateUpdate item of a move from `old`'s state to `alarm`'s."""
    new_state: dict[str, Any] = {"stateValue": alarm.state, "stateReason": alarm.reason}
    if alarm.reason_data:
        try:
            new_state["stateReasonData"] = json.loads(alarm.reason_data)
        except ValueError:
            new_state["stateReasonData"] = alarm.reason_data
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old.state, "stateReason": old.reason},
        "newState": new_state,
    }
    return HistoryItem(
        alarm.name,
        ts_ms,
        "StateUpdate",
        f"Alarm updated from {old.state} to {alarm.state}",
        json.dumps(data),
    )


def notification(alarm: Alarm, old_state: str, ts_ms: int) -> dict[str, Any]:
    """The alarm message CloudWatch publishes to SNS (the Message of the notification)."""
    c = alarm.config
    trigger: dict[str, Any] = {
        "Period": alarm.period,
        "EvaluationPeriods": int(c["EvaluationPeriods"]),
        "DatapointsToAlarm": int(c.get("DatapointsToAlarm") or c["EvaluationPeriods"]),
        "ComparisonOperator": c["ComparisonOperator"],
        "Threshold": float(c.get("Threshold", 0.0)),
        "TreatMissingData": c.get("TreatMissingData", "missing"),
        "EvaluateLowSampleCountPercentile": c.get("EvaluateLowSampleCountPercentile", ""),
    }
    if alarm.metric_queries:
        trigger["Metrics"] = alarm.metric_queries
    else:
        trigger.update(
            MetricName=c["MetricName"],
            Namespace=c["Namespace"],
            StatisticType="Statistic" if c.get("Statistic") else "ExtendedStatistic",
            # SNS messages spell basic statistics in capitals (MAXIMUM), as CloudWatch does.
            Statistic=c["Statistic"].upper() if c.get("Statistic") else c.get("ExtendedStatistic"),
            Unit=c.get("Unit"),
            Dimensions=[
                {"value": d["Value"], "name": d["Name"]} for d in c.get("Dimensions") or []
            ],
        )
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": c.get("AlarmDescription"),
        "AWSAccountId": alarm.account,
        "AlarmConfigurationUpdatedTimestamp": iso_time(alarm.config_updated_ms),
        "NewStateValue": alarm.state,
        "NewStateReason": alarm.reason,
        "StateChangeTime": iso_time(ts_ms),
        "Region": alarm.region,
        "AlarmArn": alarm.arn,
        "OldStateValue": old_state,
        "OKActions": alarm.actions(OK),
        "AlarmActions": alarm.actions(ALARM),
        "InsufficientDataActions": alarm.actions(INSUFFICIENT),
        "Trigger": trigger,
    }


@dataclass(frozen=True)
class _Delivery:
    alarm: Alarm
    arn: str
    message: dict[str, Any]


@dataclass
class AlarmEngine:
    """Evaluates alarms on the injected clock and delivers their actions.

    `start()` runs the evaluator and delivery threads; `close()` stops both (pending
    deliveries are dropped). `evaluate(force=True)` is the synchronous path of the test hook.
    """

    store: AlarmStore
    metrics: MetricStore
    now_ms: Callable[[], int]
    endpoints: Mapping[str, str] = field(default_factory=dict)  # action ARN → URL
    _stop: threading.Event = field(default_factory=threading.Event)
    # Held by every read-modify-write of an alarm (evaluator and handlers alike).
    mutex: threading.RLock = field(default_factory=threading.RLock)
    _outbox: queue.Queue[_Delivery | None] = field(default_factory=queue.Queue)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for target, name in (
            (self._evaluate_loop, "owl-alarms"),
            (self._deliver_loop, "owl-alarm-actions"),
        ):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def close(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for t in self._threads:
            t.join()
        self._threads.clear()

    def _evaluate_loop(self) -> None:
        last_purge = 0.0
        while not self._stop.wait(EVALUATE_EVERY_S):
            try:
                self.evaluate()
                if time.monotonic() - last_purge >= HISTORY_PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    self.store.purge_history(self.now_ms() - HISTORY_KEEP_MS)
            except Exception:
                log.exception("Evaluating alarms failed; will retry")

    def evaluate(self, force: bool = False) -> int:
        """Evaluate every alarm whose period boundary passed (all of them when forced);
        returns the number of state changes."""
        with self.mutex:
            now_ms = self.now_ms()
            changed = 0
            for alarm in self.store.alarms():
                if force or now_ms // 1000 >= alarm.next_eval_s:
                    changed += self._evaluate_one(alarm, now_ms)
            return changed

    def _evaluate_one(self, alarm: Alarm, now_ms: int) -> int:
        now_s = now_ms // 1000
        c = alarm.config
        stamps, values = alarm_values(self.metrics, alarm, now_s)
        threshold = float(c.get("Threshold", 0.0))
        m = int(c.get("DatapointsToAlarm") or c["EvaluationPeriods"])
        decision = decide(
            values,
            threshold,
            c["ComparisonOperator"],
            m,
            c.get("TreatMissingData", "missing"),
            alarm.state,
        )
        next_eval = now_s - now_s % alarm.period + alarm.period
        if decision.state == alarm.state:
            self.store.save(replace(alarm, next_eval_s=next_eval))
            return 0
        reason = state_reason(
            decision, stamps, values, threshold, c["ComparisonOperator"], m, alarm.state
        )
        data = _reason_data(alarm, stamps, values, now_ms)
        self.transition(alarm, decision.state, reason, data, now_ms, next_eval)
        return 1

    def transition(
        self,
        alarm: Alarm,
        state: str,
        reason: str,
        reason_data: str | None,
        now_ms: int,
        next_eval_s: int | None = None,
    ) -> Alarm:
        """Move an alarm to `state`, write its StateUpdate item and, when the state changed
        and actions are enabled, queue the new state's actions."""
        moved = replace(
            alarm,
            state=state,
            reason=reason,
            reason_data=reason_data,
            state_updated_ms=now_ms,
            state_transitioned_ms=now_ms if state != alarm.state else alarm.state_transitioned_ms,
            next_eval_s=alarm.next_eval_s if next_eval_s is None else next_eval_s,
        )
        self.store.save(moved, state_history(moved, alarm, now_ms))
        if state != alarm.state and alarm.config.get("ActionsEnabled", True):
            message = notification(moved, alarm.state, now_ms)
            for arn in moved.actions(state):
                self._outbox.put(_Delivery(moved, arn, message))
        return moved

    # -- delivery -------------------------------------------------------------------------

    def _deliver_loop(self) -> None:
        while True:
            job = self._outbox.get()
            try:
                if job is None or self._stop.is_set():
                    return
                self._deliver(job)
            except Exception:
                log.exception("Delivering an alarm action failed arn=%s", job.arn if job else "")
            finally:
                self._outbox.task_done()

    def wait_delivered(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued action was attempted (the test hook answers after it)."""
        deadline = time.monotonic() + timeout_s
        while self._outbox.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _deliver(self, job: _Delivery) -> None:
        url = self.endpoints.get(job.arn)
        if url is None:
            self._action_item(job, False, "no endpoint is configured for this ARN")
            return
        body = sns_envelope(job.arn, job.alarm, job.message, self.now_ms())
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            error = _post(url, body)
            if error is None:
                self._action_item(job, True, None)
                return
            retry = error.startswith("retryable:") and attempt < DELIVERY_ATTEMPTS
            self._action_item(job, False, error.removeprefix("retryable:"))
            if not retry or self._stop.wait(DELIVERY_BACKOFF_S * 2 ** (attempt - 1)):
                return

    def _action_item(self, job: _Delivery, ok: bool, error: str | None) -> None:
        data: dict[str, Any] = {
            "actionState": "Succeeded" if ok else "Failed",
            "notificationResource": job.arn,
            "stateUpdateTimestamp": job.alarm.state_updated_ms,
        }
        if ok:
            data["publishedMessage"] = json.dumps(job.message)
            summary = f"Successfully executed action {job.arn}"
        else:
            data["error"] = error
            summary = f"Failed to execute action {job.arn}. Received error: {error}"
        item = HistoryItem(job.alarm.name, self.now_ms(), "Action", summary[:255], json.dumps(data))
        self.store.record(job.alarm.account, job.alarm.region, item)


def sns_envelope(topic: str, alarm: Alarm, message: Mapping[str, Any], now_ms: int) -> bytes:
    """The SNS notification an HTTP subscriber of the topic receives (unsigned)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Subject": f'{alarm.state}: "{alarm.name}" in {alarm.region}'[:100],
            "Message": json.dumps(message),
            "Timestamp": iso_time(now_ms),
            "SignatureVersion": "1",
        }
    ).encode()


def _post(url: str, body: bytes) -> str | None:
    """POST `body`; None on a 2xx answer, else the error ("retryable:" for 5xx and network)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": "Notification",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            r.read()
        return None
    except urllib.error.HTTPError as e:
        text = f"HTTP status {e.code}"
        return f"retryable:{text}" if e.code >= 500 else text
    except (OSError, ValueError) as e:
        return f"retryable:{type(e).__name__}"


def load_endpoints(raw: str) -> dict[str, str]:
    """The alarm_actions setting: a JSON object (ARN → URL) or the path of a file holding one."""
    text = raw.strip()
    if not text:
        return {}
    if not text.startswith("{"):
        text = Path(text).read_text()
    value = json.loads(text)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError("alarm_actions must be a JSON object of ARN to URL")
    return dict(value)
