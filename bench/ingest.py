"""Ingest and GetLogEvents throughput of owl and moto's server, side by side, on the same events.

What is measured, and why:

* ingest, 1 group x 4 streams: 4 client processes (one lean client each, see _client.py), each
  sending PutLogEvents batches filled up to the API's limits (1 MiB counted as UTF-8 bytes + 26
  per event, at most 10,000 events) into its own stream. This is the bulk path of agents such as
  the CloudWatch agent or Fluent Bit.
* ingest, many groups x many streams (default 100 x 1,000): the streams are created first
  (untimed), then the same number of events is spread over them, one batch per stream. This is
  the per-request path: name resolution, small bodies, many WAL records.
* GetLogEvents: one stream of N events read from the head, page by page
  (startFromHead=True, nextForwardToken until the token repeats), by one client.

For every measurement: events/s (wall time from the first request to the last answer), the
server's CPU seconds per million events (psutil: user + system of the server process and its
children, before and after), p50/p99 request latency, the server's RSS afterwards, and for owl
the size of the data directory after a forced flush (POST /_owl/flush) against the raw message
bytes. owl runs with fsync on (its default): every acknowledged batch is on disk. moto keeps
everything in memory and has nothing to flush.

Requests are generated and serialised before the clock starts (seeded, realistic mixed
messages of ~210 bytes; see _workload.py). The clients are the lean client of _client.py, the
same for both servers: boto3's per-event validation and shape-by-shape parsing would take the
CPU of a 2-core machine from the server under test. SigV4 signing (with its SHA-256 of the
body) and response parsing remain, per request, and are reported as client CPU.

Each measurement runs --runs times on a fresh server and data directory; the report gives the
median and every value, and the ratio owl/moto of the medians.

    .venv/bin/python bench/ingest.py [--events N] [--runs K] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing as mp
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from queue import Empty
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers as srv  # noqa: E402
import _workload as wl  # noqa: E402
import orjson  # noqa: E402
from _client import LeanLogs, ServiceError  # noqa: E402
from _meta import git_rev, interrupt, loadavg, version  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
SRC_DIR = BENCH_DIR.parent / "src" / "owl"
KINDS = ("owl", "moto")
SCENARIOS = ("ingest_1x4", "ingest_many", "read")
Plan = list[tuple[str, bytes, int]]  # (operation, serialised body, events in it) in order


@dataclass(frozen=True)
class Options:
    events: int
    runs: int
    clients: int
    groups: int
    streams_per_group: int
    read_budget_s: float
    seed: int
    servers: tuple[str, ...]
    scenarios: tuple[str, ...]
    out_dir: Path
    quick: bool
    report: Path | None = None


@dataclass(frozen=True)
class Workload:
    msgs: list[str]
    sizes: list[int]
    start_ms: int  # timestamp of event 0 of every stream

    def raw_bytes(self, first: int, count: int) -> int:
        return sum(self.sizes[first : first + count])


# -- clients -----------------------------------------------------------------------------------


@dataclass
class WorkerResult:
    start: float
    end: float
    latencies: list[float]
    events: int
    client_cpu_s: float
    errors: dict[str, int] = field(default_factory=dict)
    rejected_batches: int = 0


def _error_code(e: Exception) -> str:
    return e.code if isinstance(e, ServiceError) else type(e).__name__


def _worker(server: srv.Server, plan: Plan, barrier: Barrier, queue: Any) -> None:
    """One client process: wait for the others, send the plan, report what it saw."""
    client = LeanLogs(server)
    barrier.wait()
    cpu0, start = time.process_time(), time.perf_counter()
    res = WorkerResult(start, start, [], 0, 0.0)
    for op, body, events in plan:
        t = time.perf_counter()
        try:
            answer = client.send(op, body)
        except (ServiceError, OSError) as e:
            client.close()
            code = _error_code(e)
            res.errors[code] = res.errors.get(code, 0) + 1
            continue
        res.latencies.append(time.perf_counter() - t)
        res.events += events
        res.rejected_batches += bool(answer.get("rejectedLogEventsInfo"))
    res.end = time.perf_counter()
    res.client_cpu_s = time.process_time() - cpu0
    queue.put(res)


def run_parallel(server: srv.Server, plans: Sequence[Plan]) -> dict[str, Any]:
    """Run one plan per client process (forked, so plans are not copied); measure the window."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(plans) + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(server, p, barrier, queue)) for p in plans]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=300)
        cpu0 = srv.cpu_seconds(server.pid)
        results = _collect(queue, procs)
        cpu1 = srv.cpu_seconds(server.pid)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
    return _summarise(results, cpu1 - cpu0)


def _collect(queue: Any, procs: Sequence[Any]) -> list[WorkerResult]:
    out: list[WorkerResult] = []
    while len(out) < len(procs):
        try:
            out.append(queue.get(timeout=5))
        except Empty:  # check that every worker is still alive
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a client process died (exit {dead[0].exitcode})") from None
    return out


def _summarise(results: Sequence[WorkerResult], server_cpu_s: float) -> dict[str, Any]:
    wall = max(r.end for r in results) - min(r.start for r in results)
    latencies = sorted(x for r in results for x in r.latencies)
    events = sum(r.events for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r.errors.items():
            errors[code] = errors.get(code, 0) + n
    return {
        "events": events,
        "requests": len(latencies),
        "wall_s": wall,
        "events_per_s": events / wall if wall > 0 else 0.0,
        "requests_per_s": len(latencies) / wall if wall > 0 else 0.0,
        "server_cpu_s": server_cpu_s,
        "client_cpu_s": sum(r.client_cpu_s for r in results),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": errors,
        "rejected_batches": sum(r.rejected_batches for r in results),
    }


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(q / 100 * len(sorted_values) + 0.4999))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def split_round_robin(plan: Plan, n: int) -> list[Plan]:
    return [plan[i::n] for i in range(n)]


# -- scenario building blocks ------------------------------------------------------------------


def put_plan(streams: Iterable[wl.StreamEvents], work: Workload) -> Plan:
    return [
        ("PutLogEvents", orjson.dumps(req), len(req["logEvents"]))
        for s in streams
        for req in wl.batches(s, work.msgs, work.sizes)
    ]


def create_groups(server: srv.Server, groups: Iterable[str]) -> None:
    client = srv.client(server)
    for g in groups:
        client.create_log_group(logGroupName=g)


def create_streams(server: srv.Server, pairs: Sequence[tuple[str, str]], clients: int) -> float:
    """Create streams with `clients` processes; returns creations per second."""
    plan: Plan = [
        ("CreateLogStream", orjson.dumps({"logGroupName": g, "logStreamName": s}), 0)
        for g, s in pairs
    ]
    result = run_parallel(server, split_round_robin(plan, clients))
    if result["errors"]:
        raise RuntimeError(f"creating streams failed: {result['errors']}")
    return float(result["requests_per_s"])


def after_ingest(server: srv.Server, result: dict[str, Any], raw_bytes: int) -> dict[str, Any]:
    """Per-million costs, memory, and for owl the on-disk size after a forced flush."""
    millions = max(result["events"], 1) / 1e6
    result["raw_bytes"] = raw_bytes
    result["server_cpu_s_per_m"] = result["server_cpu_s"] / millions
    result["client_cpu_s_per_m"] = result["client_cpu_s"] / millions
    result["server_rss_mb"] = srv.rss_bytes(server.pid) / 2**20
    if server.kind == "owl":
        assert server.data_dir is not None
        t = time.perf_counter()
        result["segments"] = srv.owl_settle(server)
        result["flush_s"] = time.perf_counter() - t
        usage = srv.dir_usage(server.data_dir)
        result["disk"] = usage
        result["segments_pct_raw"] = 100 * usage["segments"] / raw_bytes
        result["data_dir_pct_raw"] = 100 * usage["total"] / raw_bytes
    return result


def check_ingest(result: dict[str, Any], expected: int) -> None:
    if result["errors"] or result["events"] != expected or result["rejected_batches"]:
        raise RuntimeError(
            f"ingest incomplete: {result['events']} of {expected} events, "
            f"errors {result['errors']}, rejected batches {result['rejected_batches']}"
        )


# -- scenarios ---------------------------------------------------------------------------------


def scenario_1x4(server: srv.Server, work: Workload, opts: Options) -> dict[str, Any]:
    """1 group, one stream per client, every client filling 1 MiB batches."""
    group = "/bench/ingest-1x4"
    per = opts.events // opts.clients
    streams = [
        wl.StreamEvents(group, f"client-{k}", k * per, per, work.start_ms)
        for k in range(opts.clients)
    ]
    create_groups(server, [group])
    client = srv.client(server)
    for s in streams:
        client.create_log_stream(logGroupName=group, logStreamName=s.stream)
    plans = [put_plan([s], work) for s in streams]
    result = run_parallel(server, plans)
    check_ingest(result, per * opts.clients)
    return after_ingest(server, result, work.raw_bytes(0, per * opts.clients))


def scenario_many(server: srv.Server, work: Workload, opts: Options) -> dict[str, Any]:
    """groups x streams_per_group streams, created untimed; events spread one batch per stream."""
    groups = [f"/bench/many/g{g:03d}" for g in range(opts.groups)]
    pairs = [(g, f"s{s:05d}") for g in groups for s in range(opts.streams_per_group)]
    per = max(1, opts.events // len(pairs))
    create_groups(server, groups)
    creates_per_s = create_streams(server, pairs, opts.clients)
    streams = [
        wl.StreamEvents(g, s, (i * per) % (len(work.msgs) - per + 1), per, work.start_ms)
        for i, (g, s) in enumerate(pairs)
    ]
    plans = [put_plan(streams[k :: opts.clients], work) for k in range(opts.clients)]
    result = run_parallel(server, plans)
    check_ingest(result, per * len(pairs))
    raw = sum(work.raw_bytes(s.first, s.count) for s in streams)
    result = after_ingest(server, result, raw)
    result.update(streams=len(pairs), events_per_stream=per, stream_creates_per_s=creates_per_s)
    return result


def scenario_read(server: srv.Server, work: Workload, opts: Options) -> dict[str, Any]:
    """One stream of `events` events (loaded by all clients, untimed), read from the head."""
    group, stream = "/bench/read", "big-stream"
    create_groups(server, [group])
    srv.client(server).create_log_stream(logGroupName=group, logStreamName=stream)
    per = opts.events // opts.clients
    parts = [
        wl.StreamEvents(group, stream, k * per, per, work.start_ms + k * per)
        for k in range(opts.clients)
    ]
    load = run_parallel(server, [put_plan([p], work) for p in parts])
    check_ingest(load, per * opts.clients)
    if server.kind == "owl":
        srv.owl_settle(server)
    result = read_stream(server, group, stream, opts.read_budget_s)
    result["stream_events"] = per * opts.clients
    result["load_events_per_s"] = load["events_per_s"]
    complete = result["complete"]
    if complete and result["events"] != result["stream_events"]:
        raise RuntimeError(f"read {result['events']} of {result['stream_events']} events")
    return result


def read_stream(server: srv.Server, group: str, stream: str, budget_s: float) -> dict[str, Any]:
    """Page forward from the head until the token repeats, or until `budget_s` has passed."""
    client = LeanLogs(server)
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream}
    kwargs["startFromHead"] = True
    latencies: list[float] = []
    events, ordered, last_ts, complete = 0, True, -1, False
    cpu0, client0, start = srv.cpu_seconds(server.pid), time.process_time(), time.perf_counter()
    while True:
        t = time.perf_counter()
        page = client.call("GetLogEvents", kwargs)
        latencies.append(time.perf_counter() - t)
        batch = page["events"]
        events += len(batch)
        if batch:
            ordered &= batch[0]["timestamp"] >= last_ts
            last_ts = batch[-1]["timestamp"]
        token = page["nextForwardToken"]
        if token == kwargs.get("nextToken"):
            complete = True
            break
        kwargs["nextToken"] = token
        if time.perf_counter() - start > budget_s:
            break
    wall = time.perf_counter() - start
    server_cpu = srv.cpu_seconds(server.pid) - cpu0
    latencies.sort()
    millions = max(events, 1) / 1e6
    return {
        "events": events,
        "pages": len(latencies),
        "complete": complete,
        "ordered": ordered,
        "wall_s": wall,
        "events_per_s": events / wall,
        "events_per_page": events / max(1, len(latencies) - int(complete)),
        "server_cpu_s_per_m": server_cpu / millions,
        "client_cpu_s_per_m": (time.process_time() - client0) / millions,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "server_rss_mb": srv.rss_bytes(server.pid) / 2**20,
    }


SCENARIO_FUNCS: dict[str, Callable[[srv.Server, Workload, Options], dict[str, Any]]] = {
    "ingest_1x4": scenario_1x4,
    "ingest_many": scenario_many,
    "read": scenario_read,
}


# -- runs --------------------------------------------------------------------------------------


def run_one(kind: str, scenario: str, work: Workload, opts: Options) -> dict[str, Any]:
    """A fresh server and directory, one scenario, then everything is removed."""
    tmp = Path(tempfile.mkdtemp(prefix=f"owl-bench-{kind}-"))
    server: srv.Server | None = None
    try:
        server = srv.start_owl(tmp / "data") if kind == "owl" else srv.start_moto(tmp)
        return SCENARIO_FUNCS[scenario](server, work, opts)
    except Exception:
        if server is not None:
            _print_log_tail(server.log_path)
        raise
    finally:
        if server is not None:
            srv.stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


def _print_log_tail(path: Path, lines: int = 30) -> None:
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return
    print(f"--- last lines of {path} ---", *tail, sep="\n", file=sys.stderr)


Results = dict[str, dict[str, list[dict[str, Any]]]]  # scenario → server → one dict per run


def run_all(work: Workload, opts: Options, on_result: Callable[[Results], None]) -> Results:
    """Every run of every scenario on every server; `on_result` sees the results so far."""
    results: Results = {s: {k: [] for k in opts.servers} for s in opts.scenarios}
    for run in range(opts.runs):
        # Alternate which server goes first, so neither always gets the cooler machine.
        kinds = opts.servers if run % 2 == 0 else tuple(reversed(opts.servers))
        for scenario in opts.scenarios:
            for kind in kinds:
                t, src = time.perf_counter(), src_digest()  # the tree may change under a long run
                r = run_one(kind, scenario, work, opts)
                r["took_s"] = time.perf_counter() - t
                r["owl_src"] = src
                results[scenario][kind].append(r)
                on_result(results)
                print(
                    f"run {run + 1}/{opts.runs} {scenario:<12} {kind:<4} "
                    f"{r['events_per_s']:>10,.0f} events/s  ({r['took_s']:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    return results


# -- report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    scenario: str
    label: str
    key: str
    fmt: str
    owl_only: bool = False


METRICS = (
    Metric("ingest_1x4", "events/s", "events_per_s", "{:,.0f}"),
    Metric("ingest_1x4", "server CPU s / 1M events", "server_cpu_s_per_m", "{:.1f}"),
    Metric("ingest_1x4", "client CPU s / 1M events", "client_cpu_s_per_m", "{:.1f}"),
    Metric("ingest_1x4", "p50 request ms", "p50_ms", "{:.1f}"),
    Metric("ingest_1x4", "p99 request ms", "p99_ms", "{:.1f}"),
    Metric("ingest_1x4", "server RSS MB after", "server_rss_mb", "{:,.0f}"),
    Metric("ingest_1x4", "segments % of raw", "segments_pct_raw", "{:.1f}", True),
    Metric("ingest_1x4", "data dir % of raw", "data_dir_pct_raw", "{:.1f}", True),
    Metric("ingest_many", "events/s", "events_per_s", "{:,.0f}"),
    Metric("ingest_many", "requests/s", "requests_per_s", "{:,.0f}"),
    Metric("ingest_many", "server CPU s / 1M events", "server_cpu_s_per_m", "{:.1f}"),
    Metric("ingest_many", "client CPU s / 1M events", "client_cpu_s_per_m", "{:.1f}"),
    Metric("ingest_many", "p50 request ms", "p50_ms", "{:.1f}"),
    Metric("ingest_many", "p99 request ms", "p99_ms", "{:.1f}"),
    Metric("ingest_many", "server RSS MB after", "server_rss_mb", "{:,.0f}"),
    Metric("ingest_many", "segments % of raw", "segments_pct_raw", "{:.1f}", True),
    Metric("ingest_many", "data dir % of raw", "data_dir_pct_raw", "{:.1f}", True),
    Metric("ingest_many", "stream creations/s (setup)", "stream_creates_per_s", "{:,.0f}"),
    Metric("read", "events/s", "events_per_s", "{:,.0f}"),
    Metric("read", "server CPU s / 1M events", "server_cpu_s_per_m", "{:.1f}"),
    Metric("read", "client CPU s / 1M events", "client_cpu_s_per_m", "{:.1f}"),
    Metric("read", "p50 page ms", "p50_ms", "{:.1f}"),
    Metric("read", "p99 page ms", "p99_ms", "{:.1f}"),
    Metric("read", "events per page", "events_per_page", "{:,.0f}"),
    Metric("read", "events read", "events", "{:,.0f}"),
)


def summarise(results: Results) -> list[dict[str, Any]]:
    rows = []
    for m in METRICS:
        if m.scenario not in results:
            continue
        row: dict[str, Any] = {"scenario": m.scenario, "metric": m.label, "key": m.key}
        for kind, runs in results[m.scenario].items():
            values = [r[m.key] for r in runs if m.key in r]
            row[kind] = {"median": statistics.median(values) if values else None, "all": values}
        owl, moto = row.get("owl", {}).get("median"), row.get("moto", {}).get("median")
        row["ratio_owl_moto"] = owl / moto if owl is not None and moto else None
        row["fmt"] = m.fmt
        rows.append(row)
    return rows


def _fmt(fmt: str, value: float | None) -> str:
    return "n/a" if value is None else fmt.format(value)


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    kinds = [k for k in KINDS if k in meta["options"]["servers"]]
    head = ["scenario", "metric", *[f"{k} (median)" for k in kinds]]
    if len(kinds) == 2:
        head.append("owl/moto")
    head += [f"{k} (all runs)" for k in kinds]
    lines = [_header(meta), "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["scenario"], row["metric"]]
        cells += [_fmt(row["fmt"], row.get(k, {}).get("median")) for k in kinds]
        if len(kinds) == 2:
            ratio = row["ratio_owl_moto"]
            cells.append("n/a" if ratio is None else f"{ratio:.2f}x")
        for k in kinds:
            values = row.get(k, {}).get("all", [])
            cells.append(", ".join(_fmt(row["fmt"], v) for v in values) or "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *_notes(meta)]
    return "\n".join(lines) + "\n"


def _header(meta: dict[str, Any]) -> str:
    o, w = meta["options"], meta["workload"]
    return (
        f"## Ingest and GetLogEvents: owl vs moto ({meta['started']})\n\n"
        f"{o['events']:,} events per measurement, mean message {w['mean_message_bytes']:.0f} B "
        f"(UTF-8), {o['clients']} client processes, {o['runs']} run(s) each on a fresh server; "
        f"many-streams scenario: {o['groups']} groups x {o['streams_per_group']} streams. "
        f"Machine: {meta['cpus']} CPUs, load average at start {meta['loadavg_start']}, "
        f"at end {meta.get('loadavg_end')}. owl {meta['owl_rev']} with fsync on"
        f"{_src_note(meta)}; "
        f"moto {meta['versions'].get('moto')}."
    )


def _src_note(meta: dict[str, Any]) -> str:
    digests = meta.get("owl_src_seen", [])
    if len(digests) <= 1:
        return ""
    return f" (owl's source changed during the run: {len(digests)} versions, see owl_src per run)"


def _notes(meta: dict[str, Any]) -> list[str]:
    notes = [
        "- events/s: wall time from the first request to the last answer, all clients.",
        "- server CPU: user+system of the server process (psutil), over the same window.",
        "- segments / data dir % of raw: owl only, after POST /_owl/flush and merges settle; "
        "raw = UTF-8 bytes of the messages. The data dir includes the preallocated active "
        "WAL file and the SQLite catalog. moto keeps everything in memory (see its RSS).",
        "- read: one client, startFromHead=True, nextForwardToken until it repeats; owl's "
        "stream is flushed to segments first. owl caps a page at 1 MB like AWS; moto returns "
        "up to 10,000 events per page regardless of size. events/s includes the client's "
        "signing and its orjson parsing of every response (client CPU row).",
    ]
    for kind, runs in meta.get("incomplete_reads", {}).items():
        notes.append(
            f"- {kind} read: stopped after the {meta['options']['read_budget_s']:.0f} s budget "
            f"in {runs} run(s); its numbers are for a prefix of the stream (see 'events read'), "
            "not extrapolated."
        )
    return notes


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--events", type=int, help="events per measurement (default 1,000,000)")
    p.add_argument("--runs", type=int, help="runs of each measurement (default 3)")
    p.add_argument("--quick", action="store_true", help="tiny smoke run: 20,000 events, 1 run")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--groups", type=int, help="groups of the many-streams scenario (100)")
    p.add_argument("--streams-per-group", type=int, help="streams per group there (1,000)")
    p.add_argument("--read-budget", type=float, default=300.0, help="seconds per read at most")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--servers", default="owl,moto", help="comma-separated: owl,moto")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--out-dir", type=Path, default=BENCH_DIR / "results")
    p.add_argument("--report", type=Path, help="only re-render the markdown of a JSON result")
    a = p.parse_args(argv)
    servers = tuple(k for k in a.servers.split(",") if k)
    scenarios = tuple(s for s in a.scenarios.split(",") if s)
    if not set(servers) <= set(KINDS) or not set(scenarios) <= set(SCENARIOS):
        p.error(f"servers must be among {KINDS}, scenarios among {SCENARIOS}")
    return Options(
        events=a.events or (20_000 if a.quick else 1_000_000),
        runs=a.runs or (1 if a.quick else 3),
        clients=a.clients,
        groups=a.groups or (4 if a.quick else 100),
        streams_per_group=a.streams_per_group or (50 if a.quick else 1_000),
        read_budget_s=a.read_budget,
        seed=a.seed,
        servers=servers,
        scenarios=scenarios,
        out_dir=a.out_dir,
        quick=a.quick,
        report=a.report,
    )


def make_workload(opts: Options) -> Workload:
    # Timestamps start 3 hours ago: inside the accepted window (14 days back, 2 hours ahead)
    # for the whole benchmark, and one stream of 1M events spans only ~17 minutes.
    start_ms = int(time.time() * 1000) - 3 * 3600 * 1000
    msgs = wl.messages(opts.events, seed=opts.seed, start_ms=start_ms)
    return Workload(msgs, wl.utf8_sizes(msgs), start_ms)


def environment(opts: Options, work: Workload) -> dict[str, Any]:
    return {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "loadavg_start": loadavg(),
        "python": platform.python_version(),
        "owl_rev": git_rev(),
        "owl_src_start": src_digest(),
        "versions": {n: version(n) for n in ("moto", "boto3", "duckdb", "pyarrow", "uvicorn")},
        "options": {**asdict(opts), "out_dir": str(opts.out_dir), "report": None},
        "workload": {
            "messages": len(work.msgs),
            "raw_bytes": sum(work.sizes),
            "mean_message_bytes": statistics.fmean(work.sizes),
        },
    }


def src_digest() -> str:
    """A short digest of owl's source files: which code a measurement ran (no git needed)."""
    h = hashlib.sha256()
    for path in sorted(SRC_DIR.rglob("*.py")):
        h.update(str(path.relative_to(SRC_DIR)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def json_path(meta: dict[str, Any]) -> Path:
    stamp = meta["started"].replace(":", "").replace("-", "")
    return Path(meta["options"]["out_dir"]) / f"ingest-{stamp}.json"


def save_json(meta: dict[str, Any], results: Results, *, partial: bool) -> Path:
    """The whole record: options, machine, every value of every run, and the summary."""
    path = json_path(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "partial": partial, "summary": summarise(results), "runs": results}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(path)
    return path


def complete_meta(meta: dict[str, Any], results: Results) -> None:
    meta.setdefault("loadavg_end", loadavg())
    seen = [meta.get("owl_src_start")] + [
        r.get("owl_src") for runs in results.values() for rs in runs.values() for r in rs
    ]
    meta["owl_src_seen"] = sorted({d for d in seen if d})
    meta["incomplete_reads"] = {
        k: sum(not r["complete"] for r in runs)
        for k, runs in results.get("read", {}).items()
        if any(not r["complete"] for r in runs)
    }


def render(meta: dict[str, Any], results: Results, *, partial: bool) -> str:
    report = markdown(summarise(results), meta)
    if partial:
        report = "**Partial results: the benchmark did not finish.**\n\n" + report
    return report


def finish(meta: dict[str, Any], results: Results, *, partial: bool) -> str:
    """Write the JSON and ingest-latest.md; return the markdown."""
    complete_meta(meta, results)
    path = save_json(meta, results, partial=partial)
    report = render(meta, results, partial=partial)
    path.with_suffix(".md").write_text(report)
    (path.parent / "ingest-latest.md").write_text(report)
    return report


def report_from(path: Path) -> int:
    """Print the markdown of a saved (possibly partial) JSON result; writes nothing."""
    doc = json.loads(path.read_text())
    complete_meta(doc["meta"], doc["runs"])
    print(render(doc["meta"], doc["runs"], partial=doc.get("partial", False)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # SIGTERM unwinds like Ctrl-C, so every server started is stopped and partial results kept.
    signal.signal(signal.SIGTERM, interrupt)
    opts = parse_args(argv)
    if opts.report is not None:
        return report_from(opts.report)
    t = time.perf_counter()
    work = make_workload(opts)
    meta = environment(opts, work)
    took = time.perf_counter() - t
    print(f"generated {len(work.msgs):,} messages in {took:.1f} s", file=sys.stderr)
    results: Results = {}

    def on_result(so_far: Results) -> None:
        results.update(so_far)
        save_json(meta, so_far, partial=True)

    try:
        results = run_all(work, opts, on_result)
    except (Exception, KeyboardInterrupt):
        traceback.print_exc()
        if results:
            print(finish(meta, results, partial=True))
        return 1
    print(finish(meta, results, partial=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
