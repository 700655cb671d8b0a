"""`owl query` as a user runs it: `python -m owl query …` in a subprocess against a live server.

Three JSON events in two streams, 40 minutes old when loaded (inside the default `--since 1h`,
outside `--since 30m`), are printed as a table, JSON and CSV and compared whole; a group whose
query runs until stopped (three `unnest` of a 300-element list) covers a query stopped by
someone else and Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OwlServer, start_server
from tests.protocol.test_insights_support import Event, load, timestamp

MESSAGES = [
    '{"level":"info","path":"/a","ms":12}',
    '{"level":"error","path":"/b","ms":250,"error":"boom, again"}',
    '{"level":"info","path":"/a","ms":7}',
]
FIELDS = "fields @timestamp, level, path, ms, error | sort @timestamp asc"
SLOW = (
    "fields jsonParse(@message) as a | unnest a into x | unnest a into y | unnest a into z"
    " | stats count(*) as n"
)


def t0() -> int:
    """40 minutes ago in epoch ms, taken when data is loaded: `--since 1h` (the default) is
    measured from when the command runs, which may be long after this module was imported."""
    return (int(time.time()) - 40 * 60) * 1000


@dataclass(frozen=True)
class Group:
    name: str
    events: list[Event]

    @property
    def shown(self) -> list[str]:
        """The events' @timestamp as results print it."""
        return [timestamp(e.ts) for e in self.events]


def _env(base: dict[str, str]) -> dict[str, str]:
    """No credentials beyond what `base` says, no instance metadata, a fixed terminal width."""
    env = {k: v for k, v in base.items() if k not in ("FORCE_COLOR", "AWS_PROFILE")}
    env.update(AWS_EC2_METADATA_DISABLED="true", COLUMNS="100")
    return env


def run(
    server: OwlServer, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`owl query ARGS` against `server`, signed with its root key from the environment."""
    return subprocess.run(
        [sys.executable, "-m", "owl", "query", *args, "--endpoint-url", server.endpoint],
        env=_env(server.aws_env()) if env is None else env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def group(owl_server: OwlServer) -> Group:
    start = t0()
    events = [
        Event(f"web-{1 + i // 2}", start + 1_000 * (i + 1), m) for i, m in enumerate(MESSAGES)
    ]
    return Group(
        load(owl_server.client("logs"), f"/owl-test/cli-query/{uuid.uuid4()}", events), events
    )


@pytest.fixture(scope="module")
def slow(owl_server: OwlServer) -> str:
    start = t0()
    events = [Event("slow", start + i, json.dumps(list(range(300)))) for i in range(3)]
    return load(owl_server.client("logs"), f"/owl-test/cli-query-slow/{uuid.uuid4()}", events)


def test_table_has_a_column_per_field_in_order_of_first_appearance(
    owl_server: OwlServer, group: Group
) -> None:
    done = run(owl_server, FIELDS, "--group", group.name)
    t1, t2, t3 = group.shown
    assert done.returncode == 0, done.stderr
    assert [line.rstrip() for line in done.stdout.splitlines()] == [
        "@timestamp                level   path   ms    error",
        "─" * 58,
        f"{t1}   info    /a     12",
        f"{t2}   error   /b     250   boom, again",
        f"{t3}   info    /a     7",
    ]
    assert done.stderr.splitlines()[-1] == "3 rows; 3 records matched of 3 scanned"


def test_table_prints_values_as_text_not_markup(owl_server: OwlServer, unique_name: str) -> None:
    load(owl_server.client("logs"), unique_name, [Event("s", t0(), '{"tag":"[bold]x[/bold]"}')])
    done = run(owl_server, "fields tag", "-g", unique_name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[2].strip() == "[bold]x[/bold]"


def test_json_is_a_list_of_objects_without_ptr(owl_server: OwlServer, group: Group) -> None:
    done = run(owl_server, FIELDS, "--group", group.name, "--output", "json")
    t1, t2, t3 = group.shown
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"@timestamp": t1, "level": "info", "path": "/a", "ms": "12"},
        {"@timestamp": t2, "level": "error", "path": "/b", "ms": "250", "error": "boom, again"},
        {"@timestamp": t3, "level": "info", "path": "/a", "ms": "7"},
    ]


def test_with_ptr_keeps_pointers_that_get_log_record_reads(
    owl_server: OwlServer, logs: Any, group: Group
) -> None:
    args = ("fields @message | sort @timestamp asc", "-g", group.name, "-o", "json")
    done = run(owl_server, *args)
    with_ptr = run(owl_server, *args, "--with-ptr")
    assert with_ptr.returncode == 0, with_ptr.stderr
    rows = json.loads(with_ptr.stdout)
    pointers = [r.pop("@ptr") for r in rows]
    assert rows == json.loads(done.stdout) == [{"@message": e.message} for e in group.events]
    records = [logs.get_log_record(logRecordPointer=p)["logRecord"]["@message"] for p in pointers]
    assert records == [e.message for e in group.events]


def test_csv_has_a_header_and_quotes_as_csv_does(owl_server: OwlServer, group: Group) -> None:
    done = run(owl_server, FIELDS, "--group", group.name, "--output", "csv")
    t1, t2, t3 = group.shown
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "@timestamp,level,path,ms,error\n"
        f"{t1},info,/a,12,\n"
        f'{t2},error,/b,250,"boom, again"\n'
        f"{t3},info,/a,7,\n"
    )


def test_stats_query(owl_server: OwlServer, group: Group) -> None:
    query = "stats count(*) as n, avg(ms) as mean, max(ms) as top by level | sort level asc"
    done = run(owl_server, query, "--group", group.name, "-o", "csv")
    assert done.returncode == 0, done.stderr
    # avg is a double, printed as Java does (spec 4.5): 250.0
    assert done.stdout == "level,n,mean,top\nerror,1,250.0,250\ninfo,2,9.5,12\n"


def test_limit_and_several_groups(owl_server: OwlServer, logs: Any, group: Group) -> None:
    before = group.events[0].ts - 1_000
    other = load(logs, f"/owl-test/cli-query-other/{uuid.uuid4()}", [Event("s", before, "other")])
    query = "fields @message | sort @timestamp asc"
    both = run(owl_server, query, "-g", group.name, "-g", other, "-o", "json")
    assert both.returncode == 0, both.stderr
    assert [r["@message"] for r in json.loads(both.stdout)] == ["other"] + [
        e.message for e in group.events
    ]
    capped = run(owl_server, query, "-g", group.name, "-g", other, "-o", "json", "--limit", "2")
    assert [r["@message"] for r in json.loads(capped.stdout)] == ["other", group.events[0].message]


def test_rows_past_the_first_page_of_results_are_fetched(
    owl_server: OwlServer, logs: Any, unique_name: str
) -> None:
    load(logs, unique_name, [Event("s", t0() + i, f"line {i}") for i in range(10_001)])
    done = run(owl_server, "fields @message", "-g", unique_name, "-o", "csv", "--limit", "10001")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1 + 10_001  # GetQueryResults pages hold 10,000
    assert done.stderr.splitlines()[-1] == "10,001 rows; 10,001 records matched of 10,001 scanned"


def test_no_rows_print_nothing_but_an_empty_json_list(owl_server: OwlServer, group: Group) -> None:
    for output, printed in (("table", ""), ("csv", ""), ("json", "[]\n")):
        done = run(owl_server, "filter level = 'none'", "-g", group.name, "-o", output)
        assert (done.returncode, done.stdout) == (0, printed), done.stderr
        assert done.stderr.splitlines()[-1] == "0 rows; 0 records matched of 3 scanned"


def test_since_and_until_select_the_time_range(owl_server: OwlServer, group: Group) -> None:
    def messages(*args: str) -> list[str]:
        done = run(owl_server, "fields @message | sort @timestamp asc", "-g", group.name, *args)
        assert done.returncode == 0, done.stderr
        return [r["@message"] for r in json.loads(done.stdout or "[]")]

    assert messages("-o", "json") == [e.message for e in group.events]  # the default: the past hour
    assert messages("-o", "json", "--since", "30m") == []
    assert messages("-o", "json", "--since", "2h", "--until", "1m") == [
        e.message for e in group.events
    ]
    second = group.events[1].ts // 1000
    iso = datetime.fromtimestamp(second, UTC).isoformat()  # …+00:00, through its last ms
    assert messages("-o", "json", "--since", str(second), "--until", iso) == [
        group.events[1].message
    ]
    bad = run(owl_server, "fields @message", "-g", group.name, "--since", "yesterday")
    assert bad.returncode == 2
    assert "Invalid value for --since" in bad.stderr


def test_malformed_query_shows_a_caret_under_the_span_and_exits_2(
    owl_server: OwlServer, group: Group
) -> None:
    done = run(owl_server, "fields level\n| stats count(*) by nosuch(level)", "-g", group.name)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "owl: MalformedQueryException: 'nosuch' is not a known function",
        "| stats count(*) by nosuch(level)",
        "                    ^^^^^^",
    ]
    at_end = run(owl_server, "fields level | filter (", "-g", group.name)
    assert at_end.returncode == 2
    assert at_end.stderr.splitlines()[-2:] == ["fields level | filter (", " " * 23 + "^"]


def test_unknown_group_exits_1_with_the_message(owl_server: OwlServer, group: Group) -> None:
    done = run(owl_server, "fields @message", "-g", group.name, "-g", "/owl-test/no/such/group")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "ResourceNotFoundException: Log group '/owl-test/no/such/group' does not exist" in (
        done.stderr
    )


def _running_query(logs: Any, group: str, process: subprocess.Popen[str]) -> str:
    """The id of the query `process` started on `group`, once it is Running."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        running = logs.describe_queries(logGroupName=group, status="Running")["queries"]
        if running:
            return str(running[0]["queryId"])
        time.sleep(0.05)
    raise AssertionError("owl query did not start a query")


@pytest.fixture
def start(owl_server: OwlServer) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `owl query ARGS` in the background; whatever is still running is killed after."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "owl", "query", *args, "--endpoint-url", owl_server.endpoint],
            env=_env(owl_server.aws_env()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_a_query_cancelled_elsewhere_exits_1_with_its_status(
    start: Callable[..., subprocess.Popen[str]], logs: Any, slow: str
) -> None:
    process = start(SLOW, "-g", slow)
    query_id = _running_query(logs, slow, process)
    logs.stop_query(queryId=query_id)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert (out, err.strip()) == ("", f"owl: query {query_id} Cancelled")


def test_ctrl_c_stops_the_query_and_exits_130(
    start: Callable[..., subprocess.Popen[str]], logs: Any, slow: str
) -> None:
    # Sent as soon as the server runs the query, so usually before the command has StartQuery's
    # answer: the command holds it until it has the id to stop.
    process = start(SLOW, "-g", slow)
    query_id = _running_query(logs, slow, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    deadline = time.monotonic() + 10
    while logs.get_query_results(queryId=query_id)["status"] == "Running":
        assert time.monotonic() < deadline, "the query kept running after Ctrl-C"
        time.sleep(0.05)
    assert logs.get_query_results(queryId=query_id)["status"] == "Cancelled"


def _no_credentials() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return _env(env)


def test_credentials_come_from_the_data_dir_when_the_chain_has_none(
    owl_server: OwlServer, group: str, tmp_path: Path
) -> None:
    args = ("stats count(*) as n", "-g", group.name, "-o", "csv")
    env = _no_credentials()
    found = run(owl_server, *args, "--data-dir", str(owl_server.data_dir), env=env, cwd=tmp_path)
    assert (found.returncode, found.stdout) == (0, "n\n3\n"), found.stderr
    none = run(owl_server, *args, "--data-dir", str(tmp_path), env=env, cwd=tmp_path)
    assert none.returncode == 2
    assert "owl: no credentials" in none.stderr
    # The chain wins over the data directory: a wrong key in the environment is refused.
    wrong = dict(env, AWS_ACCESS_KEY_ID="AKIAWRONG", AWS_SECRET_ACCESS_KEY="wrong")
    refused = run(owl_server, *args, "--data-dir", str(owl_server.data_dir), env=wrong)
    assert refused.returncode == 1
    assert refused.stderr.startswith("owl: UnrecognizedClientException"), refused.stderr


def test_dev_sends_dummy_credentials_to_a_dev_server(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--dev")
    try:
        load(server.client("logs"), "/dev/app", [Event("s", t0(), "hello")])
        args = ("stats count(*) as n", "-g", "/dev/app", "-o", "csv")
        env = _no_credentials()
        assert run(server, *args, env=env, cwd=tmp_path).returncode == 2
        for extra, more_env in ((["--dev"], {}), ([], {"OWL_DEV": "1"})):
            done = run(server, *args, *extra, env=dict(env, **more_env), cwd=tmp_path)
            assert (done.returncode, done.stdout) == (0, "n\n1\n"), done.stderr
    finally:
        server.stop()
