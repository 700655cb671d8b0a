"""Logs Insights end to end: owl vs DuckDB on a Parquet file of the same events vs moto.

Ten typical queries over one group of 4 streams of `_workload.pattern_messages` (JSON app
lines, access lines, VPC flow records, Lambda invocations, …). For owl and moto a measurement
is the wall time from StartQuery until the last page of GetQueryResults of a Complete query;
for DuckDB it is one hand-written SQL statement over the Parquet file, fetched as Arrow. owl's
answer is checked against DuckDB's (row count, and the values of stats rows); moto's is
reported right or wrong. Loading is untimed; owl is flushed and its merges settled first.

    .venv/bin/python bench/insights.py --quick            # 20,000 events, 1 run
    .venv/bin/python bench/insights.py                    # 1,000,000 events, 3 runs
    .venv/bin/python bench/insights.py --large --runs 1   # 10,000,000 events, moto not loaded
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _servers as srv  # noqa: E402
import _workload as wl  # noqa: E402
from _client import LeanLogs  # noqa: E402
from _meta import git_rev, interrupt, loadavg, say, version  # noqa: E402
from filter import LoadWork, events_table, load, make_layout, write_parquet  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# Six hours ago, on the hour: PutLogEvents refuses events older than 14 days.
START_MS = (int(time.time()) // 3600 - 6) * 3_600_000
SEED = 7
Row = tuple[Any, ...]


def _ts(ms: int) -> str:
    t = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    sql: str  # over the view `e` (group_id, stream, ts, seq, ingest, message)
    # Both sides' rows as comparable signatures: owl's row maps, DuckDB's tuples.
    owl_sig: Callable[[list[dict[str, str]]], Any]
    duck_sig: Callable[[list[Row]], Any]


def _messages(rows: list[dict[str, str]]) -> Any:
    """Event rows by their timestamps: streams share timestamps, and which of several tied
    events a limit keeps depends on sequence numbers that owl and the Parquet file number
    differently, but the timestamps kept do not."""
    return sorted(r.get("@timestamp") for r in rows)


def _duck_messages(rows: list[Row]) -> Any:
    return sorted(_ts(r[0]) for r in rows)


def _num(x: Any) -> float | None:
    try:
        return round(float(x), 4)
    except (TypeError, ValueError):
        return None


def _stats(*fields: str) -> Callable[[list[dict[str, str]]], Any]:
    def sig(rows: list[dict[str, str]]) -> Any:
        return sorted(tuple(_cell(r.get(f)) for f in fields) for r in rows)

    return sig


def _cell(v: Any) -> Any:
    n = _num(v)
    return ("n", n) if n is not None else ("s", "" if v is None else str(v))


def _duck(*convert: Callable[[Any], Any]) -> Callable[[list[Row]], Any]:
    def sig(rows: list[Row]) -> Any:
        return sorted(tuple(_cell(f(v)) for f, v in zip(convert, r, strict=True)) for r in rows)

    return sig


def same(v: Any) -> Any:
    return v


JSON_OBJ = "starts_with(message, '{') AND json_valid(message)"
CASES = [
    Case(
        "fields/sort/limit",
        "fields @timestamp, @message | sort @timestamp desc | limit 100",
        "SELECT ts, message FROM e ORDER BY ts DESC, seq DESC LIMIT 100",
        _messages,
        _duck_messages,
    ),
    Case(
        "filter like",
        'filter @message like "ERROR" | fields @timestamp, @message | limit 1000',
        "SELECT ts, message FROM e WHERE contains(message, 'ERROR') "
        "ORDER BY ts DESC, seq DESC LIMIT 1000",
        _messages,
        _duck_messages,
    ),
    Case(
        "filter regex",
        "filter @message like /Task timed out after \\d+/ | fields @timestamp, @message",
        "SELECT ts, message FROM e WHERE regexp_matches(message, 'Task timed out after [0-9]+') "
        "ORDER BY ts DESC, seq DESC LIMIT 10000",
        _messages,
        _duck_messages,
    ),
    Case(
        "stats by bin(5m)",
        "stats count(*) as n by bin(5m)",
        "SELECT ts // 300000 * 300000, count(*) FROM e GROUP BY 1",
        _stats("bin(5m)", "n"),
        _duck(_ts, same),
    ),
    Case(
        "avg/pct by field",
        "filter ispresent(duration_ms) | stats avg(duration_ms) as a, pct(duration_ms, 95) as p "
        "by logger",
        "SELECT json_extract_string(message, '$.logger') AS l, avg(d), quantile_disc(d, 0.95) "
        "FROM (SELECT message, TRY_CAST(json_extract_string(message, '$.duration_ms') AS DOUBLE)"
        f" AS d FROM e WHERE {JSON_OBJ}) WHERE d IS NOT NULL GROUP BY 1",
        _stats("logger", "a", "p"),
        _duck(same, same, same),
    ),
    Case(
        "parse glob",
        "parse @message '\"* /api/v*/*/' as method, version, resource "
        "| filter ispresent(method) | stats count(*) as n by method, resource",
        "SELECT s.a, s.c, count(*) FROM (SELECT regexp_extract(message, "
        "'\"([A-Z]+) /api/v([0-9]+)/([a-z]+)/', ['a', 'b', 'c']) AS s FROM e "
        "WHERE regexp_matches(message, '\"[A-Z]+ /api/v[0-9]+/[a-z]+/')) GROUP BY 1, 2",
        _stats("method", "resource", "n"),
        _duck(same, same, same),
    ),
    Case(
        "parse regex",
        "parse @message /(?<src>\\d+\\.\\d+\\.\\d+\\.\\d+) (?<dst>\\d+\\.\\d+\\.\\d+\\.\\d+)/ "
        "| filter ispresent(dst) | stats count(*) as n by dst | sort n desc | limit 10",
        "SELECT count(*) AS n FROM (SELECT regexp_extract(message, "
        "'([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+) ([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+)', 2) AS dst "
        "FROM e) WHERE dst <> '' GROUP BY dst ORDER BY n DESC LIMIT 10",
        lambda rows: sorted(int(r["n"]) for r in rows),
        lambda rows: sorted(int(r[0]) for r in rows),
    ),
    Case(
        "Lambda REPORT",
        'filter @type = "REPORT" | stats avg(@duration) as a, max(@duration) as m, '
        "pct(@duration, 99) as p by bin(1h)",
        "SELECT ts // 3600000 * 3600000, avg(d), max(d), quantile_disc(d, 0.99) FROM ("
        "SELECT ts, TRY_CAST(regexp_extract(message, '\\tDuration: ([0-9.]+) ms', 1) AS DOUBLE)"
        " AS d FROM e WHERE starts_with(message, 'REPORT RequestId: ')) GROUP BY 1",
        _stats("bin(1h)", "a", "m", "p"),
        _duck(_ts, same, same, same),
    ),
    Case(
        "dedup",
        "filter ispresent(level) | fields level, @message | dedup level",
        f"SELECT l FROM (SELECT json_extract_string(message, '$.level') AS l FROM e "
        f"WHERE {JSON_OBJ}) WHERE l IS NOT NULL GROUP BY l",
        lambda rows: sorted(r["level"] for r in rows),
        lambda rows: sorted(r[0] for r in rows),
    ),
    Case(
        "count_distinct",
        "stats count_distinct(request_id) as n",
        "SELECT count(DISTINCT json_extract_string(message, '$.request_id')) FROM e "
        f"WHERE {JSON_OBJ}",
        _stats("n"),
        _duck(same),
    ),
]


def run_query(
    client: LeanLogs, group: str, query: str, lo_s: int, hi_s: int, timeout: float
) -> tuple[float, list[dict[str, str]] | None]:
    """Wall time from StartQuery to the last page of a Complete query; rows (None: timed out)."""
    t = time.perf_counter()
    qid = client.call(
        "StartQuery",
        {"logGroupName": group, "startTime": lo_s, "endTime": hi_s, "queryString": query},
    )["queryId"]
    while True:
        r = client.call("GetQueryResults", {"queryId": qid})
        if r["status"] not in ("Scheduled", "Running"):
            break
        if time.perf_counter() - t > timeout:
            return time.perf_counter() - t, None
        time.sleep(0.01)
    rows = list(r.get("results", []))
    token = r.get("nextToken")
    while token:
        r = client.call("GetQueryResults", {"queryId": qid, "nextToken": token})
        rows += r.get("results", [])
        token = r.get("nextToken")
    if r["status"] != "Complete":
        raise RuntimeError(f"query ended {r['status']}: {query}")
    elapsed = time.perf_counter() - t
    return elapsed, [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in rows]


def _agrees(case: Case, rows: list[dict[str, str]], duck: list[Row]) -> bool:
    """Whether a peer's rows give DuckDB's answer (rows without the expected fields do not)."""
    try:
        return bool(case.owl_sig(rows) == case.duck_sig(duck))
    except (KeyError, TypeError, ValueError):
        return False


def run_duck(parquet: Path, sql: str) -> tuple[float, list[Row]]:
    con = duckdb.connect(config={"threads": 2})
    try:
        con.execute(f"CREATE VIEW e AS SELECT * FROM read_parquet('{parquet}')")
        t = time.perf_counter()
        table = con.sql(sql).to_arrow_table()
        elapsed = time.perf_counter() - t
        return elapsed, [tuple(r.values()) for r in table.to_pylist()]
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20,000 events, 1 run")
    ap.add_argument("--large", action="store_true", help="10,000,000 events, moto not loaded")
    ap.add_argument("--moto-max-events", type=int, default=1_000_000)
    ap.add_argument("--moto-timeout", type=float, default=120.0)
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--out-dir", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.quick:
        args.events, args.runs = 20_000, 1
    if args.large:
        args.events = 10_000_000
    cases = [c for c in CASES if not args.cases or c.name in args.cases.split(",")]
    signal.signal(signal.SIGTERM, interrupt)
    opts = argparse.Namespace(seed=SEED)  # the "one" layout reads nothing else
    layout = make_layout("one", args.events, START_MS, opts)  # type: ignore[arg-type]
    group = layout.groups[0]
    say(f"generating {args.events:,} events")
    msgs = wl.pattern_messages(args.events, seed=opts.seed, start_ms=START_MS)
    work = LoadWork(msgs, wl.utf8_sizes(msgs))
    lo_s, hi_s = START_MS // 1000 - 1, (START_MS + args.events) // 1000 + 1
    meta: dict[str, Any] = {
        "events": args.events,
        "runs": args.runs,
        "owl_src": git_rev(),
        "duckdb": version("duckdb"),
        "moto": version("moto"),
        "loadavg_start": loadavg(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    results: dict[str, dict[str, Any]] = {
        c.name: {"owl": [], "duckdb": [], "moto": []} for c in cases
    }
    with tempfile.TemporaryDirectory(prefix="owl-bench-insights-") as tmp:
        root = Path(tmp)
        parquet = root / "events.parquet"
        write_parquet(events_table(layout, pa.array(msgs), START_MS), parquet)
        duck_rows: dict[str, list[Row]] = {}
        owl = srv.start_owl(root / "owl" / "data", fsync=False)
        try:
            say("loading owl")
            load(owl, layout, work, 4, 3600)
            meta["owl_segments"] = srv.owl_settle(owl)
            client = LeanLogs(owl)
            for c in cases:
                for run in range(args.runs):
                    d_time, d_rows = run_duck(parquet, c.sql)
                    o_time, o_rows = run_query(client, group, c.query, lo_s, hi_s, 3600)
                    assert o_rows is not None
                    duck_rows[c.name] = d_rows
                    ok = c.owl_sig(o_rows) == c.duck_sig(d_rows)
                    results[c.name]["owl"].append({"s": o_time, "rows": len(o_rows), "ok": ok})
                    results[c.name]["duckdb"].append({"s": d_time, "rows": len(d_rows)})
                    say(
                        f"{c.name} run {run + 1}: owl {o_time:.3f} s, duckdb {d_time:.3f} s,"
                        f" {'same answer' if ok else 'DIFFERENT ANSWER'}"
                    )
            client.close()
        finally:
            srv.stop(owl)
        if args.events <= args.moto_max_events:
            moto = srv.start_moto(root)
            try:
                say("loading moto")
                load(moto, layout, work, 4, 3600)
                client = LeanLogs(moto)
                for c in cases:
                    m_time, m_rows = run_query(
                        client, group, c.query, lo_s, hi_s, args.moto_timeout
                    )
                    right = m_rows is not None and _agrees(c, m_rows, duck_rows[c.name])
                    results[c.name]["moto"].append(
                        {
                            "s": m_time,
                            "rows": None if m_rows is None else len(m_rows),
                            "right": right,
                            "finished": m_rows is not None,
                        }
                    )
                    say(f"{c.name}: moto {m_time:.3f} s, {'right' if right else 'wrong'}")
                client.close()
            finally:
                srv.stop(moto)
    meta["loadavg_end"] = loadavg()
    report = markdown(meta, cases, results)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"insights-{stamp}.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=1)
    )
    (args.out_dir / f"insights-{stamp}.md").write_text(report)
    (args.out_dir / "insights-latest.md").write_text(report)
    print(report)
    wrong = any(not r["ok"] for v in results.values() for r in v["owl"])
    return 1 if wrong else 0


def cell(text: str) -> str:
    """Query text inside a markdown table cell: its pipes escaped."""
    return text.replace("|", "\\|")


def _median(runs: list[dict[str, Any]]) -> float | None:
    return statistics.median(r["s"] for r in runs) if runs else None


def markdown(meta: dict[str, Any], cases: list[Case], results: dict[str, Any]) -> str:
    lines = [
        f"# Logs Insights, {meta['events']:,} events, 1 group x 4 streams "
        f"(medians of {meta['runs']}; owl {meta['owl_src']}, DuckDB {meta['duckdb']}, "
        f"moto {meta['moto']}; load {meta['loadavg_start']} → {meta['loadavg_end']})",
        "",
        "| query | owl s | DuckDB s | owl/DuckDB | target (2x or 100 ms) | owl answer "
        "| moto s | moto |",
        "|---|---:|---:|---:|:---:|:---:|---:|:---:|",
    ]
    for c in cases:
        r = results[c.name]
        o, d = _median(r["owl"]), _median(r["duckdb"])
        assert o is not None and d is not None
        met = o <= max(2 * d, 0.1)
        answer = "same" if all(x["ok"] for x in r["owl"]) else "**different**"
        m = r["moto"][0] if r["moto"] else None
        moto_s = "" if m is None else f"{m['s']:.2f}" + ("" if m["finished"] else " (unfinished)")
        moto_ok = "" if m is None else ("right" if m["right"] else "wrong")
        lines.append(
            f"| `{cell(c.query)}` | {o:.3f} | {d:.3f} | {o / d:.1f}x "
            f"| {'yes' if met else '**no**'} | {answer} | {moto_s} | {moto_ok} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
