"""The event store across a server's life: restarts, flushes to Parquet, merges, deletions.

Each test runs a private server (`--test-hooks`, so `POST /_owl/flush` moves memtables into
Parquet segments) on a data directory of its own, and looks at what lies on disk:
store/MANIFEST.json and the segment files in store/segments, read with DuckDB.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.at_rest import query_segments
from tests.conftest import OwlServer, start_server

HOUR = 3600 * 1000
Event = tuple[int, str]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwlServer]:
    srv = start_server(tmp_path / "data", "--test-hooks")
    try:
        yield srv
    finally:
        srv.stop()  # `restart` swaps the process in place: this stops the current one


def restart(server: OwlServer, sig: int = signal.SIGTERM) -> OwlServer:
    """Stop the server (SIGTERM: a clean stop; SIGKILL: a crash) and start it again."""
    code = server.stop(sig)
    if sig == signal.SIGTERM:
        assert code == 0
    new = start_server(server.data_dir, *server.extra_args, port=server.port)
    server.process = new.process
    return server


def flush(server: OwlServer) -> int:
    req = urllib.request.Request(server.endpoint + "/_owl/flush", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return int(json.loads(r.read())["segments"])


def put(logs: Any, group: str, stream: str, events: list[Event]) -> None:
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in events],
    )


def read_all(logs: Any, group: str, stream: str, limit: int | None = None) -> list[Event]:
    out: list[Event] = []
    token: str | None = None
    while True:
        kw: dict[str, Any] = {"logGroupName": group, "logStreamName": stream}
        kw["startFromHead"] = True
        if limit:
            kw["limit"] = limit
        if token:
            kw["nextToken"] = token
        page = logs.get_log_events(**kw)
        out += [(e["timestamp"], e["message"]) for e in page["events"]]
        if page["nextForwardToken"] == token:
            return out
        token = page["nextForwardToken"]


def read_backward(logs: Any, group: str, stream: str, limit: int) -> list[Event]:
    pages: list[list[Event]] = []
    token: str | None = None
    while True:
        kw: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "limit": limit}
        if token:
            kw["nextToken"] = token
        page = logs.get_log_events(**kw)
        if page["nextBackwardToken"] == token:
            return [e for p in reversed(pages) for e in p]
        pages.append([(e["timestamp"], e["message"]) for e in page["events"]])
        token = page["nextBackwardToken"]


def store_dir(server: OwlServer) -> Path:
    return server.data_dir / "store"


def manifest(server: OwlServer) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((store_dir(server) / "MANIFEST.json").read_bytes())
    return doc


def segment_files(server: OwlServer, group_id: int | None = None) -> list[Path]:
    prefix = "g" if group_id is None else f"g{group_id}-"
    return sorted((store_dir(server) / "segments").glob(f"{prefix}*.parquet"))


def group_id_of(server: OwlServer, marker: str) -> int:
    """The store's id of the group whose segments hold a message starting with `marker`."""
    for f in segment_files(server):
        if query_segments(
            server.data_dir, [f], f"SELECT count(*) FROM seg WHERE starts_with(message, '{marker}')"
        )[0][0]:
            return int(f.name.split("-")[0][1:])
    raise AssertionError(f"no segment holds {marker!r}")


def stream_ids_of(server: OwlServer, marker: str) -> set[int]:
    rows = query_segments(
        server.data_dir,
        segment_files(server),
        f"SELECT DISTINCT stream_id FROM seg WHERE starts_with(message, '{marker}')",
    )
    return {int(r[0]) for r in rows}


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def make_group(logs: Any, name: str, streams: list[str]) -> None:
    logs.create_log_group(logGroupName=name)
    for s in streams:
        logs.create_log_stream(logGroupName=name, logStreamName=s)


def events(prefix: str, base: int, n: int, *, same_ts: int = 1) -> list[Event]:
    return [(base + i // same_ts, f'{prefix}-{i:05d} ünï😀 "q"\n') for i in range(n)]


# --- restarts ---------------------------------------------------------------------------------


def test_events_survive_a_crash(server: OwlServer) -> None:
    """SIGKILL with nothing flushed: the write-ahead log alone brings every event back."""
    logs = server.client()
    make_group(logs, "/app", ["a", "b"])
    base = now_ms() - HOUR
    a, b = events("a", base, 3000, same_ts=4), events("b", base, 500)
    for i in range(0, 3000, 1000):
        put(logs, "/app", "a", a[i : i + 1000])
    put(logs, "/app", "b", b)
    before = logs.describe_log_streams(logGroupName="/app")["logStreams"]
    assert not segment_files(server), "nothing was flushed: the WAL alone must carry it"
    restart(server, signal.SIGKILL)
    logs = server.client()
    assert read_all(logs, "/app", "a") == a
    assert read_all(logs, "/app", "b") == b
    assert read_backward(logs, "/app", "a", 777) == a
    after = logs.describe_log_streams(logGroupName="/app")["logStreams"]
    for old, new in zip(before, after, strict=True):
        for key in ("firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime"):
            assert new[key] == old[key], key
    # Writes go on after the restart, after what was there.
    put(logs, "/app", "b", [(base + 499, "b-late")])
    assert read_all(logs, "/app", "b") == b + [(base + 499, "b-late")]


def test_clean_restart_after_a_forced_flush(server: OwlServer) -> None:
    """Half the stream in a segment, half in the WAL; equal timestamps across the boundary."""
    logs = server.client()
    make_group(logs, "/app", ["a", "b"])
    base = now_ms() - HOUR
    first = [(base + 10, f"first-{i}") for i in range(300)]
    second = [(base + 10, f"second-{i}") for i in range(300)] + [(base + 5, "older")]
    second.sort(key=lambda e: e[0])
    put(logs, "/app", "a", first)
    assert flush(server) == 1
    assert len(segment_files(server)) == 1
    put(logs, "/app", "a", second)
    put(logs, "/app", "b", events("b", base, 100))
    # Sorted by timestamp, ties in put order: "older" first, then every first-*, then second-*.
    expected = [(base + 5, "older")] + first + [e for e in second if e[1] != "older"]
    assert read_all(logs, "/app", "a", limit=123) == expected
    stats = logs.describe_log_streams(logGroupName="/app")["logStreams"]
    restart(server)
    logs = server.client()
    assert read_all(logs, "/app", "a", limit=123) == expected
    assert read_all(logs, "/app", "a") == expected
    assert read_backward(logs, "/app", "a", 97) == expected
    assert read_all(logs, "/app", "b") == events("b", base, 100)
    assert logs.describe_log_streams(logGroupName="/app")["logStreams"] == stats
    # The replayed half flushes like any other, and nothing is written twice.
    flush(server)
    assert (
        query_segments(server.data_dir, segment_files(server), "SELECT count(*) FROM seg")[0][0]
        == len(expected) + 100
    )
    assert read_all(logs, "/app", "a") == expected


# --- segments: written, merged, read back -----------------------------------------------------


def test_segments_are_written_merged_and_read_back(server: OwlServer) -> None:
    logs = server.client()
    make_group(logs, "/merge", ["a", "b"])
    make_group(logs, "/other", ["x"])
    base = now_ms() - HOUR
    expected: dict[str, list[Event]] = {"a": [], "b": []}
    for round_ in range(5):
        for s in ("a", "b"):
            batch = events(f"{s}{round_}", base + round_ * 1000, 400, same_ts=3)
            put(logs, "/merge", s, batch)
            expected[s] += batch
        put(logs, "/other", "x", [(base, f"x{round_}")])
        flush(server)
        if round_ == 0:
            gid = group_id_of(server, "a0-")
            m = manifest(server)
            assert (store_dir(server) / "MANIFEST.json").is_file()
            assert [s["level"] for s in m["segments"] if s["group_id"] == gid] == [0]
    # Five flushes of /merge; the maintenance thread merges four level-0 segments into one.
    wait_for(
        "a merge of /merge's segments",
        lambda: any(s["group_id"] == gid and s["level"] >= 1 for s in manifest(server)["segments"]),
    )
    mine = [s for s in manifest(server)["segments"] if s["group_id"] == gid]
    assert len(mine) < 5
    assert sorted(f.name for f in segment_files(server, gid)) == sorted(s["file"] for s in mine)
    assert sum(s["rows"] for s in mine) == 4000
    assert (
        query_segments(server.data_dir, segment_files(server, gid), "SELECT count(*) FROM seg")[0][
            0
        ]
        == 4000
    )
    # Sorted by (stream_id, ts, seq) inside every file.
    for f in segment_files(server, gid):
        rows = query_segments(server.data_dir, [f], "SELECT stream_id, ts, seq FROM seg")
        assert rows == sorted(rows)
    for s in ("a", "b"):
        assert read_all(logs, "/merge", s) == expected[s]
        assert read_all(logs, "/merge", s, limit=333) == expected[s]
        assert read_backward(logs, "/merge", s, 251) == expected[s]
    assert read_all(logs, "/other", "x") == [(base, f"x{i}") for i in range(5)]


# --- deletions --------------------------------------------------------------------------------


def test_deleted_stream_is_gone_and_purged_from_segments(server: OwlServer) -> None:
    logs = server.client()
    make_group(logs, "/del", ["victim", "keeper"])
    base = now_ms() - HOUR
    old = events("OLD", base, 500)
    keep = events("KEEP", base, 200)
    put(logs, "/del", "victim", old)
    put(logs, "/del", "keeper", keep)
    flush(server)
    old_ids = stream_ids_of(server, "OLD-")
    assert len(old_ids) == 1
    # More of the victim that only the memtable and the WAL hold when it is deleted.
    unflushed = events("UNFLUSHED", base + 1000, 100)
    put(logs, "/del", "victim", unflushed)

    logs.delete_log_stream(logGroupName="/del", logStreamName="victim")
    logs.create_log_stream(logGroupName="/del", logStreamName="victim")
    assert read_all(logs, "/del", "victim") == []
    fresh = logs.describe_log_streams(logGroupName="/del", logStreamNamePrefix="victim")
    stream = fresh["logStreams"][0]
    assert "firstEventTimestamp" not in stream and "lastEventTimestamp" not in stream
    new = events("NEW", base, 50)
    put(logs, "/del", "victim", new)
    assert read_all(logs, "/del", "victim") == new
    assert read_all(logs, "/del", "keeper") == keep

    def purged() -> bool:
        for _ in range(50):
            try:
                rows = query_segments(
                    server.data_dir,
                    segment_files(server),
                    "SELECT count(*) FROM seg WHERE stream_id IN "
                    f"({','.join(map(str, old_ids))}) OR starts_with(message, 'OLD-') "
                    "OR starts_with(message, 'UNFLUSHED-')",
                )
            except (FileNotFoundError, duckdb.IOException):  # a merge removed a file meanwhile
                time.sleep(0.1)
                continue
            return bool(rows[0][0] == 0)
        return False

    # The maintenance thread rewrites the segment without the deleted stream, unasked.
    wait_for("the deleted stream's rows to leave the segments", purged)
    assert read_all(logs, "/del", "victim") == new
    assert read_all(logs, "/del", "keeper") == keep
    # A restart must not bring the deleted events back from the write-ahead log (which still
    # holds the UNFLUSHED batch: nothing was flushed since), neither now nor after a flush.
    restart(server)
    logs = server.client()
    assert read_all(logs, "/del", "victim") == new
    assert read_all(logs, "/del", "keeper") == keep
    flush(server)
    assert purged()
    total = query_segments(server.data_dir, segment_files(server), "SELECT count(*) FROM seg")[0][0]
    assert total == len(new) + len(keep)


def test_deleted_group_loses_its_segment_files(server: OwlServer) -> None:
    logs = server.client()
    make_group(logs, "/doomed", ["s"])
    make_group(logs, "/survivor", ["s"])
    base = now_ms() - HOUR
    put(logs, "/doomed", "s", events("DOOMED", base, 300))
    put(logs, "/survivor", "s", events("SURV", base, 300))
    flush(server)
    put(logs, "/doomed", "s", events("DOOMED2", base + 1000, 300))
    flush(server)
    put(logs, "/doomed", "s", events("DOOMED3", base + 2000, 10))  # memtable only
    doomed, survivor = group_id_of(server, "DOOMED-"), group_id_of(server, "SURV-")
    assert len(segment_files(server, doomed)) == 2
    survivor_files = segment_files(server, survivor)
    assert len(survivor_files) == 1

    logs.delete_log_group(logGroupName="/doomed")
    wait_for("the deleted group's files to go", lambda: not segment_files(server, doomed), 5)
    assert not any(s["group_id"] == doomed for s in manifest(server)["segments"])
    assert segment_files(server, survivor) == survivor_files
    # Re-created under the same name, the group starts empty, even after a restart.
    make_group(logs, "/doomed", ["s"])
    assert read_all(logs, "/doomed", "s") == []
    restart(server)
    logs = server.client()
    assert read_all(logs, "/doomed", "s") == []
    flush(server)
    assert query_segments(
        server.data_dir,
        segment_files(server),
        "SELECT count(*) FROM seg WHERE starts_with(message, 'DOOMED')",
    ) == [(0,)]
    assert read_all(logs, "/survivor", "s") == events("SURV", base, 300)
