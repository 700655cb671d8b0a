"""Metric filters and CloudWatch metrics: what filters cost ingestion, and GetMetricData latency.

`ingest`: PutLogEvents of `--events` generated events (4 client processes, one stream each,
batches filled to the 1 MiB rule, fsync on) into a group with 0, 1 and 10 metric filters
(space-delimited, JSON with values and dimensions, terms); a fresh owl server per measurement,
the three filter counts interleaved in every run. The published metrics are checked against
counts made here from the messages.

`small`: the same with `--small-events` events in requests of `--small-batch` (100) events, as
agents send them, into a group with the 10 filters, with the publishing thread's linger
(OWL_METRIC_LINGER_MS) at 0 and at its default of 50 ms: what evaluating every small batch on
its own costs.

`getmetricdata`: a store of 100 metrics x 30 days at 1-minute resolution (4.3 million points,
written into owl's metric store directly, since PutMetricData refuses data older than two
weeks), then GetMetricData for 10 of the metrics over the last day at 1-minute periods (14,400
datapoints) from one client, `--requests` times: p50/p99 wall time with the lean client
(signed JSON 1.0 over keep-alive, orjson) and with boto3. moto's server answers the same query,
loaded with just the 10 queried metrics for the day (it keeps everything in memory and would
take hours to load 4.3 million points through PutMetricData).

    .venv/bin/python bench/metrics.py --quick        # 100,000 events, 1 run; 3 days of metrics
    .venv/bin/python bench/metrics.py                # 1,000,000 events, 3 runs; 30 days
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import orjson
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _servers as srv  # noqa: E402
import _workload as wl  # noqa: E402
from _client import LeanLogs  # noqa: E402
from _meta import git_rev, loadavg, say, version  # noqa: E402
from ingest import Plan, Workload, check_ingest, put_plan, run_parallel  # noqa: E402

from owl.domain.master_key import load_master_key  # noqa: E402
from owl.metrics.datum import Datum  # noqa: E402
from owl.metrics.store import MetricStore, derive_key  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
GROUP, NS, CLIENTS = "/bench/metric-filters", "Bench", 4
ACCESS = "[ts, level, id, ip, request, status, bytes, latency, ...]"

# (name, pattern, metric value, dimensions): realistic filters over _workload.messages.
FILTERS: list[tuple[str, str, str, dict[str, str]]] = [
    ("Errors", "ERROR", "1", {}),
    ("ServerErrors", ACCESS.replace("status", "status = 5*"), "1", {}),
    ("ResponseBytes", ACCESS, "$bytes", {"Status": "$status"}),
    ("JsonErrors", '{ $.level = "error" }', "1", {}),
    ("Duration", "{ $.duration_ms > 0 }", "$.duration_ms", {"Logger": "$.logger"}),
    ("Amount", "{ $.amount_cents > 0 }", "$.amount_cents", {"Currency": "$.currency"}),
    ("SlowQueries", '"slow query"', "1", {}),
    ("CacheMisses", "DEBUG miss", "1", {}),
    ("Timeouts", "?timeout ?Timeout", "1", {}),
    ("BigEuroOrders", '{ $.currency = "EUR" && $.amount_cents > 100000 }', "1", {}),
]


def lean_cloudwatch(server: srv.Server) -> LeanLogs:
    """CloudWatch over AWS JSON 1.0 with the benchmarks' lean client."""
    return LeanLogs(
        server, service="monitoring", target="GraniteServiceVersion20100801", json_version="1.0"
    )


def cloudwatch(server: srv.Server) -> Any:
    return boto3.client(
        "cloudwatch",
        endpoint_url=server.endpoint,
        region_name=srv.REGION,
        aws_access_key_id=server.access_key_id or "testing",
        aws_secret_access_key=server.secret_access_key or "testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


# -- ingest with metric filters ----------------------------------------------------------------


def expected_errors(msgs: list[str]) -> int:
    return sum("ERROR" in m for m in msgs)


def small_plan(stream: wl.StreamEvents, work: Workload, size: int) -> Plan:
    """The stream's events in PutLogEvents requests of `size` events, as agents often send."""
    plan: Plan = []
    for req in wl.batches(stream, work.msgs, work.sizes):
        events = req["logEvents"]
        for i in range(0, len(events), size):
            part = {**req, "logEvents": events[i : i + size]}
            plan.append(("PutLogEvents", orjson.dumps(part), len(part["logEvents"])))
    return plan


def ingest_once(
    root: Path,
    filters: int,
    msgs: list[str],
    start_ms: int,
    *,
    batch_events: int | None = None,
    linger_ms: float | None = None,
) -> dict[str, Any]:
    """One measurement on a fresh server; `batch_events` cuts requests to that many events,
    `linger_ms` sets the server's OWL_METRIC_LINGER_MS."""
    old = os.environ.get("OWL_METRIC_LINGER_MS")
    if linger_ms is not None:
        os.environ["OWL_METRIC_LINGER_MS"] = str(linger_ms)
    try:
        server = srv.start_owl(root / f"owl-{filters}-{linger_ms}" / "data")
    finally:
        if old is None:
            os.environ.pop("OWL_METRIC_LINGER_MS", None)
        else:
            os.environ["OWL_METRIC_LINGER_MS"] = old
    try:
        logs = srv.client(server)
        logs.create_log_group(logGroupName=GROUP)
        per = len(msgs) // CLIENTS
        streams = [wl.StreamEvents(GROUP, f"c{k}", k * per, per, start_ms) for k in range(CLIENTS)]
        for s in streams:
            logs.create_log_stream(logGroupName=GROUP, logStreamName=s.stream)
        for name, pattern, value, dims in FILTERS[:filters]:
            transformation: dict[str, Any] = {
                "metricName": name,
                "metricNamespace": NS,
                "metricValue": value,
            }
            if dims:
                transformation["dimensions"] = dims
            logs.put_metric_filter(
                logGroupName=GROUP,
                filterName=name,
                filterPattern=pattern,
                metricTransformations=[transformation],
            )
        work = Workload(msgs, wl.utf8_sizes(msgs), start_ms)
        if batch_events:
            plans = [small_plan(s, work, batch_events) for s in streams]
        else:
            plans = [put_plan([s], work) for s in streams]
        cpu0, t0 = srv.cpu_seconds(server.pid), time.perf_counter()
        result = run_parallel(server, plans)
        check_ingest(result, per * CLIENTS)
        # Metrics are published by a thread of their own: the clock stops once the Errors
        # metric counts every ERROR line sent (or, without filters, at once), so deferred
        # work is counted.
        want = expected_errors(msgs[: per * CLIENTS])
        deadline = time.perf_counter() + 300
        while True:
            got = published_sum(server, "Errors", start_ms)
            if not filters or got >= want or time.perf_counter() > deadline:
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        result["settled_s"] = wall
        result["settled_events_per_s"] = result["events"] / wall
        result["settled_cpu_s"] = srv.cpu_seconds(server.pid) - cpu0
        if filters:
            result["errors_metric_ok"] = got == want
            if got != want:
                say(f"  Errors metric {got} != {want} ERROR lines")
        return result
    finally:
        srv.stop(server)


def published_sum(server: srv.Server, name: str, start_ms: int) -> float:
    out = lean_cloudwatch(server).call(
        "GetMetricData",
        {
            "MetricDataQueries": [
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {"Namespace": NS, "MetricName": name},
                        "Period": 86400,
                        "Stat": "Sum",
                    },
                }
            ],
            "StartTime": start_ms // 1000 - 86400,
            "EndTime": int(time.time()) + 3600,
        },
    )
    return float(sum(out["MetricDataResults"][0]["Values"]))


# -- GetMetricData ---------------------------------------------------------------------------


def query(first: int, start_s: int, end_s: int) -> dict[str, Any]:
    return {
        "MetricDataQueries": [
            {
                "Id": f"m{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": NS,
                        "MetricName": f"metric{i:03d}",
                        "Dimensions": [{"Name": "Host", "Value": f"host-{i % 10}"}],
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            }
            for i in range(first, first + 10)
        ],
        "StartTime": start_s,
        "EndTime": end_s,
    }


def datums(day_start_s: int, metrics: range) -> list[Datum]:
    out = []
    for i in metrics:
        for m in range(1440):
            v = float((i * 7 + m) % 100)
            out.append(
                Datum(
                    NS,
                    f"metric{i:03d}",
                    (("Host", f"host-{i % 10}"),),
                    (day_start_s + m * 60) * 1000,
                    1.0,
                    v,
                    v,
                    v,
                    values=(v,),
                    counts=(1.0,),
                )
            )
    return out


def load_owl_metrics(root: Path, days: int, end_s: int) -> srv.Server:
    data = root / "owl-metrics" / "data"
    server = srv.start_owl(data)
    cloudwatch(server).put_metric_data(
        Namespace=NS, MetricData=[{"MetricName": "probe", "Value": 1}]
    )
    srv.stop(server)
    path = data / "metrics" / "metrics.db"
    with sqlite3.connect(path) as con:  # the account the server made, from the probe
        account, region = con.execute("SELECT account, region FROM series LIMIT 1").fetchone()
    store = MetricStore(path, derive_key(load_master_key(data)))
    t = time.perf_counter()
    for d in range(days):
        store.put(account, region, datums(end_s - (days - d) * 86400, range(100)))
    say(f"  {days} days x 100 metrics written in {time.perf_counter() - t:.0f} s")
    store.close()
    return srv.start_owl(data)


def load_moto(server: srv.Server, end_s: int) -> None:
    cw = cloudwatch(server)
    batch = datums(end_s - 86400, range(10))
    for i in range(0, len(batch), 1000):
        data = [
            {
                "MetricName": d.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in d.dimensions],
                "Timestamp": dt.datetime.fromtimestamp(d.timestamp_ms / 1000, dt.UTC),
                "Value": d.sum,
            }
            for d in batch[i : i + 1000]
        ]
        cw.put_metric_data(Namespace=NS, MetricData=data)


def time_requests(fn: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def measure_gmd(server: srv.Server, params: dict[str, Any], n: int) -> dict[str, Any]:
    lean = lean_cloudwatch(server)
    answer = lean.call("GetMetricData", params)
    points = sum(len(r["Values"]) for r in answer["MetricDataResults"])
    client = cloudwatch(server)
    boto_params = {
        **params,
        "StartTime": dt.datetime.fromtimestamp(params["StartTime"], dt.UTC),
        "EndTime": dt.datetime.fromtimestamp(params["EndTime"], dt.UTC),
    }
    lean_s = time_requests(lambda: lean.call("GetMetricData", params), n)
    boto_s = time_requests(lambda: client.get_metric_data(**boto_params), n)
    return {"points": points, "lean_s": lean_s, "boto3_s": boto_s}


def p(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--moto-requests", type=int, default=5, help="moto takes seconds each")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--scenarios", default="ingest,small,getmetricdata")
    ap.add_argument("--small-events", type=int, default=200_000)
    ap.add_argument("--small-batch", type=int, default=100)
    ap.add_argument("--out-dir", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.quick:
        args.events, args.runs, args.days, args.requests, args.moto_requests = 100_000, 1, 3, 10, 2
    scenarios = args.scenarios.split(",")
    meta: dict[str, Any] = {
        "events": args.events,
        "runs": args.runs,
        "days": args.days,
        "requests": args.requests,
        "moto_requests": args.moto_requests,
        "small_events": args.small_events,
        "small_batch": args.small_batch,
        "owl_src": git_rev(),
        "env_OWL_METRIC_LINGER_MS": os.environ.get("OWL_METRIC_LINGER_MS"),
        "moto": version("moto"),
        "loadavg_start": loadavg(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    results: dict[str, Any] = {
        "ingest": {0: [], 1: [], 10: []},
        "small": {0: [], 50: []},
        "getmetricdata": {},
    }
    start_ms = int(time.time() * 1000) - 3 * 3600 * 1000
    with tempfile.TemporaryDirectory(prefix="owl-bench-metrics-") as tmp:
        root = Path(tmp)
        if "ingest" in scenarios:
            say(f"generating {args.events:,} events")
            msgs = wl.messages(args.events, seed=7, start_ms=start_ms)
            for run in range(args.runs):
                for n in (0, 1, 10):
                    r = ingest_once(root / f"r{run}", n, msgs, start_ms)
                    results["ingest"][n].append(r)
                    say(
                        f"run {run + 1}, {n} filters: {r['settled_events_per_s']:,.0f} events/s"
                        f" settled ({r['events_per_s']:,.0f} acknowledged)"
                    )
        if "small" in scenarios:
            msgs = wl.messages(args.small_events, seed=7, start_ms=start_ms)
            for run in range(args.runs):
                for linger in (0, 50):
                    r = ingest_once(
                        root / f"s{run}",
                        10,
                        msgs,
                        start_ms,
                        batch_events=args.small_batch,
                        linger_ms=linger,
                    )
                    results["small"][linger].append(r)
                    say(
                        f"run {run + 1}, batches of {args.small_batch}, linger {linger} ms: "
                        f"{r['settled_events_per_s']:,.0f} events/s, "
                        f"{r['settled_cpu_s'] / (r['events'] / 1e6):.1f} CPU s per M"
                    )
        if "getmetricdata" in scenarios:
            end_s = int(time.time()) // 60 * 60
            params = query(0, end_s - 86400, end_s)
            say(f"loading owl: {args.days} days x 100 metrics")
            owl = load_owl_metrics(root, args.days, end_s)
            try:
                results["getmetricdata"]["owl"] = measure_gmd(owl, params, args.requests)
            finally:
                srv.stop(owl)
            say("loading moto: 10 metrics x 1 day")
            moto = srv.start_moto(root)
            try:
                load_moto(moto, end_s)
                results["getmetricdata"]["moto"] = measure_gmd(moto, params, args.moto_requests)
            finally:
                srv.stop(moto)
    meta["loadavg_end"] = loadavg()
    text = report(meta, results)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = {"meta": meta, "results": results}
    (args.out_dir / f"metrics-{stamp}.json").write_text(json.dumps(out, indent=1, default=str))
    (args.out_dir / f"metrics-{stamp}.md").write_text(text)
    (args.out_dir / "metrics-latest.md").write_text(text)
    print(text)
    return 0


def report(meta: dict[str, Any], results: dict[str, Any]) -> str:
    lines = [
        f"# Metric filters and GetMetricData (owl {meta['owl_src']}, moto {meta['moto']})",
        "",
        f"loadavg {meta['loadavg_start']} → {meta['loadavg_end']}",
        "",
    ]
    ingest = results["ingest"]
    if ingest[0]:
        base = statistics.median(r["settled_events_per_s"] for r in ingest[0])
        lines += [
            f"## PutLogEvents, {meta['events']:,} events, 4 clients, fsync on;"
            f" medians of {meta['runs']}",
            "",
            "events/s counts until the metrics of every event are published (GetMetricData"
            " sees them); acknowledged: until the last PutLogEvents answered.",
            "",
            "| metric filters | events/s | vs none | acknowledged events/s"
            " | server CPU s per M events | all runs |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for n in (0, 1, 10):
            eps = [r["settled_events_per_s"] for r in ingest[n]]
            acked = statistics.median(r["events_per_s"] for r in ingest[n])
            cpu = statistics.median(r["settled_cpu_s"] / (r["events"] / 1e6) for r in ingest[n])
            med = statistics.median(eps)
            runs = ", ".join(f"{e:,.0f}" for e in eps)
            lines.append(
                f"| {n} | {med:,.0f} | {med / base:.2f} | {acked:,.0f} | {cpu:.2f} | {runs} |"
            )
        checks = [r.get("errors_metric_ok") for n in (1, 10) for r in ingest[n]]
        lines += ["", f"Errors metric equal to the ERROR lines sent: {all(checks)}", ""]
    small = results.get("small") or {}
    if any(small.values()):
        lines += [
            f"## PutLogEvents in requests of {meta['small_batch']} events,"
            f" {meta['small_events']:,} events, 4 clients, 10 metric filters; medians of"
            f" {meta['runs']}",
            "",
            "linger: how long the publishing thread waits to join more batches before it"
            " evaluates the filters (OWL_METRIC_LINGER_MS).",
            "",
            "| linger | events/s | server CPU s per M events | all runs |",
            "|---:|---:|---:|---|",
        ]
        for linger, runs in small.items():
            if not runs:
                continue
            eps = [r["settled_events_per_s"] for r in runs]
            cpu = statistics.median(r["settled_cpu_s"] / (r["events"] / 1e6) for r in runs)
            lines.append(
                f"| {linger} ms | {statistics.median(eps):,.0f} | {cpu:.2f} |"
                f" {', '.join(f'{e:,.0f}' for e in eps)} |"
            )
        lines.append("")
    gmd = results["getmetricdata"]
    if gmd:
        lines += [
            f"## GetMetricData, 10 metrics x 1 day at 1-minute periods; owl's store holds 100"
            f" metrics x {meta['days']} days; {meta['requests']} requests (moto"
            f" {meta['moto_requests']})",
            "",
            "| server | datapoints | lean p50 | lean p99 | boto3 p50 | boto3 p99 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for kind, r in gmd.items():
            lines.append(
                f"| {kind} | {r['points']:,} | {p(r['lean_s'], 0.5) * 1000:.1f} ms"
                f" | {p(r['lean_s'], 0.99) * 1000:.1f} ms | {p(r['boto3_s'], 0.5) * 1000:.1f} ms"
                f" | {p(r['boto3_s'], 0.99) * 1000:.1f} ms |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
