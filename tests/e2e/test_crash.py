"""Crash consistency: clients ingest without pause while the server is SIGKILLed and restarted.

Client threads (each with its own boto3 client, retries off) put batches of uniquely numbered
events into a few shared streams and record what the server answered for every batch. The
server is killed with SIGKILL ten times at random points (a forced flush runs in some cycles,
and in some the kill lands in the middle of one), and restarted on the same data directory.
At the end every stream is read back from the head, and:

- every event of a batch that got HTTP 200 is there, exactly once;
- no event is there twice, and nothing is there that no client sent;
- a batch that got an error response is absent; one whose answer was lost to the kill
  (connection reset) is there completely or not at all;
- each stream reads in timestamp order, with the timestamps and order the client sent;
- a final flush and clean restart (everything read from segments) reads the same.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from tests.e2e import Node, now_ms, read_stream

GROUP = "/e2e/crash"
STREAMS = ["alpha", "beta", "gamma"]
CLIENTS = 4
CYCLES = 10


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node(tmp_path / "data")
    n.start()
    try:
        yield n
    finally:
        n.close()


@dataclass
class Sent:
    """One PutLogEvents call and what its client learned about it."""

    client: int
    number: int
    stream: str
    cycle: int
    events: list[tuple[int, str]]  # (timestamp, message)
    outcome: str = "pending"  # ok | error:<code> | refused (no connection) | lost


@dataclass
class Writer:
    """A client thread: puts batches until told to stop, keeps every outcome."""

    index: int
    client: Any
    rng: random.Random
    stop: threading.Event
    up: threading.Event  # clear while the server is down: no point in knocking
    cycle: list[int]  # shared, [current cycle]
    sent: list[Sent] = field(default_factory=list)
    crashed: BaseException | None = None

    def run(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # surfaced by the test, not lost in a thread
            self.crashed = e

    def _loop(self) -> None:
        number = 0
        while not self.stop.is_set():
            if not self.up.wait(0.2):
                continue
            number += 1
            stream = STREAMS[(self.index + number) % len(STREAMS)]
            size = self.rng.choice([1, 2, 5, 20, 50, 200])
            base = now_ms()
            events = [
                (
                    base + j // 4,  # a few events share a millisecond
                    f"c{self.index}:b{number}:e{j}:" + "x" * self.rng.randint(0, 120),
                )
                for j in range(size)
            ]
            s = Sent(self.index, number, stream, self.cycle[0], events)
            self.sent.append(s)
            try:
                self.client.put_log_events(
                    logGroupName=GROUP,
                    logStreamName=stream,
                    logEvents=[{"timestamp": t, "message": m} for t, m in events],
                )
                s.outcome = "ok"
            except ClientError as e:
                s.outcome = "error:" + e.response["Error"]["Code"]
            except EndpointConnectionError:
                s.outcome = "refused"  # server down: the request never left
                time.sleep(0.05)
            except Exception:  # connection reset / closed / timed out: the answer was lost
                s.outcome = "lost"
                time.sleep(0.02)


def kill_during_flush(node: Node, rng: random.Random) -> None:
    """Start a forced flush and SIGKILL the server while it (probably) runs."""

    def flush() -> None:
        try:
            node.flush()
        except Exception:
            pass  # killed under it, as intended

    t = threading.Thread(target=flush)
    t.start()
    time.sleep(rng.uniform(0.0, 0.15))
    node.kill()
    t.join(30)


@pytest.mark.timeout(240)
def test_acknowledged_events_survive_repeated_sigkill(node: Node) -> None:
    seed = int(os.environ.get("OWL_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    why = f"(OWL_CRASH_SEED={seed}, data dir {node.data_dir})"
    setup = node.client()
    setup.create_log_group(logGroupName=GROUP)
    for s in STREAMS:
        setup.create_log_stream(logGroupName=GROUP, logStreamName=s)

    stop = threading.Event()
    up = threading.Event()
    up.set()
    cycle = [0]
    writers = [
        Writer(i, node.client(read_timeout=20), random.Random(rng.random()), stop, up, cycle)
        for i in range(CLIENTS)
    ]
    threads = [threading.Thread(target=w.run, name=f"writer-{w.index}") for w in writers]
    for t in threads:
        t.start()
    try:
        for c in range(CYCLES):
            cycle[0] = c
            ingest = rng.uniform(0.8, 1.5)
            kind = ("plain", "flush_then_kill", "kill_in_flush")[c % 3]
            if kind == "flush_then_kill":
                time.sleep(ingest / 2)
                node.flush()
                time.sleep(ingest / 2)
                up.clear()  # requests in flight now are cut by the kill
                node.kill()
            elif kind == "kill_in_flush":
                time.sleep(ingest)
                up.clear()
                kill_during_flush(node, rng)
            else:
                time.sleep(ingest)
                up.clear()
                node.kill()
            node.start()
            up.set()
        time.sleep(0.5)  # the last cycle ingests into the restarted server
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    for w, t in zip(writers, threads, strict=True):
        assert not t.is_alive(), f"writer {w.index} hangs"
        assert w.crashed is None, f"writer {w.index} failed: {w.crashed!r}"

    sent = [s for w in writers for s in w.sent]
    outcomes = Counter(s.outcome for s in sent)
    acked_cycles = Counter(s.cycle for s in sent if s.outcome == "ok")
    summary = f"{why} outcomes={dict(outcomes)} acked per cycle={dict(acked_cycles)}"
    assert set(acked_cycles) == set(range(CYCLES)), f"a cycle acknowledged nothing {summary}"
    assert outcomes["ok"] >= 100, summary
    errors = [o for o in outcomes if o.startswith("error:")]
    assert not errors, f"the server answered errors, no fault was injected {summary}"

    logs = node.client()
    first_read = {s: read_stream(logs, GROUP, s) for s in STREAMS}
    check(first_read, sent, summary)

    # Everything into segments, then a clean stop: the same events in the same order.
    node.flush()
    node.restart(signal.SIGTERM)
    logs = node.client()
    second_read = {s: read_stream(logs, GROUP, s) for s in STREAMS}
    for s in STREAMS:
        assert second_read[s] == first_read[s], f"stream {s} reads differently after flush {why}"
    assert "Traceback" not in node.log_text()


def check(read: dict[str, list[Any]], sent: list[Sent], summary: str) -> None:
    by_message: dict[str, tuple[Sent, int]] = {}
    for s in sent:
        for t, m in s.events:
            by_message[m] = (s, t)
    counts = Counter(e["message"] for events in read.values() for e in events)
    twice = [m for m, n in counts.items() if n > 1]
    assert not twice, f"{len(twice)} events read more than once, e.g. {twice[:3]} {summary}"
    for stream, events in read.items():
        # Order: by timestamp; events of one batch in the order they were sent.
        stamps = [e["timestamp"] for e in events]
        assert stamps == sorted(stamps), f"stream {stream} is out of timestamp order {summary}"
        position: dict[tuple[int, int], int] = {}
        for e in events:
            origin = by_message.get(e["message"])
            assert origin is not None, f"{e['message']!r} was never sent {summary}"
            s, t = origin
            assert s.stream == stream, f"{e['message']!r} read from {stream}, sent to {s.stream}"
            assert e["timestamp"] == t, f"{e['message']!r} has timestamp {e['timestamp']} != {t}"
            j = int(e["message"].split(":")[2][1:])
            key = (s.client, s.number)
            assert j > position.get(key, -1), f"{e['message']!r} out of batch order {summary}"
            position[key] = j

    missing: list[str] = []
    partial: list[str] = []
    for s in sent:
        present = sum(1 for _, m in s.events if m in counts)
        if s.outcome == "ok" and present < len(s.events):
            missing.append(f"c{s.client}:b{s.number} ({len(s.events) - present} events)")
        elif s.outcome in ("refused", "pending") or s.outcome.startswith("error:"):
            assert present == 0, (
                f"batch c{s.client}:b{s.number} was refused ({s.outcome}) "
                f"but {present} of its events are stored {summary}"
            )
        elif 0 < present < len(s.events):
            partial.append(f"c{s.client}:b{s.number} ({present}/{len(s.events)})")
    assert not missing, f"acknowledged batches lost events: {missing[:10]} {summary}"
    assert not partial, f"batches stored in part: {partial[:10]} {summary}"
