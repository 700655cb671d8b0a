"""Running compiled queries: asynchronous, bounded in concurrency and time, cancellable.

StartQuery hands a job (a plan, the SQL of its `source` relation, the Arrow tables that SQL
reads, and a DuckDB connection) to a small pool of worker threads and returns at once; the
job's record goes Scheduled → Running → Complete | Failed | Cancelled | Timeout. StopQuery
and the time limit interrupt DuckDB itself. Finished records are kept for a bounded time
and count. Knows nothing of the store: the caller builds `source` over whatever it reads.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pyarrow as pa

from owl.insights import macros
from owl.insights.compiler import Plan

log = logging.getLogger("owl.insights")

RUNNING = ("Scheduled", "Running")
PtrMaker = Callable[[int, int, int, int], str]


@dataclass
class Job:
    plan: Plan
    source_sql: str
    tables: dict[str, pa.Table]
    connect: Callable[[], duckdb.DuckDBPyConnection]
    make_ptr: PtrMaker
    release: Callable[[], None] = lambda: None  # unpin what `source` reads
    scanned: Callable[[duckdb.DuckDBPyConnection], tuple[int, int]] | None = None


@dataclass
class QueryRecord:
    """A query as DescribeQueries and GetQueryResults report it."""

    query_id: str
    owner: tuple[str, str]  # account, region
    query_string: str
    group_names: list[str]
    created_ms: int
    status: str = "Scheduled"
    rows: list[list[dict[str, str]]] = field(default_factory=list)
    statistics: dict[str, float] = field(
        default_factory=lambda: {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0}
    )
    error: str | None = None
    finished_at: float | None = None
    done: threading.Event = field(default_factory=threading.Event)
    _con: duckdb.DuckDBPyConnection | None = None
    _stop: str | None = None  # "Cancelled" or "Timeout" once asked to stop


class Executor:
    def __init__(
        self,
        *,
        workers: int = 2,
        max_active_per_account: int = 100,
        timeout_s: float = 3600.0,
        keep_s: float = 7 * 86_400.0,
        keep_max: int = 2_000,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="owl-query")
        self.workers = workers
        self._lock = threading.Lock()
        self._records: OrderedDict[str, QueryRecord] = OrderedDict()
        self.max_active = max_active_per_account
        self.timeout_s = timeout_s
        self.keep_s = keep_s
        self.keep_max = keep_max

    # -- records -----------------------------------------------------------------------------

    def active(self, owner: tuple[str, str]) -> int:
        with self._lock:
            return sum(
                1 for r in self._records.values() if r.owner == owner and r.status in RUNNING
            )

    def busy(self) -> bool:
        """Whether every worker has a query (a new one would wait in the queue)."""
        with self._lock:
            running = sum(1 for r in self._records.values() if r.status in RUNNING)
        return running >= self.workers

    def get(self, query_id: str, owner: tuple[str, str]) -> QueryRecord | None:
        with self._lock:
            record = self._records.get(query_id)
        return record if record is not None and record.owner == owner else None

    def owned(self, owner: tuple[str, str]) -> list[QueryRecord]:
        """The owner's queries, newest first."""
        with self._lock:
            found = [r for r in self._records.values() if r.owner == owner]
        return sorted(found, key=lambda r: (r.created_ms, r.query_id), reverse=True)

    def _forget_old(self) -> None:
        now = time.monotonic()
        done = [(qid, r) for qid, r in self._records.items() if r.finished_at is not None]
        for qid, r in done:
            if now - (r.finished_at or now) > self.keep_s:
                del self._records[qid]
        while len(self._records) > self.keep_max:
            oldest = next(
                (qid for qid, r in self._records.items() if r.finished_at is not None), None
            )
            if oldest is None:
                break
            del self._records[oldest]

    # -- running -----------------------------------------------------------------------------

    def submit(
        self, owner: tuple[str, str], query_string: str, groups: list[str], job: Job, now_ms: int
    ) -> QueryRecord:
        record = QueryRecord(str(uuid.uuid4()), owner, query_string, groups, now_ms)
        with self._lock:
            self._forget_old()
            self._records[record.query_id] = record
        self._pool.submit(self._run, record, job)
        return record

    def stop(self, record: QueryRecord, reason: str = "Cancelled") -> bool:
        """Ask a scheduled or running query to stop; False when it had already finished."""
        with self._lock:
            if record.status not in RUNNING:
                return False
            record._stop = reason
            if record.status == "Scheduled":
                self._finish(record, reason)
            con = record._con
        if con is not None:
            con.interrupt()
        return True

    def shutdown(self) -> None:
        with self._lock:
            running = [r for r in self._records.values() if r.status in RUNNING]
        for r in running:
            self.stop(r)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _finish(self, record: QueryRecord, status: str, error: str | None = None) -> None:
        record.status = status
        record.error = error
        record.finished_at = time.monotonic()
        record._con = None
        record.done.set()

    def _run(self, record: QueryRecord, job: Job) -> None:
        con: duckdb.DuckDBPyConnection | None = None
        timer: threading.Timer | None = None
        try:
            with self._lock:
                if record.status != "Scheduled":
                    return
                con = job.connect()
                record._con = con
                record.status = "Running"
            timer = threading.Timer(self.timeout_s, self.stop, (record, "Timeout"))
            timer.daemon = True
            timer.start()
            rows, stats = run(con, job)
            with self._lock:
                if record._stop is None:
                    record.rows = rows
                    record.statistics = stats
                    self._finish(record, "Complete")
                else:  # stopped between statements, or before DuckDB started the first one
                    self._finish(record, record._stop)
        except duckdb.InterruptException:
            with self._lock:
                self._finish(record, record._stop or "Cancelled")
        except Exception as e:  # a query that fails is reported, never kills the worker
            with self._lock:
                if record._stop is not None:
                    self._finish(record, record._stop)
                else:
                    log.warning("Query failed query_id=%s error=%s", record.query_id, e)
                    self._finish(record, "Failed", str(e).splitlines()[0][:500])
        finally:
            if timer is not None:
                timer.cancel()
            if con is not None:
                con.close()
            job.release()


def statement(plan: Plan, source_sql: str) -> str:
    ctes = ",\n".join(f"{name} AS ({sql})" for name, sql in (("source", source_sql), *plan.ctes))
    return f"WITH {ctes}\n{plan.select}"


def run(
    con: duckdb.DuckDBPyConnection, job: Job
) -> tuple[list[list[dict[str, str]]], dict[str, float]]:
    """Execute a job's statement on `con`: result rows and statistics."""
    macros.install(con)
    for name, table in job.tables.items():
        con.register(name, table)
    plan = job.plan
    result = con.sql(statement(plan, job.source_sql)).to_arrow_table()
    rows = _rows(result, plan, job.make_ptr)
    scanned, nbytes = job.scanned(con) if job.scanned is not None else (0, 0)
    matched = scanned  # no filter before the first limit, dedup or stats
    if plan.counts_matched and result.num_rows:
        matched = int(result.column("__matched")[0].as_py() or 0)
    elif plan.matched_are_rows and (plan.cap is None or result.num_rows < plan.cap):
        matched = result.num_rows
    elif plan.matched_select is not None:
        counted = replace(plan, select=plan.matched_select)
        matched = int(con.sql(statement(counted, job.source_sql)).fetchall()[0][0])
    return rows, {
        "recordsMatched": float(matched),
        "recordsScanned": float(scanned),
        "bytesScanned": float(nbytes),
    }


def _rows(result: pa.Table, plan: Plan, make_ptr: PtrMaker) -> list[list[dict[str, str]]]:
    """Arrow result → GetQueryResults rows: missing values left out, @ptr last for events."""
    names = plan.columns
    values = [result.column(f"o{i}").to_pylist() for i in range(len(names))]
    ptrs: list[str] | None = None
    if plan.event_rows:
        ids = [result.column(c).to_pylist() for c in ("__gid", "__sid", "__ts", "__seq")]
        ptrs = [make_ptr(g, s, t, q) for g, s, t, q in zip(*ids, strict=True)]
    out: list[list[dict[str, str]]] = []
    for i in range(result.num_rows):
        row = [
            {"field": name, "value": col[i]}
            for name, col in zip(names, values, strict=True)
            if col[i] is not None
        ]
        if ptrs is not None:
            row.append({"field": "@ptr", "value": ptrs[i]})
        out.append(row)
    return out


def describe(record: QueryRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "queryLanguage": "CWLI",
        "queryId": record.query_id,
        "queryString": record.query_string,
        "status": record.status,
        "createTime": record.created_ms,
    }
    if record.group_names:
        out["logGroupName"] = record.group_names[0]
    return out
