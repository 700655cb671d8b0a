"""Encryption at rest, KMS keys of log groups, and what their states do to reads and writes.

Every test runs a private server (`--test-hooks`) so that it can flush, move the clock and run
the purge job, and so that its data directory holds only what the test wrote.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer, start_server
from tests.protocol.support import (
    account_of,
    error_of,
    hooked_server,
    logs_key,
    logs_key_policy,
    owl_hook,
)

DAY = 86_400_000
REGION = "us-east-1"
MARKER = "owl-at-rest-marker-7f3a9c"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwlServer]:
    yield from hooked_server(tmp_path)


def put(logs: Any, group: str, messages: list[str], stream: str = "s") -> None:
    now = int(time.time() * 1000)
    chunk: list[str] = []
    size = 0
    for m in [*messages, None]:
        if m is None or size + len(m) + 26 > 1_000_000 or len(chunk) == 10_000:
            if chunk:
                logs.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": now, "message": c} for c in chunk],
                )
            chunk, size = [], 0
        if m is not None:
            chunk.append(m)
            size += len(m) + 26


def read_all(logs: Any, group: str, stream: str = "s") -> list[str]:
    out: list[str] = []
    kw: dict[str, Any] = {"startFromHead": True}
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, **kw)
        out += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == kw.get("nextToken"):
            return out
        kw["nextToken"] = page["nextForwardToken"]


def insights(logs: Any, group: str, query: str) -> list[dict[str, str]]:
    now = int(time.time())
    qid = logs.start_query(
        logGroupName=group, startTime=now - 3600, endTime=now + 3600, queryString=query
    )["queryId"]
    for _ in range(1200):
        r = logs.get_query_results(queryId=qid)
        if r["status"] not in ("Scheduled", "Running"):
            assert r["status"] == "Complete", r
            return [{f["field"]: f["value"] for f in row} for row in r["results"]]
        time.sleep(0.05)
    raise AssertionError("query did not finish")


def new_group(server: OwlServer, name: str, kms_key: str | None = None) -> Any:
    logs = server.client()
    logs.create_log_group(logGroupName=name, **({"kmsKeyId": kms_key} if kms_key else {}))
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    return logs


def settle(server: OwlServer, quiet_s: float = 3.0) -> None:
    """Wait until the store's manifest stops changing and no segment is being written
    (flushes and merges are over)."""
    store = server.data_dir / "store"
    manifest = store / "MANIFEST.json"
    last, since = manifest.read_bytes(), time.monotonic()
    deadline = since + 180
    while time.monotonic() - since < quiet_s:
        assert time.monotonic() < deadline, "merges never settled"
        time.sleep(0.2)
        now = manifest.read_bytes()
        if now != last or any((store / "segments").glob("*.tmp")):
            last, since = now, time.monotonic()


def files_with(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


# -- Associations ---------------------------------------------------------------------------


def test_group_under_a_key_that_lets_logs_use_it(server: OwlServer) -> None:
    key = logs_key(server)
    logs = new_group(server, "/enc/ok", key)
    group = logs.describe_log_groups(logGroupNamePrefix="/enc/ok")["logGroups"][0]
    assert group["kmsKeyId"] == key
    put(logs, "/enc/ok", ["one", "two"])
    assert read_all(logs, "/enc/ok") == ["one", "two"]


def test_association_errors_are_the_ones_aws_gives(server: OwlServer) -> None:
    logs, kms = server.client(), server.client("kms")
    account = account_of(server)
    default_policy = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName="/enc/default", kmsKeyId=default_policy)
    code, message = error_of(exc)
    assert code == "AccessDeniedException"
    assert f"arn:aws:logs:{REGION}:{account}:log-group:/enc/default" in message

    missing = f"arn:aws:kms:{REGION}:{account}:key/00000000-0000-0000-0000-000000000000"
    disabled = logs_key(server)
    kms.disable_key(KeyId=disabled)
    for bad in (missing, disabled, "alias/mine", "not-an-arn"):
        with pytest.raises(ClientError) as exc:
            logs.create_log_group(logGroupName="/enc/bad", kmsKeyId=bad)
        assert error_of(exc)[0] == "InvalidParameterException", bad
    other_account = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName="/enc/bad", kmsKeyId=other_account)
    assert error_of(exc)[0] == "AccessDeniedException"
    assert logs.describe_log_groups(logGroupNamePrefix="/enc/")["logGroups"] == []


def test_policy_condition_on_the_group_arn_is_evaluated(server: OwlServer) -> None:
    logs, kms = server.client(), server.client("kms")
    policy = json.loads(logs_key_policy(account_of(server), REGION))
    arn_like = policy["Statement"][1]["Condition"]["ArnLike"]
    arn_like["kms:EncryptionContext:aws:logs:arn"] = arn_like[
        "kms:EncryptionContext:aws:logs:arn"
    ].replace("log-group:*", "log-group:/only/*")
    key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/only/this", kmsKeyId=key)
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName="/not/this", kmsKeyId=key)
    assert error_of(exc)[0] == "AccessDeniedException"


def test_associate_and_disassociate_affect_new_data_only(server: OwlServer) -> None:
    logs, kms = new_group(server, "/enc/assoc"), server.client("kms")
    put(logs, "/enc/assoc", ["plain-1"])
    first = logs_key(server)
    logs.associate_kms_key(logGroupName="/enc/assoc", kmsKeyId=first)
    group = logs.describe_log_groups(logGroupNamePrefix="/enc/assoc")["logGroups"][0]
    assert group["kmsKeyId"] == first
    put(logs, "/enc/assoc", ["under-first"])
    second = logs_key(server)
    account = account_of(server)
    logs.associate_kms_key(
        resourceIdentifier=f"arn:aws:logs:{REGION}:{account}:log-group:/enc/assoc",
        kmsKeyId=second,
    )
    put(logs, "/enc/assoc", ["under-second"])
    logs.disassociate_kms_key(logGroupName="/enc/assoc")
    group = logs.describe_log_groups(logGroupNamePrefix="/enc/assoc")["logGroups"][0]
    assert "kmsKeyId" not in group
    put(logs, "/enc/assoc", ["plain-2"])
    owl_hook(server, "flush")
    expected = ["plain-1", "under-first", "under-second", "plain-2"]
    assert read_all(logs, "/enc/assoc") == expected

    # The old data stays under the key that wrapped it: disabling that key blocks reads.
    kms.disable_key(KeyId=first)
    with pytest.raises(ClientError) as exc:
        read_all(logs, "/enc/assoc")
    assert error_of(exc)[0] == "AccessDeniedException"
    kms.enable_key(KeyId=first)
    assert read_all(logs, "/enc/assoc") == expected

    # The query-result form is checked like a group's (the policy must name query results).
    results = f"arn:aws:logs:{REGION}:{account}:query-result:*"
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(resourceIdentifier=results, kmsKeyId=second)
    assert error_of(exc)[0] == "AccessDeniedException"
    policy = logs_key_policy(account, REGION, "query-result:*")
    for_results = kms.create_key(Policy=policy)["KeyMetadata"]["Arn"]
    logs.associate_kms_key(resourceIdentifier=results, kmsKeyId=for_results)
    logs.disassociate_kms_key(resourceIdentifier=results)


def test_associate_errors(server: OwlServer) -> None:
    logs, kms = new_group(server, "/enc/errs"), server.client("kms")
    key = logs_key(server)
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(logGroupName="/enc/none", kmsKeyId=key)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(kmsKeyId=key)
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(
            logGroupName="/enc/errs",
            resourceIdentifier="arn:aws:logs:us-east-1:000000000000:log-group:/enc/errs",
            kmsKeyId=key,
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    default_policy = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(logGroupName="/enc/errs", kmsKeyId=default_policy)
    assert error_of(exc)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        logs.disassociate_kms_key(logGroupName="/enc/none")
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert (
        "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix="/enc/errs")["logGroups"][0]
    )


# -- Nothing in clear on disk ---------------------------------------------------------------


def test_no_trace_of_the_marker_on_disk(tmp_path: Path) -> None:
    """Messages carrying a marker are flushed, merged and grouped by a query far larger than
    DuckDB's memory (so that it spills); no file under the data directory or the server's
    working directory holds the marker, and the events read back whole."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    server = start_server(
        tmp_path / "data", "--test-hooks", env={"OWL_DUCKDB_MEMORY_MB": "256"}, cwd=cwd
    )
    try:
        key = logs_key(server)
        logs = new_group(server, "/enc/marker", key)
        new_group(server, "/enc/default")  # under the service's master key
        filler = "x" * 300
        messages = [f"{MARKER} {i:06d} {filler}" for i in range(600_000)]
        put(logs, "/enc/default", [f"{MARKER} default {i}" for i in range(1000)])
        for i in range(0, len(messages), 60_000):  # segments of ~20 MB, then merged
            put(logs, "/enc/marker", messages[i : i + 60_000])
            owl_hook(server, "flush")
        settle(server)  # background merges done: the query has DuckDB's memory to itself

        tmp = server.data_dir / "store" / "tmp"
        spilled: list[Path] = []
        marked: list[Path] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                for p in tmp.rglob("*") if tmp.exists() else []:
                    try:
                        data = p.read_bytes()
                    except OSError:
                        continue
                    if p not in spilled:
                        spilled.append(p)
                    if MARKER.encode() in data:
                        marked.append(p)
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            # Grouping 200 MB of distinct messages under 256 MB of DuckDB memory spills.
            rows = insights(logs, "/enc/marker", "stats count(*) as n by @message | sort n desc")
        finally:
            done.set()
            watcher.join()
        known = set(messages)
        assert len(rows) == 10_000
        assert all(r["@message"] in known and r["n"] == "1" for r in rows)
        assert spilled, "the query did not spill: raise the event count"
        assert marked == []
        server.stop()
        needle = MARKER.encode()
        assert files_with(server.data_dir, needle) == []
        assert files_with(cwd, needle) == []

        server = start_server(server.data_dir, "--test-hooks", cwd=cwd)
        logs = server.client()
        assert read_all(logs, "/enc/marker") == messages
        assert len(read_all(logs, "/enc/default")) == 1000
    finally:
        server.stop()


# -- Key states -----------------------------------------------------------------------------


def expect_denied(fn: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as exc:
        fn(**kw)
    code, message = error_of(exc)
    assert code == "AccessDeniedException", (code, message)
    return message


def test_disabled_key_blocks_reads_and_writes_until_enabled(server: OwlServer) -> None:
    key = logs_key(server)
    logs, kms = new_group(server, "/enc/states", key), server.client("kms")
    put(logs, "/enc/states", ["before-flush"])
    owl_hook(server, "flush")
    put(logs, "/enc/states", ["in-memtable"])
    kms.disable_key(KeyId=key)
    now = int(time.time() * 1000)
    message = expect_denied(
        logs.put_log_events,
        logGroupName="/enc/states",
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "refused"}],
    )
    assert key in message and "disabled" in message
    expect_denied(logs.get_log_events, logGroupName="/enc/states", logStreamName="s")
    expect_denied(logs.filter_log_events, logGroupName="/enc/states")
    expect_denied(
        logs.start_query,
        logGroupName="/enc/states",
        startTime=now // 1000 - 60,
        endTime=now // 1000 + 60,
        queryString="fields @message",
    )
    expect_denied(logs.get_log_group_fields, logGroupName="/enc/states")
    # Metadata stays readable, as in AWS.
    assert logs.describe_log_streams(logGroupName="/enc/states")["logStreams"]

    kms.enable_key(KeyId=key)
    put(logs, "/enc/states", ["after-enable"])
    assert read_all(logs, "/enc/states") == ["before-flush", "in-memtable", "after-enable"]
    rows = insights(logs, "/enc/states", "fields @message | sort @message asc")
    assert [r["@message"] for r in rows] == ["after-enable", "before-flush", "in-memtable"]


def test_deleted_key_shreds_its_data_and_the_server_serves_the_rest(server: OwlServer) -> None:
    key = logs_key(server)
    logs, kms = new_group(server, "/enc/doomed", key), server.client("kms")
    new_group(server, "/enc/kept", logs_key(server))
    new_group(server, "/enc/plain")
    for group in ("/enc/doomed", "/enc/kept", "/enc/plain"):
        put(logs, group, [f"{group} {i}" for i in range(100)])
    owl_hook(server, "flush")
    put(logs, "/enc/doomed", ["doomed in memtable"])
    segments = server.data_dir / "store" / "segments"
    before = len(list(segments.glob("*.parquet")))

    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    expect_denied(logs.filter_log_events, logGroupName="/enc/doomed")
    owl_hook(server, "clock", {"advance_ms": 8 * DAY})
    owl_hook(server, "retention")  # the purge job: the key's deletion completes
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key)
    assert error_of(exc)[0] == "NotFoundException"

    assert len(list(segments.glob("*.parquet"))) == before - 1
    # The group is still associated with the deleted key: writes and reads fail and say why.
    message = expect_denied(
        logs.put_log_events,
        logGroupName="/enc/doomed",
        logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "x"}],
    )
    assert "deleted" in message
    assert "deleted" in expect_denied(
        logs.get_log_events, logGroupName="/enc/doomed", logStreamName="s"
    )
    assert "deleted" in expect_denied(logs.filter_log_events, logGroupName="/enc/doomed")
    # Other groups are served as before.
    for group in ("/enc/kept", "/enc/plain"):
        assert read_all(logs, group) == [f"{group} {i}" for i in range(100)]
    # Moving the group to a new key makes it writable again; the old data stays gone.
    logs.associate_kms_key(logGroupName="/enc/doomed", kmsKeyId=logs_key(server))
    put(logs, "/enc/doomed", ["fresh"])
    assert read_all(logs, "/enc/doomed") == ["fresh"]

    server.stop()
    server2 = start_server(server.data_dir, "--test-hooks")
    try:
        logs = server2.client()
        assert read_all(logs, "/enc/doomed") == ["fresh"]
        assert read_all(logs, "/enc/kept") == [f"/enc/kept {i}" for i in range(100)]
    finally:
        server2.stop()
    log = (server.data_dir.parent / f"owl-{server.port}.log").read_text()
    log += (server.data_dir.parent / f"owl-{server2.port}.log").read_text()
    assert "Traceback" not in log
