"""Encryption at rest: Logs Insights over a group of 1,000 segments, encrypted vs plaintext.

Stores of the same events, side by side in one process: `plain` (no keys: plaintext Parquet,
as no owl server writes it), `encrypted` (one data key, as a group's events of one day are),
`encrypted-30` (a new data key every 1/30 of the segments, as a month of daily keys is: one
`read_parquet` per key, 30 in a UNION ALL) and `plain-30` (plaintext read as 30 `read_parquet`
calls, which separates the cost of the cipher from that of the split). The stores are owl's
own `Store`, loaded with `--segments` flushes and no merges; the queries are the ten of
`insights.py`, compiled and run by owl's Insights executor over a pinned version, as
StartQuery does, minus HTTP. Runs alternate between the stores, so that noise on the shared
machine hits them alike.

    .venv/bin/python bench/encryption.py --quick     # 100,000 events, 100 segments, 1 run
    .venv/bin/python bench/encryption.py             # 1,000,000 events, 1,000 segments, 5 runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _workload as wl  # noqa: E402
from _meta import git_rev, interrupt, loadavg, say, version  # noqa: E402
from insights import CASES  # noqa: E402

from owl.insights import parse  # noqa: E402
from owl.insights.compiler import compile_query  # noqa: E402
from owl.insights.executor import Job, run  # noqa: E402
from owl.store.crypto import DataKey, KeyUnavailableError  # noqa: E402
from owl.store.engine import Store, StoreConfig  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
START_MS = (int(time.time()) // 3600 - 6) * 3_600_000
GROUP, STREAMS, SEED = 1, 4, 7
COLUMNS = (
    "stream_id AS __sid, ts AS __ts, seq AS __seq, ingest AS __ingest, message AS __msg, "
    "1 AS __gid, '000000000000:/bench' AS __log, FALSE AS __lambda"
)


class RotatingKeys:
    """A key ring whose current key changes on `rotate()`, like a group's key at midnight."""

    def __init__(self) -> None:
        self._keys: dict[int, bytes] = {}
        self.rotate()

    def rotate(self) -> None:
        self.current = DataKey(len(self._keys) + 1, secrets.token_bytes(32))
        self._keys[self.current.id] = self.current.material

    def for_write(self, group_id: int) -> DataKey:
        return self.current

    def material(self, key_id: int) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise KeyUnavailableError(key_id, "unknown key") from None


def load(root: Path, msgs: list[str], segments: int, keys: RotatingKeys | None, rotations: int):
    """A store holding `msgs` in `segments` segment files of one group (merges off)."""
    config = StoreConfig(fsync=False, flush_age_s=1e9, merge_fanin=10**9)
    store = Store(root, config, keyring=keys)
    store.open(background=False)
    per = -(-len(msgs) // segments)
    every = max(1, segments // rotations)
    for i in range(segments):
        chunk = msgs[i * per : (i + 1) * per]
        if not chunk:
            break
        if keys is not None and i and i % every == 0:
            keys.rotate()
        base = START_MS + i * per
        for s in range(STREAMS):
            part = chunk[s::STREAMS]
            ts = pa.array([base + s + STREAMS * j for j in range(len(part))], pa.int64())
            store.append(GROUP, s + 1, ts, pa.array(part, pa.string()), base).result()
        store.flush(GROUP)
    return store


def query(store: Store, text: str, splits: int) -> tuple[float, int]:
    """Wall time and row count of one Insights query over the whole group, as StartQuery runs it
    (`splits` > 1: plaintext segments read by that many `read_parquet` calls)."""
    t = time.perf_counter()
    plan = compile_query(parse(text), now_s=int(time.time()))
    view = store.pin(GROUP)
    try:
        segs = list(view.segments)
        per = -(-len(segs) // splits)
        chunks = [segs[i * per : (i + 1) * per] for i in range(splits)]
        sources = [src for chunk in chunks if chunk for src in store.sources(chunk)]
        parts = [f"SELECT {COLUMNS} FROM {src}" for src in sources]
        source = f"SELECT *, CAST(NULL AS VARCHAR) AS __stream FROM ({' UNION ALL '.join(parts)})"
        job = Job(plan, source, {}, store.cursor, lambda *a: "")
        con = store.cursor()
        try:
            rows, _ = run(con, job)
        finally:
            con.close()
    finally:
        store.unpin(view)
    return time.perf_counter() - t, len(rows)


RATIOS = (("encrypted", "plain"), ("encrypted-30", "plain-30"), ("plain-30", "plain"))


def report(meta: dict[str, Any], results: dict[str, dict[str, list[float]]]) -> str:
    modes = list(next(iter(results.values())))
    head = " | ".join([f"{m} s" for m in modes] + [f"{a}/{b}" for a, b in RATIOS])
    lines = [
        f"# Insights over {meta['segments']:,} segments ({meta['events']:,} events),"
        f" encrypted vs plaintext; medians of {meta['runs']} runs",
        "",
        f"owl {meta['owl_src']}, duckdb {meta['duckdb']}, loadavg {meta['loadavg_start']} →"
        f" {meta.get('loadavg_end', '?')}, segment files {meta['segment_files']}",
        "",
        f"| query | {head} |",
        "|" + "---|" * (1 + len(modes) + len(RATIOS)),
    ]
    medians = {
        name: {m: statistics.median(v) for m, v in by_mode.items()}
        for name, by_mode in results.items()
    }
    medians["**all ten**"] = {m: sum(med[m] for med in medians.values()) for m in modes}
    for name, med in medians.items():
        cells = [f"{med[m]:.3f}" for m in modes] + [f"{med[a] / med[b]:.2f}" for a, b in RATIOS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--segments", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="100,000 events, 100 segments, 1 run")
    ap.add_argument("--out-dir", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if args.quick:
        args.events, args.segments, args.runs = 100_000, 100, 1
    signal.signal(signal.SIGTERM, interrupt)
    say(f"generating {args.events:,} events")
    msgs = wl.pattern_messages(args.events, seed=SEED, start_ms=START_MS)
    meta: dict[str, Any] = {
        "events": args.events,
        "segments": args.segments,
        "runs": args.runs,
        "owl_src": git_rev(),
        "duckdb": version("duckdb"),
        "loadavg_start": loadavg(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    # mode: (keys, key rotations while loading, read_parquet calls of a plaintext read)
    modes: dict[str, tuple[RotatingKeys | None, int, int]] = {
        "plain": (None, 1, 1),
        "encrypted": (RotatingKeys(), 1, 1),
        "plain-30": (None, 1, 30),
        "encrypted-30": (RotatingKeys(), 30, 1),
    }
    results: dict[str, dict[str, list[float]]] = {c.name: {m: [] for m in modes} for c in CASES}
    rows: dict[str, dict[str, int]] = {c.name: {} for c in CASES}
    with tempfile.TemporaryDirectory(prefix="owl-bench-encryption-") as tmp:
        stores: dict[str, Store] = {}
        try:
            for m, (keys, rotations, _) in modes.items():
                say(f"loading {m}")
                t = time.perf_counter()
                stores[m] = load(Path(tmp, m), msgs, args.segments, keys, rotations)
                say(f"  {time.perf_counter() - t:.1f} s")
            meta["segment_files"] = {
                m: len(list(Path(tmp, m, "segments").glob("*.parquet"))) for m in modes
            }
            for run_no in range(args.runs):
                for c in CASES:
                    for m, store in stores.items():
                        s, n = query(store, c.query, modes[m][2])
                        results[c.name][m].append(s)
                        if rows[c.name].setdefault(m, n) != n:
                            raise SystemExit(f"{c.name}: {m} gave {n} rows, then others")
                    if len(set(rows[c.name].values())) != 1:
                        raise SystemExit(f"{c.name}: row counts differ {rows[c.name]}")
                    say(
                        f"run {run_no + 1} {c.name}: "
                        + ", ".join(f"{m} {results[c.name][m][-1]:.3f}" for m in modes)
                    )
        finally:
            for store in stores.values():
                store.close()
    meta["loadavg_end"] = loadavg()
    text = report(meta, results)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = {"meta": meta, "results": results, "rows": rows}
    (args.out_dir / f"encryption-{stamp}.json").write_text(json.dumps(out, indent=1))
    (args.out_dir / f"encryption-{stamp}.md").write_text(text)
    (args.out_dir / "encryption-latest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
