"""FilterLogEvents, all pages, on owl next to moto's server and to DuckDB on a Parquet file.

What is measured: the wall time to read every page of one FilterLogEvents query (startTime and
endTime spanning the whole group), from the first request to the last answer, by one client, for
each of six filter patterns (`PATTERNS`: none, a term, a quoted phrase, `?A ?B` optional terms, a
JSON condition, a space-delimited condition), in two layouts of the same generated events:

* `one`:  1 group x 4 streams (events interleaved in time across the streams);
* `many`: --groups x --streams-per-group streams (100 x 1,000), every group read in turn; the
  time is the sum over the groups.

Peers, on the same events:

* moto's server (in memory), read the same way, with --moto-timeout seconds (120) per
  measurement; a measurement that runs out of time reports how far it got, never extrapolates,
  and is not repeated in later runs. moto is loaded only up to --moto-max-events (1,000,000).
* DuckDB running the equivalent SQL directly on one zstd Parquet file of the same events
  (sorted by group, timestamp, sequence, row groups of 16,384 rows as owl's segments, so a
  query of one group skips the others by their statistics; one query per group):
  `SELECT stream, ts, seq, ingest, message FROM read_parquet(f) WHERE group_id = g AND ts BETWEEN
  lo AND hi AND (<predicate>) ORDER BY ts, seq`, fetched fully as Arrow, where <predicate> is
  written by hand for each pattern (not owl's compiler output) and means the same on this data.
  This is the floor: one ordered scan with no protocol around it. The target is owl within 2x
  of it.

The events (`_workload.pattern_messages`) mix JSON application lines, access lines, Lambda
invocations in the default text format (INIT_START, START, runtime lines, "Task timed out",
END, REPORT; some runtime lines carry a JSON document after their prefix, which a JSON pattern
must not match), VPC flow log records (version 2, with NODATA/SKIPDATA rows), key=value, error
and debug lines; every pattern matches between about 0.5% and 5% of them (none: all).

Counts are a correctness cross-check: owl's count must equal DuckDB's for every pattern (a
difference is reported in bold and makes the exit status 1); moto's count is reported as
right, wrong (moto treats `?` terms, JSON and space-delimited patterns as match-all) or
unfinished (out of time).

The client is deliberately lean (SigV4 by botocore's signer, http.client keep-alive, orjson
parsing of every page) and the same for owl and moto: boto3's shape-by-shape response parsing
costs more than the servers being measured. Every page is parsed and its events counted, and
event order (timestamps never decrease) is checked on owl.

owl runs with --no-fsync (only reads are measured) and is flushed to Parquet segments, merges
settled, before the first measurement. Loading is untimed (4 client processes).

    .venv/bin/python bench/filter.py --quick               # smoke: 20,000 events, 1 run
    .venv/bin/python bench/filter.py                       # 1,000,000 events, 3 runs
    .venv/bin/python bench/filter.py --large --runs 1      # 10,000,000 events (no moto)
    .venv/bin/python bench/filter.py --patterns json,delimited --layouts one
    .venv/bin/python bench/filter.py --report bench/results/filter-<stamp>.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psutil
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers as srv  # noqa: E402
import _workload as wl  # noqa: E402
from _client import LeanLogs, ServiceError  # noqa: E402
from _meta import git_rev, interrupt, loadavg, say, version  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
LAYOUTS = ("one", "many")
KINDS = ("owl", "duckdb", "moto")
ROW_GROUP_ROWS = 16_384  # as owl's segments: lets a per-group query skip the other groups


@dataclass(frozen=True)
class FilterCase:
    """One measured pattern: the filterPattern sent, and the same test in DuckDB SQL by hand."""

    name: str
    pattern: str | None  # None: no filterPattern in the request
    sql: str  # a DuckDB predicate over `message` that selects the same events on this data


# The SQL is written by hand from the pattern's meaning (spec/filter-patterns.md), relying only on
# what the generated data guarantees, which is said next to each one.
PATTERNS: dict[str, FilterCase] = {
    c.name: c
    for c in (
        FilterCase("none", None, "true"),
        # substring, case-sensitive (§4.2, §4.3): access ERROR lines, error lines, Lambda [ERROR]
        FilterCase("term", "ERROR", "contains(message, 'ERROR')"),
        # the exact character sequence, spaces included (§4.5): Lambda timeouts
        FilterCase("phrase", '"Task timed out"', "contains(message, 'Task timed out')"),
        # only optional terms: at least one occurs (§4.9): VPC rejects, TimeoutError lines
        FilterCase(
            "or",
            "?REJECT ?TimeoutError",
            "contains(message, 'REJECT') OR contains(message, 'TimeoutError')",
        ),
        # whole message a JSON object (§6.1: not the Lambda lines with JSON after a prefix);
        # string equality, numeric comparison on a JSON number (§6.7, §6.10); && over || (§6.17)
        FilterCase(
            "json",
            '{ ($.level = "error" || $.level = "warn") && $.duration_ms > 1000 }',
            "CASE WHEN json_valid(message) AND json_type(message) = 'OBJECT' THEN coalesce("
            "json_extract_string(message, '$.level') IN ('error', 'warn') AND "
            "TRY_CAST(json_extract(message, '$.duration_ms') AS DOUBLE) > 1000, false) "
            "ELSE false END",
        ),
        # VPC flow records: 14 fields, single spaces, no quotes or brackets, so split_part gives
        # the fields; `REJECT` occurs in no other kind of line, so no other line can match; at
        # least 14 fields (§7.2.2); numeric = and >= (§7.3.2, §7.3.4; NODATA rows carry `-`)
        FilterCase(
            "delimited",
            "[version, account, eni, src, dst, srcport, dstport = 22 || dstport = 3389, "
            'protocol, packets, bytes >= 100, start, end, action = "REJECT", status]',
            "split_part(message, ' ', 14) <> '' AND split_part(message, ' ', 13) = 'REJECT' "
            "AND TRY_CAST(split_part(message, ' ', 7) AS DOUBLE) IN (22, 3389) "
            "AND TRY_CAST(split_part(message, ' ', 10) AS DOUBLE) >= 100",
        ),
    )
}


@dataclass(frozen=True)
class Options:
    events: int
    runs: int
    groups: int
    streams_per_group: int
    patterns: tuple[str, ...]
    moto_timeout_s: float
    moto_max_events: int
    moto_load_timeout_s: float
    loaders: int
    seed: int
    layouts: tuple[str, ...]
    servers: tuple[str, ...]
    out_dir: Path
    quick: bool


# -- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    name: str
    groups: list[str]
    streams: list[wl.StreamEvents]  # every stream with its events (indexes into the messages)

    @property
    def events(self) -> int:
        return sum(s.count for s in self.streams)


def make_layout(name: str, n_events: int, start_ms: int, opts: Options) -> Layout:
    if name == "one":
        group = "/bench/filter/one"
        per = n_events // 4
        streams = [wl.StreamEvents(group, f"stream-{k}", k * per, per, start_ms) for k in range(4)]
        return Layout(name, [group], streams)
    groups = [f"/bench/filter/g{g:03d}" for g in range(opts.groups)]
    n_streams = opts.groups * opts.streams_per_group
    per = max(1, n_events // n_streams)
    rng = random.Random(opts.seed)
    window = per * opts.streams_per_group  # each stream starts somewhere in its group's window
    streams = [
        wl.StreamEvents(g, f"s{s:05d}", i * per, per, start_ms + rng.randrange(window))
        for i, (g, s) in enumerate((g, s) for g in groups for s in range(opts.streams_per_group))
    ]
    return Layout(name, groups, streams)


def events_table(layout: Layout, msgs: pa.Array, ingest_ms: int) -> pa.Table:
    """The layout's events as columns: group_id, stream, ts, seq, ingest, message."""
    counts = np.array([s.count for s in layout.streams], dtype=np.int64)
    firsts = np.array([s.first for s in layout.streams], dtype=np.int64)
    starts = np.array([s.start_ms for s in layout.streams], dtype=np.int64)
    gid = {g: i for i, g in enumerate(layout.groups)}
    group_ids = np.array([gid[s.group] for s in layout.streams], dtype=np.int32)
    stream_no = np.repeat(np.arange(len(layout.streams)), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    names = pa.array([s.stream for s in layout.streams]).dictionary_encode()
    n = int(counts.sum())
    return pa.table(
        {
            "group_id": pa.array(group_ids[stream_no]),
            "stream": names.take(pa.array(stream_no)),
            "ts": pa.array(starts[stream_no] + offsets),
            "seq": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "ingest": pa.array(np.full(n, ingest_ms, dtype=np.int64)),
            "message": msgs.take(pa.array(firsts[stream_no] + offsets)),
        }
    )


def write_parquet(table: pa.Table, path: Path) -> None:
    con = duckdb.connect()
    try:
        con.register("events", table)
        con.execute(
            f"COPY (SELECT * FROM events ORDER BY group_id, ts, seq) TO '{path}' "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
        )
    finally:
        con.close()


@dataclass(frozen=True)
class Query:
    """One FilterLogEvents query per group: its window and, per pattern, the expected count."""

    group: str
    group_id: int
    lo: int
    hi: int
    expected: dict[str, int]


def group_queries(parquet: Path, layout: Layout, patterns: Sequence[str]) -> list[Query]:
    counts = "".join(f", count(*) FILTER (WHERE {PATTERNS[p].sql})" for p in patterns)
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT group_id, min(ts), max(ts){counts} "
            "FROM read_parquet(?) GROUP BY group_id ORDER BY group_id",
            [str(parquet)],
        ).fetchall()
    finally:
        con.close()
    return [
        Query(
            layout.groups[g],
            int(g),
            int(lo),
            int(hi),
            {p: int(n) for p, n in zip(patterns, found, strict=True)},
        )
        for g, lo, hi, *found in rows
    ]


# -- loading -------------------------------------------------------------------------------------


@dataclass
class LoadWork:
    msgs: list[str]
    sizes: list[int]


def _load_worker(
    server: srv.Server, streams: list[wl.StreamEvents], work: LoadWork, q: Any
) -> None:
    try:
        client = LeanLogs(server)
        events = 0
        for s in streams:
            client.call("CreateLogStream", {"logGroupName": s.group, "logStreamName": s.stream})
            for request in wl.batches(s, work.msgs, work.sizes):
                answer = _put_with_backoff(client, request)
                if answer.get("rejectedLogEventsInfo"):
                    raise RuntimeError(f"events rejected: {answer['rejectedLogEventsInfo']}")
                events += len(request["logEvents"])
        q.put(("ok", events))
    except BaseException:
        q.put(("error", traceback.format_exc()))


RETRYABLE = ("ThrottlingException", "ServiceUnavailableException")


def _put_with_backoff(client: LeanLogs, request: dict[str, Any]) -> Any:
    """PutLogEvents as SDKs send it: a server that pushes back (its WAL or memory over budget
    while flushes catch up, as on a long 10M load) is asked again after a growing pause."""
    for attempt in range(12):
        try:
            return client.call("PutLogEvents", request)
        except ServiceError as e:
            if e.code not in RETRYABLE:
                raise
            time.sleep(min(5.0, 0.05 * 2**attempt))
    return client.call("PutLogEvents", request)


def load(server: srv.Server, layout: Layout, work: LoadWork, loaders: int, timeout: float) -> float:
    """Create groups (and streams) and put every event with `loaders` forked processes."""
    client = LeanLogs(server)
    for g in layout.groups:
        client.call("CreateLogGroup", {"logGroupName": g})
    client.close()
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    parts = [layout.streams[k::loaders] for k in range(loaders)]
    t = time.perf_counter()
    procs = [ctx.Process(target=_load_worker, args=(server, p, work, q)) for p in parts if p]
    for p in procs:
        p.start()
    try:
        done = 0
        loaded = 0
        while done < len(procs):
            remaining = timeout - (time.perf_counter() - t)
            if remaining <= 0:
                raise TimeoutError(f"loading {server.kind} took more than {timeout:.0f} s")
            try:
                status, value = q.get(timeout=min(remaining, 5.0))
            except Exception:  # queue.Empty: check the workers are alive
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("a loader process died") from None
                continue
            if status != "ok":
                raise RuntimeError(f"loading {server.kind} failed:\n{value}")
            done += 1
            loaded += int(value)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
            p.join()
    if loaded != layout.events:
        raise RuntimeError(f"loaded {loaded} of {layout.events} events into {server.kind}")
    return time.perf_counter() - t


# -- measurements --------------------------------------------------------------------------------


@dataclass
class Pass:
    events: int = 0
    pages: int = 0
    wall_s: float = 0.0
    first_page_s: float | None = None
    complete: bool = True
    ordered: bool = True
    timed_out: bool = False
    error: str | None = None


def filter_all(client: LeanLogs, q: Query, pattern: str | None, deadline: float, out: Pass) -> None:
    """Every page of one group's query, until there is no nextToken (or the deadline)."""
    params: dict[str, Any] = {"logGroupName": q.group, "startTime": q.lo, "endTime": q.hi}
    if pattern is not None:
        params["filterPattern"] = pattern
    last_ts = -1
    start = time.perf_counter()
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            out.complete = False
            break
        try:
            page = client.call("FilterLogEvents", params, timeout=remaining)
        except TimeoutError:
            out.complete = False
            out.timed_out = True
            break
        except (OSError, http.client.HTTPException, ServiceError) as e:
            out.complete = False
            out.error = f"page {out.pages + 1}: {type(e).__name__}: {e}"
            break
        if out.first_page_s is None:
            out.first_page_s = time.perf_counter() - start
        events = page.get("events", [])
        out.pages += 1
        out.events += len(events)
        if events:
            out.ordered &= events[0]["timestamp"] >= last_ts
            out.ordered &= all(
                a["timestamp"] <= b["timestamp"] for a, b in zip(events, events[1:], strict=False)
            )
            last_ts = events[-1]["timestamp"]
        token = page.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    out.wall_s += time.perf_counter() - start


def measure_server(
    server: srv.Server, queries: list[Query], pattern: str, opts: Options, timeout: float
) -> dict[str, Any]:
    client = LeanLogs(server)
    text = PATTERNS[pattern].pattern
    result = Pass()
    deadline = time.perf_counter() + timeout
    cpu0 = srv.cpu_seconds(server.pid)
    try:
        for q in queries:
            filter_all(client, q, text, deadline, result)
            if not result.complete:
                break
    finally:
        client.close()
    expected = sum(q.expected[pattern] for q in queries)
    return {
        "events": result.events,
        "expected": expected,
        "count_ok": result.complete and result.events == expected,
        "pages": result.pages,
        "wall_s": result.wall_s,
        "events_per_s": result.events / result.wall_s if result.wall_s else 0.0,
        "first_page_ms": (result.first_page_s or 0.0) * 1000,
        "complete": result.complete,
        "timed_out": result.timed_out,
        "error": result.error,
        "ordered": result.ordered,
        "server_cpu_s": srv.cpu_seconds(server.pid) - cpu0,
        "client_parse_s": client.parse_s,
        "groups": len(queries),
    }


def measure_duckdb(parquet: Path, queries: list[Query], pattern: str) -> dict[str, Any]:
    predicate = "" if pattern == "none" else f" AND ({PATTERNS[pattern].sql})"
    sql = (
        "SELECT stream, ts, seq, ingest, message FROM read_parquet($f) "
        f"WHERE group_id = $g AND ts BETWEEN $lo AND $hi{predicate} ORDER BY ts, seq"
    )
    con = duckdb.connect()
    rows = 0
    try:
        start = time.perf_counter()
        for q in queries:
            params: dict[str, object] = {"f": str(parquet), "g": q.group_id, "lo": q.lo, "hi": q.hi}
            rows += con.execute(sql, params).to_arrow_table().num_rows
        wall = time.perf_counter() - start
    finally:
        con.close()
    expected = sum(q.expected[pattern] for q in queries)
    if rows != expected:
        raise RuntimeError(f"DuckDB returned {rows} rows, expected {expected}")
    return {
        "events": rows,
        "expected": expected,
        "count_ok": True,
        "wall_s": wall,
        "events_per_s": rows / wall if wall else 0.0,
        "complete": True,
        "groups": len(queries),
    }


def wait_idle(pid: int, timeout: float = 180.0) -> None:
    """After a timed-out request the server may still be working on it: wait until it is idle."""
    proc = psutil.Process(pid)
    deadline = time.monotonic() + timeout
    proc.cpu_percent(None)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        if proc.cpu_percent(None) < 5.0:
            return


# -- one layout ----------------------------------------------------------------------------------

Results = dict[str, dict[str, dict[str, list[dict[str, Any]]]]]  # layout → pattern → kind → runs


def run_layout(
    name: str,
    work: LoadWork,
    msgs: pa.Array,
    start_ms: int,
    opts: Options,
    results: Results,
    notes: list[str],
    on_result: Callable[[], None],
) -> None:
    layout = make_layout(name, opts.events, start_ms, opts)
    tmp = Path(tempfile.mkdtemp(prefix=f"owl-bench-filter-{name}-"))
    servers: dict[str, srv.Server] = {}
    try:
        parquet = tmp / "events.parquet"
        t = time.perf_counter()
        write_parquet(events_table(layout, msgs, start_ms), parquet)
        queries = group_queries(parquet, layout, opts.patterns)
        say(f"{name}: {layout.events:,} events, parquet in {time.perf_counter() - t:.1f} s")
        for kind in opts.servers:
            if kind == "duckdb":
                continue
            if kind == "moto" and layout.events > opts.moto_max_events:
                notes.append(
                    f"moto, layout {name}: not loaded ({layout.events:,} events is more than "
                    f"--moto-max-events {opts.moto_max_events:,})."
                )
                continue
            if kind == "owl":
                server = srv.start_owl(tmp / "owl", fsync=False)
            else:
                server = srv.start_moto(tmp)
            servers[kind] = server
            limit = opts.moto_load_timeout_s if kind == "moto" else 86_400.0
            try:
                took = load(server, layout, work, opts.loaders, limit)
            except TimeoutError as e:
                notes.append(f"moto, layout {name}: {e}; not measured.")
                srv.stop(server)
                del servers[kind]
                continue
            extra = ""
            if kind == "owl":
                segments = srv.owl_settle(server)
                extra = f", {segments} segments after flush"
            say(f"{name}: loaded {kind} in {took:.0f} s{extra}")
        for run in range(opts.runs):
            kinds = [k for k in KINDS if k in opts.servers]
            if run % 2:
                kinds.reverse()
            for pattern in opts.patterns:
                slot = results.setdefault(name, {}).setdefault(pattern, {})
                for kind in kinds:
                    runs = slot.setdefault(kind, [])
                    if kind != "duckdb" and kind not in servers:
                        continue
                    if runs and runs[-1].get("timed_out"):
                        continue  # ran out of time before: another run would too
                    if kind == "duckdb":
                        r = measure_duckdb(parquet, queries, pattern)
                    else:
                        timeout = opts.moto_timeout_s if kind == "moto" else 86_400.0
                        r = measure_server(servers[kind], queries, pattern, opts, timeout)
                        if r["timed_out"]:
                            wait_idle(servers[kind].pid)
                        if r["error"]:
                            notes.append(f"{kind}, {name}/{pattern}, run {run + 1}: {r['error']}")
                            _print_log_tail(servers[kind].log_path)
                        elif kind == "owl" and not r["count_ok"]:
                            notes.append(
                                f"**owl, {name}/{pattern}, run {run + 1}: {r['events']:,} events, "
                                f"DuckDB {r['expected']:,}**"
                            )
                    r["run"] = run + 1
                    runs.append(r)
                    on_result()
                    done = (
                        f" (stopped after {opts.moto_timeout_s:.0f} s)"
                        if r.get("timed_out")
                        else ""
                    )
                    done += f" ERROR {r['error']}" if r.get("error") else ""
                    if r["complete"] and not r["count_ok"]:
                        done += f" COUNT WRONG (expected {r['expected']:,})"
                    say(
                        f"run {run + 1}/{opts.runs} {name:<4} {pattern:<9} {kind:<6} "
                        f"{r['events']:>10,} events {r['wall_s']:8.2f} s "
                        f"{r['events_per_s']:>12,.0f} events/s{done}"
                    )
    except BaseException:
        for server in servers.values():
            _print_log_tail(server.log_path)
        raise
    finally:
        for server in servers.values():
            srv.stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


def _print_log_tail(path: Path, lines: int = 40) -> None:
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return
    say("\n".join([f"--- last lines of {path} ---", *tail]))


# -- report --------------------------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get("complete") and r.get(key) is not None]
    return statistics.median(values) if values else None


def summarise(results: Results) -> list[dict[str, Any]]:
    rows = []
    for layout, by_pattern in results.items():
        for pattern, by_kind in by_pattern.items():
            row: dict[str, Any] = {"layout": layout, "pattern": pattern}
            for kind, runs in by_kind.items():
                row[kind] = {
                    "wall_s": _median(runs, "wall_s"),
                    "events_per_s": _median(runs, "events_per_s"),
                    "all_wall_s": [r["wall_s"] for r in runs],
                    "complete": all(r["complete"] for r in runs),
                    "timed_out": any(r.get("timed_out") for r in runs),
                    "errors": sum(bool(r.get("error")) for r in runs),
                    "events": runs[-1]["events"] if runs else None,
                    "expected": runs[-1]["expected"] if runs else None,
                    # results written before counts were recorded raised on a wrong count
                    "count_ok": all(r.get("count_ok", True) for r in runs if r["complete"]),
                    "wrong_counts": sorted(
                        {r["events"] for r in runs if r["complete"] and not r.get("count_ok", True)}
                    ),
                }
                if kind != "duckdb":
                    row[kind]["pages"] = runs[-1]["pages"] if runs else None
                    row[kind]["first_page_ms"] = _median(runs, "first_page_ms")
                    row[kind]["ordered"] = all(r.get("ordered", True) for r in runs)
                    row[kind]["client_parse_s"] = _median(runs, "client_parse_s")
            owl = row.get("owl", {}).get("wall_s")
            duck = row.get("duckdb", {}).get("wall_s")
            moto = row.get("moto", {}).get("wall_s")
            row["owl_over_duckdb"] = owl / duck if owl and duck else None
            row["moto_over_owl"] = moto / owl if owl and moto else None
            rows.append(row)
    return rows


def _f(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else fmt.format(value)


def _count_cell(m: dict[str, Any] | None, wrong: str) -> str:
    """Whether a server's count equals DuckDB's: right, wrong, unfinished (out of time)."""
    if not m or m.get("events") is None:
        return "n/a"
    if m["timed_out"]:
        return f"unfinished ({m['events']:,} of {m['expected']:,})"
    if m["errors"] and not m["complete"]:
        return "error"
    if not m["count_ok"]:
        return wrong.format(", ".join(f"{n:,}" for n in m["wrong_counts"]))
    return "right"


def _moto_cells(row: dict[str, Any], opts: dict[str, Any]) -> tuple[str, str, str]:
    m = row.get("moto")
    if not m or m.get("events") is None:
        return "not run", "n/a", "n/a"
    count = _count_cell(m, "wrong ({})")
    if m["timed_out"]:
        return f"> {opts['moto_timeout_s']:.0f}", count, "n/a"
    ratio = row["moto_over_owl"] if count == "right" else None  # else not the same work
    return _f(m["wall_s"], "{:.2f}"), count, "n/a" if ratio is None else f"{ratio:.1f}x"


def _pattern_legend(meta: dict[str, Any], names: list[str]) -> list[str]:
    table = meta.get("patterns") or {}
    lines = []
    for name in names:
        case = table.get(name)
        if case is None:  # results of the two-pattern version: none and one --term
            term = meta["options"].get("term")
            case = {"pattern": term if name == "term" else None, "sql": None}
        text = "(absent)" if case["pattern"] is None else f"`{case['pattern']}`"
        sql = f"; DuckDB `{case['sql']}`" if case.get("sql") and name != "none" else ""
        lines.append(f"- `{name}`: {text}{sql}")
    return lines


def markdown(meta: dict[str, Any], results: Results, notes: list[str]) -> str:
    o = meta["options"]
    rows = summarise(results)
    lines = [
        f"## FilterLogEvents, all pages: owl vs DuckDB on Parquet vs moto ({meta['started']})",
        "",
        f"{o['events']:,} generated events (mean message {meta['mean_message_bytes']:.0f} B), "
        f"layouts `one` = 1 group x 4 streams and `many` = {o['groups']} groups x "
        f"{o['streams_per_group']:,} streams; median of "
        f"{o['runs']} run(s). Machine: {meta['cpus']} CPUs, load average at start "
        f"{meta['loadavg_start']}, at end {meta.get('loadavg_end')}. owl {meta['owl_rev']}, "
        f"DuckDB {meta['versions'].get('duckdb')}, moto {meta['versions'].get('moto')}.",
        "",
        "| layout | pattern | matches | owl s (all pages) | of which client parse s | "
        "owl events/s | owl pages | owl first page ms | DuckDB s | owl/DuckDB | owl count | "
        "moto s | moto count | moto/owl |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for row in rows:
        owl, duck = row.get("owl", {}), row.get("duckdb", {})
        ratio = row["owl_over_duckdb"]
        moto_s, moto_count, moto_ratio = _moto_cells(row, o)
        events = duck.get("expected") or owl.get("expected")
        lines.append(
            "| "
            + " | ".join(
                [
                    row["layout"],
                    row["pattern"],
                    _f(events, "{:,}"),
                    _f(owl.get("wall_s"), "{:.2f}"),
                    _f(owl.get("client_parse_s"), "{:.2f}"),
                    _f(owl.get("events_per_s"), "{:,.0f}"),
                    _f(owl.get("pages"), "{:,}"),
                    _f(owl.get("first_page_ms"), "{:,.0f}"),
                    _f(duck.get("wall_s"), "{:.2f}"),
                    "n/a" if ratio is None else f"{ratio:.2f}x",
                    _count_cell(owl, "**WRONG: {}**"),
                    moto_s,
                    moto_count,
                    moto_ratio,
                ]
            )
            + " |"
        )
    names = list(dict.fromkeys(r["pattern"] for r in rows))
    lines += [
        "",
        "Patterns (matches: DuckDB's count, summed over the groups):",
        "",
        *_pattern_legend(meta, names),
        "",
        "- owl/moto s: one client reading every page (nextToken until absent) of each group's "
        "query, startTime/endTime = the group's whole span; in `many` the sum over all groups. "
        "Each page is parsed (orjson) and counted; SigV4 signing included. Client parse: the "
        "part of owl's time the client spends in orjson.loads of the pages (a floor no server "
        "can remove: with no pattern it alone takes longer than DuckDB's whole query).",
        "- DuckDB s: the equivalent SQL on one zstd Parquet file of the same events (sorted by "
        "group, ts, seq; row groups of 16,384 rows), one query per group, fetched fully as "
        "Arrow; no HTTP, no JSON. The predicates are written by hand, not by owl's compiler.",
        "- owl/DuckDB: ratio of the medians (target: at most 2x). moto/owl: how many times "
        "longer moto takes (only where its count is right).",
        "- count: whether the server returned DuckDB's number of events (right / wrong / "
        f"unfinished: moto stopped after {o['moto_timeout_s']:.0f} s). moto matches every event "
        "for `?` terms, JSON and space-delimited patterns.",
        *[f"- {n}" for n in notes],
    ]
    unordered = [
        f"{r['layout']}/{r['pattern']}" for r in rows if not r.get("owl", {}).get("ordered", True)
    ]
    if unordered:
        lines.append(f"- **owl returned events out of time order in: {', '.join(unordered)}**")
    miscounted = [f"{r['layout']}/{r['pattern']}" for r in rows if owl_count_wrong(r)]
    if miscounted:
        lines.append(f"- **owl's count differs from DuckDB's in: {', '.join(miscounted)}**")
    return "\n".join(lines) + "\n"


def owl_count_wrong(row: dict[str, Any]) -> bool:
    owl = row.get("owl")
    return bool(owl) and not owl.get("count_ok", True)


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> tuple[Options, Path | None]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--events", type=int, help="events per layout (default 1,000,000)")
    p.add_argument("--large", action="store_true", help="10,000,000 events")
    p.add_argument("--quick", action="store_true", help="smoke run: 20,000 events, 1 run")
    p.add_argument("--runs", type=int, help="runs of each measurement (default 3)")
    p.add_argument("--groups", type=int, help="groups of the `many` layout (100)")
    p.add_argument("--streams-per-group", type=int, help="streams per group there (1,000)")
    p.add_argument(
        "--patterns",
        default=",".join(PATTERNS),
        help=f"comma-separated, among {','.join(PATTERNS)} (default: all)",
    )
    p.add_argument("--moto-timeout", type=float, default=120.0, help="s per moto measurement")
    p.add_argument("--moto-max-events", type=int, default=1_000_000)
    p.add_argument("--moto-load-timeout", type=float, default=1_800.0)
    p.add_argument("--loaders", type=int, default=4, help="loading client processes")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--layouts", default=",".join(LAYOUTS))
    p.add_argument("--servers", default=",".join(KINDS), help="among owl,duckdb,moto")
    p.add_argument("--out-dir", type=Path, default=BENCH_DIR / "results")
    p.add_argument("--report", type=Path, help="only re-print the markdown of a JSON result")
    a = p.parse_args(argv)
    layouts = tuple(x for x in a.layouts.split(",") if x)
    servers = tuple(x for x in a.servers.split(",") if x)
    patterns = tuple(dict.fromkeys(x for x in a.patterns.split(",") if x))
    if not set(layouts) <= set(LAYOUTS) or not set(servers) <= set(KINDS):
        p.error(f"layouts among {LAYOUTS}, servers among {KINDS}")
    if not patterns or not set(patterns) <= set(PATTERNS):
        p.error(f"patterns among {tuple(PATTERNS)}")
    events = a.events or (20_000 if a.quick else 10_000_000 if a.large else 1_000_000)
    opts = Options(
        events=events,
        runs=a.runs or (1 if a.quick else 3),
        groups=a.groups or (4 if a.quick else 100),
        streams_per_group=a.streams_per_group or (50 if a.quick else 1_000),
        patterns=patterns,
        moto_timeout_s=a.moto_timeout,
        moto_max_events=a.moto_max_events,
        moto_load_timeout_s=a.moto_load_timeout,
        loaders=a.loaders,
        seed=a.seed,
        layouts=layouts,
        servers=servers,
        out_dir=a.out_dir,
        quick=a.quick,
    )
    return opts, a.report


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, interrupt)  # unwind: servers stopped, partial results kept
    opts, report = parse_args(argv)
    if report is not None:
        doc = json.loads(report.read_text())
        print(markdown(doc["meta"], doc["runs"], doc["notes"]))
        return 0
    start_ms = int(time.time() * 1000) - 3 * 3600 * 1000  # inside the accepted 14-day window
    t = time.perf_counter()
    msgs = wl.pattern_messages(opts.events, seed=opts.seed, start_ms=start_ms)
    sizes = wl.utf8_sizes(msgs)
    arrow_msgs = pa.array(msgs, pa.string())
    say(f"generated {len(msgs):,} messages in {time.perf_counter() - t:.1f} s")
    meta: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "loadavg_start": loadavg(),
        "python": platform.python_version(),
        "owl_rev": git_rev(),
        "versions": {n: version(n) for n in ("moto", "duckdb", "pyarrow", "boto3", "orjson")},
        "options": {**asdict(opts), "out_dir": str(opts.out_dir)},
        "patterns": {
            n: {"pattern": PATTERNS[n].pattern, "sql": PATTERNS[n].sql} for n in opts.patterns
        },
        "mean_message_bytes": statistics.fmean(sizes) if sizes else 0.0,
    }
    stamp = meta["started"].replace(":", "").replace("-", "")
    path = opts.out_dir / f"filter-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results: Results = {}
    notes: list[str] = []

    def save(partial: bool) -> None:
        doc = {
            "meta": meta,
            "partial": partial,
            "summary": summarise(results),
            "notes": notes,
            "runs": results,
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(path)

    partial = True
    try:
        work = LoadWork(msgs, sizes)
        for name in opts.layouts:
            run_layout(name, work, arrow_msgs, start_ms, opts, results, notes, lambda: save(True))
        partial = False
    finally:
        meta["loadavg_end"] = loadavg()
        save(partial)
        report_md = markdown(meta, results, notes)
        if partial:
            report_md = "**Partial results: the benchmark did not finish.**\n\n" + report_md
        path.with_suffix(".md").write_text(report_md)
        (path.parent / "filter-latest.md").write_text(report_md)
        print(report_md)
        say(f"wrote {path}")
    wrong = [f"{r['layout']}/{r['pattern']}" for r in summarise(results) if owl_count_wrong(r)]
    if wrong:
        say(f"owl's count differs from DuckDB's in: {', '.join(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
