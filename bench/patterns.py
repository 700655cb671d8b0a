"""owl.patterns.BatchEvaluator throughput: events per second over batches of generated messages.

What is measured: the wall time of `BatchEvaluator.evaluate(batch)` (one boolean mask per pattern)
called on consecutive batches of `--batches` sizes (100 and 4,400 events), in one process, for
two evaluators built once (untimed, warmed up by one batch):

* `json`: one JSON pattern, `{ ($.level = "error" || $.level = "warn") && $.duration_ms > 1000 }`;
* `fused10`: ten patterns of every kind (terms, a phrase, `?` terms, an exclusion, a regex, three
  JSON and two space-delimited patterns) fused into one evaluator, as when a log group carries
  several metric and subscription filters.

The batches are Arrow string arrays built before the clock starts, from `--events` messages
(`_workload.pattern_messages`, the same mix as bench/filter.py). A run evaluates the batches in
order until the messages are used up or `--budget` seconds have passed, and its rate is the
events it evaluated over its wall time (never extrapolated). Every measurement runs `--runs`
times; the table shows the median, the per-batch latency (p50, p99 over every batch of every
run) and every run's rate. Target: at least 1,000,000 events/s at batches of 4,400.

Checks, untimed: each pattern of `fused10` evaluated alone gives the same mask as in the fused
evaluator; the five patterns shared with bench/filter.py match as many messages as their
hand-written DuckDB SQL.

    .venv/bin/python bench/patterns.py --quick       # smoke: 44,000 events, 3 runs
    .venv/bin/python bench/patterns.py               # 440,000 events, 5 runs
    .venv/bin/python bench/patterns.py --report bench/results/patterns-<stamp>.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _workload as wl  # noqa: E402
from _meta import git_rev, interrupt, loadavg, say, version  # noqa: E402
from filter import PATTERNS as FILTER_PATTERNS  # noqa: E402

from owl.patterns import BatchEvaluator  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
TARGET_BATCH = 4_400
TARGET_EVENTS_PER_S = 1_000_000

# name → pattern text; the first five are bench/filter.py's (with their hand-written SQL there)
_SHARED = ("json", "term", "phrase", "or", "delimited")
FUSED: dict[str, str] = {
    **{n: str(FILTER_PATTERNS[n].pattern) for n in _SHARED},
    "exclusion": "ERROR -TimeoutError",
    "regex": "%Billed Duration: [0-9]{4,} ms%",
    "json_number": '{ $.currency = "EUR" && $.amount_cents >= 250000 }',
    "json_glob": '{ $.logger = "pay*" && $.msg != "sent" }',
    "access_5xx": "[ts, level, id, ip, request, status = 5*, bytes, ...]",
}
SETS: dict[str, list[str]] = {"json": ["json"], "fused10": list(FUSED)}


@dataclass(frozen=True)
class Options:
    events: int
    runs: int
    batches: tuple[int, ...]
    sets: tuple[str, ...]
    budget_s: float
    seed: int
    out_dir: Path
    quick: bool


# -- measurement ---------------------------------------------------------------------------------


def make_batches(msgs: list[str], size: int) -> list[pa.Array]:
    return [pa.array(msgs[i : i + size], pa.string()) for i in range(0, len(msgs), size)]


def measure(evaluator: BatchEvaluator, batches: list[pa.Array], budget_s: float) -> dict[str, Any]:
    """One run: evaluate batches in order until they are used up or the budget is spent."""
    latencies: list[float] = []
    events = 0
    start = time.perf_counter()
    deadline = start + budget_s
    for batch in batches:
        t = time.perf_counter()
        evaluator.evaluate(batch)
        done = time.perf_counter()
        latencies.append(done - t)
        events += len(batch)
        if done >= deadline:
            break
    wall = time.perf_counter() - start
    return {
        "events": events,
        "batches": len(latencies),
        "wall_s": wall,
        "events_per_s": events / wall if wall else 0.0,
        "complete": len(latencies) == len(batches),
        "batch_ms": [x * 1000 for x in latencies],
    }


def check(msgs: list[str]) -> tuple[dict[str, int], list[str]]:
    """Match counts of every pattern over all messages, and any disagreement found."""
    table = pa.table({"message": pa.array(msgs, pa.string())})
    problems: list[str] = []
    with BatchEvaluator(list(FUSED.values())) as fused:
        masks = fused.evaluate(table)
    counts = {name: mask.true_count for name, mask in zip(FUSED, masks, strict=True)}
    for (name, text), fused_mask in zip(FUSED.items(), masks, strict=True):
        with BatchEvaluator([text]) as alone:
            mask = alone.evaluate(table)[0]
        if not mask.equals(fused_mask):
            problems.append(
                f"`{name}` alone matches {mask.true_count:,} messages, "
                f"{fused_mask.true_count:,} in the fused evaluator"
            )
    con = duckdb.connect()
    try:
        con.register("events", table)
        sql = ", ".join(f"count(*) FILTER (WHERE {FILTER_PATTERNS[n].sql})" for n in _SHARED)
        row = con.execute(f"SELECT {sql} FROM events").fetchone() or ()
    finally:
        con.close()
    for name, expected in zip(_SHARED, row, strict=True):
        if counts[name] != expected:
            problems.append(
                f"`{name}` matches {counts[name]:,} messages, its DuckDB SQL {expected:,}"
            )
    return counts, problems


Results = dict[str, dict[str, list[dict[str, Any]]]]  # set → batch size → runs


def run_all(msgs: list[str], opts: Options, results: Results, on_result: Any) -> None:
    for size in opts.batches:
        batches = make_batches(msgs, size)
        for name in opts.sets:
            evaluator = BatchEvaluator([FUSED[p] for p in SETS[name]])
            try:
                evaluator.evaluate(batches[0])  # warm-up: first query of a connection
                runs = results.setdefault(name, {}).setdefault(str(size), [])
                for run in range(opts.runs):
                    r = measure(evaluator, batches, opts.budget_s)
                    r["run"] = run + 1
                    runs.append(r)
                    on_result()
                    say(
                        f"run {run + 1}/{opts.runs} {name:<8} batch {size:>5,} "
                        f"{r['events']:>9,} events {r['wall_s']:6.2f} s "
                        f"{r['events_per_s']:>12,.0f} events/s"
                    )
            finally:
                evaluator.close()


# -- report --------------------------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(results: Results) -> list[dict[str, Any]]:
    rows = []
    for name, by_size in results.items():
        for size, runs in by_size.items():
            latencies = [x for r in runs for x in r["batch_ms"]]
            median = statistics.median(r["events_per_s"] for r in runs) if runs else None
            rows.append(
                {
                    "set": name,
                    "patterns": len(SETS.get(name, [])),
                    "batch": int(size),
                    "events_per_s": median,
                    "all_events_per_s": [r["events_per_s"] for r in runs],
                    "events_per_run": [r["events"] for r in runs],
                    "batch_ms_p50": _percentile(latencies, 0.5),
                    "batch_ms_p99": _percentile(latencies, 0.99),
                    "meets_target": (
                        median >= TARGET_EVENTS_PER_S
                        if median is not None and int(size) == TARGET_BATCH
                        else None
                    ),
                }
            )
    return rows


def _f(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else fmt.format(value)


def markdown(meta: dict[str, Any], results: Results) -> str:
    o = meta["options"]
    lines = [
        f"## owl.patterns.BatchEvaluator throughput ({meta['started']})",
        "",
        f"{meta['messages']:,} generated messages (mean {meta['mean_message_bytes']:.0f} B, the "
        f"mix of bench/filter.py), batches built before timing; each run stops at the end of "
        f"the messages or after {o['budget_s']:.0f} s; median of {o['runs']} run(s). "
        f"Machine: {meta['cpus']} CPUs, load average at start {meta['loadavg_start']}, at end "
        f"{meta.get('loadavg_end')}. owl {meta['owl_rev']}, DuckDB "
        f"{meta['versions'].get('duckdb')}, pyarrow {meta['versions'].get('pyarrow')}.",
        "",
        "| evaluator | patterns | batch | events/s | ms per batch p50 | p99 | "
        f"target (>= {TARGET_EVENTS_PER_S:,}/s at {TARGET_BATCH:,}) | every run (events/s) |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in summarise(results):
        target = row["meets_target"]
        lines.append(
            "| "
            + " | ".join(
                [
                    row["set"],
                    str(row["patterns"]),
                    f"{row['batch']:,}",
                    _f(row["events_per_s"], "{:,.0f}"),
                    _f(row["batch_ms_p50"], "{:.2f}"),
                    _f(row["batch_ms_p99"], "{:.2f}"),
                    "n/a" if target is None else "met" if target else "**not met**",
                    ", ".join(f"{x:,.0f}" for x in row["all_events_per_s"]),
                ]
            )
            + " |"
        )
    counts = meta.get("match_counts", {})
    total = meta["messages"] or 1
    lines += ["", "Patterns (`json` is the first; matches over all the messages):", ""]
    for name, text in meta.get("patterns", {}).items():
        n = counts.get(name)
        share = "" if n is None else f" ({n:,} matches, {n / total:.2%})"
        lines.append(f"- `{name}`: `{text}`{share}")
    lines += [
        "",
        "- events/s: events evaluated by `BatchEvaluator.evaluate` (a mask per pattern) over "
        "the wall time of the run; one process, one evaluator, no I/O.",
    ]
    problems = meta.get("problems", [])
    if problems:
        lines += [f"- **{p}**" for p in problems]
    else:
        lines.append(
            "- Checked: every `fused10` pattern alone gives the fused mask; the five patterns "
            "of bench/filter.py match as many messages as their hand-written DuckDB SQL."
        )
    return "\n".join(lines) + "\n"


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> tuple[Options, Path | None]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--events", type=int, help="generated messages (default 440,000)")
    p.add_argument("--quick", action="store_true", help="smoke run: 44,000 events, 3 runs")
    p.add_argument("--runs", type=int, help="runs of each measurement (default 5)")
    p.add_argument("--batches", default="100,4400", help="batch sizes, comma-separated")
    p.add_argument("--sets", default=",".join(SETS), help=f"among {','.join(SETS)}")
    p.add_argument("--budget", type=float, help="s per run at most (default 15; quick 3)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--out-dir", type=Path, default=BENCH_DIR / "results")
    p.add_argument("--report", type=Path, help="only re-print the markdown of a JSON result")
    a = p.parse_args(argv)
    sets = tuple(dict.fromkeys(x for x in a.sets.split(",") if x))
    if not sets or not set(sets) <= set(SETS):
        p.error(f"sets among {tuple(SETS)}")
    try:
        batches = tuple(int(x) for x in a.batches.split(",") if x)
    except ValueError:
        p.error("--batches: integers, comma-separated")
    if not batches or min(batches) < 1:
        p.error("--batches: positive integers")
    opts = Options(
        events=a.events or (44_000 if a.quick else 440_000),
        runs=a.runs or (3 if a.quick else 5),
        batches=batches,
        sets=sets,
        budget_s=a.budget or (3.0 if a.quick else 15.0),
        seed=a.seed,
        out_dir=a.out_dir,
        quick=a.quick,
    )
    return opts, a.report


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, interrupt)  # unwind: partial results kept
    opts, report = parse_args(argv)
    if report is not None:
        doc = json.loads(report.read_text())
        print(markdown(doc["meta"], doc["runs"]))
        return 0
    start_ms = int(time.time() * 1000) - 3 * 3600 * 1000
    t = time.perf_counter()
    msgs = wl.pattern_messages(opts.events, seed=opts.seed, start_ms=start_ms)
    sizes = wl.utf8_sizes(msgs)
    say(f"generated {len(msgs):,} messages in {time.perf_counter() - t:.1f} s")
    meta: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "loadavg_start": loadavg(),
        "python": platform.python_version(),
        "owl_rev": git_rev(),
        "versions": {n: version(n) for n in ("duckdb", "pyarrow")},
        "options": {**asdict(opts), "out_dir": str(opts.out_dir)},
        "messages": len(msgs),
        "mean_message_bytes": statistics.fmean(sizes) if sizes else 0.0,
        "patterns": dict(FUSED),
    }
    t = time.perf_counter()
    meta["match_counts"], meta["problems"] = check(msgs)
    say(f"checked the patterns in {time.perf_counter() - t:.1f} s")
    for problem in meta["problems"]:
        say(f"CHECK FAILED: {problem}")
    stamp = meta["started"].replace(":", "").replace("-", "")
    path = opts.out_dir / f"patterns-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results: Results = {}

    def save(partial: bool) -> None:
        doc = {"meta": meta, "partial": partial, "summary": summarise(results), "runs": results}
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(path)

    partial = True
    try:
        run_all(msgs, opts, results, lambda: save(True))
        partial = False
    finally:
        meta["loadavg_end"] = loadavg()
        save(partial)
        report_md = markdown(meta, results)
        if partial:
            report_md = "**Partial results: the benchmark did not finish.**\n\n" + report_md
        path.with_suffix(".md").write_text(report_md)
        (path.parent / "patterns-latest.md").write_text(report_md)
        print(report_md)
        say(f"wrote {path}")
    return 1 if meta["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
