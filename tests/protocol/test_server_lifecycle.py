"""Running owl: one server per data directory, clean stops and restarts, /health, /metrics."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import OwlServer, free_port, start_server, wait_healthy
from tests.signing import call, send, signed_request


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def request_counts(server: OwlServer) -> dict[tuple[str, str, str], float]:
    """owl_requests_total by (service, operation, code)."""
    status, headers, body = get(server.endpoint + "/metrics")
    assert status == 200
    counts: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "owl_requests_total":
                labels = sample.labels
                counts[(labels["service"], labels["operation"], labels["code"])] = sample.value
    return counts


def server_log(server: OwlServer) -> str:
    return (server.data_dir.parent / f"owl-{server.port}.log").read_text()


# --- one data directory, one server -----------------------------------------------------------


def test_second_server_on_the_same_data_dir_refuses_to_start(owl_server: OwlServer) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "owl",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(free_port()),
            "--data-dir",
            str(owl_server.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"The data directory {owl_server.data_dir} is in use by another owl server." in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    # The first one is untouched.
    assert get(owl_server.endpoint + "/health")[0] == 200
    assert owl_server.process.poll() is None


# --- stop and restart -------------------------------------------------------------------------


def test_sigterm_stops_cleanly_and_a_restart_keeps_everything(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start_server(data_dir)
    try:
        logs = first.client()
        logs.create_log_group(logGroupName="/keep/me", tags={"team": "owl"})
        logs.create_log_stream(logGroupName="/keep/me", logStreamName="s1")
        logs.put_retention_policy(logGroupName="/keep/me", retentionInDays=7)
        credentials = (data_dir / "credentials").read_text()
    finally:
        code = first.stop(signal.SIGTERM)
    assert code == 0
    first_log = server_log(first)
    assert first_log.count("Created account") == 1
    assert "Traceback" not in first_log
    assert "Stopped" in first_log
    assert first.secret_access_key in first_log  # printed once, at first start

    second = start_server(data_dir)
    try:
        assert (data_dir / "credentials").read_text() == credentials
        assert (second.access_key_id, second.secret_access_key) == (
            first.access_key_id,
            first.secret_access_key,
        )
        logs = second.client()
        [group] = logs.describe_log_groups(logGroupNamePrefix="/keep/")["logGroups"]
        assert (group["logGroupName"], group["retentionInDays"]) == ("/keep/me", 7)
        streams = logs.describe_log_streams(logGroupName="/keep/me")["logStreams"]
        assert [s["logStreamName"] for s in streams] == ["s1"]
        assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {
            "team": "owl"
        }
        second_log = server_log(second)
        assert "Created account" not in second_log
        assert first.secret_access_key not in second_log
    finally:
        assert second.stop(signal.SIGTERM) == 0


def test_sigint_stops_cleanly_too(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    assert server.stop(signal.SIGINT) == 0
    assert "Stopped" in server_log(server)


# --- /health and /metrics ---------------------------------------------------------------------


def test_health_answers_without_auth(owl_server: OwlServer) -> None:
    status, headers, body = get(owl_server.endpoint + "/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def test_metrics_count_requests_per_operation(owl_server: OwlServer, unique_name: str) -> None:
    status, headers, body = get(owl_server.endpoint + "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    assert b"# TYPE owl_requests_total counter" in body

    key = ("logs", "CreateLogGroup", "200")
    before = request_counts(owl_server).get(key, 0.0)
    owl_server.client().create_log_group(logGroupName=unique_name)
    after = request_counts(owl_server)
    assert after[key] == before + 1

    _, _, text = get(owl_server.endpoint + "/metrics")
    line = next(
        line
        for line in text.decode().splitlines()
        if line.startswith("owl_requests_total{") and 'operation="CreateLogGroup"' in line
    )
    assert 'service="logs"' in line


def test_metrics_count_errors_by_code(owl_server: OwlServer, unique_name: str) -> None:
    key = ("logs", "DescribeLogStreams", "ResourceNotFoundException")
    before = request_counts(owl_server).get(key, 0.0)
    with pytest.raises(owl_server.client().exceptions.ResourceNotFoundException):
        owl_server.client().describe_log_streams(logGroupName=unique_name)
    assert request_counts(owl_server)[key] == before + 1


def test_metrics_labels_never_come_from_the_client(owl_server: OwlServer) -> None:
    """Unknown operation names, signed or not, must not become label values."""
    names = ["NoSuchOperation0001", "NoSuchOperation0002"]
    for name in names:
        send(owl_server.endpoint, {"X-Amz-Target": f"Logs_20140328.{name}"}, b"{}")
        send(owl_server.endpoint, {"X-Amz-Target": f"Bogus_1.{name}"}, b"{}")
        resp = call(
            owl_server.endpoint,
            name,
            access_key_id=owl_server.access_key_id,
            secret_access_key=owl_server.secret_access_key,
        )
        assert (resp.status, resp.error_type) == (400, "UnknownOperationException")
    _, _, body = get(owl_server.endpoint + "/metrics")
    for name in names:
        assert name.encode() not in body
    assert b"Bogus_1" not in body


# --- bad requests do not stop the server ------------------------------------------------------


def _raw_socket(server: OwlServer, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def _signed_call(server: OwlServer, operation: str, body: bytes) -> Any:
    request = signed_request(
        server.endpoint + "/",
        body,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        target=f"Logs_20140328.{operation}",
    )
    return send(server.endpoint, dict(request.headers.items()), body)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "SerializationException"),
        (b"[1, 2]", "SerializationException"),
        (b'"a string"', "SerializationException"),
        (b"\xff\xfe\x00garbage", "SerializationException"),
        (b'{"logGroupName": 12}', None),
        (b'{"logGroupName": {"nested": [1]}}', None),
        (b'{"logGroupName": "' + b"x" * 600 + b'"}', "InvalidParameterException"),
    ],
    ids=["bad-json", "list", "string", "binary", "number", "object", "too-long"],
)
def test_bad_bodies_get_aws_errors(owl_server: OwlServer, body: bytes, code: str | None) -> None:
    resp = _signed_call(owl_server, "CreateLogGroup", body)
    assert resp.status == 400, resp.body
    assert resp.headers.get("x-amzn-requestid")
    assert resp.error_type is not None
    if code is not None:
        assert resp.error_type == code


def test_server_keeps_serving_after_bad_requests(owl_server: OwlServer, unique_name: str) -> None:
    endpoint = owl_server.endpoint
    answers = [
        send(endpoint, {}, b""),  # no target, no auth
        send(endpoint, {"X-Amz-Target": "Logs_20140328"}, b"{}"),
        send(endpoint, {"X-Amz-Target": "."}, b"{}"),
        send(endpoint, {"X-Amz-Target": "Logs_20140328.CreateLogGroup"}, b"\x00" * 1000),
        send(endpoint, {"Content-Length": str(10**12)}, b"{}"),
        send(endpoint, {}, b"{}", method="PUT"),
        send(endpoint, {}, b"", method="GET", path="/"),
        send(endpoint, {}, b"", method="GET", path="/nowhere/" + "a" * 2000),
        send(
            endpoint,
            {
                "X-Amz-Target": "Logs_20140328.CreateLogGroup",
                "Authorization": "AWS4-HMAC-SHA256 Credential=" + "A/" * 5000,
            },
            b"{}",
        ),
    ]
    for resp in answers:
        assert resp.status < 500, (resp.status, resp.body)
        assert b"Traceback" not in resp.body
    assert answers[4].status == 413
    for junk in (b"NOT HTTP AT ALL\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b""):
        _raw_socket(owl_server, junk)
    assert get(endpoint + "/health")[0] == 200
    logs = owl_server.client()
    logs.create_log_group(logGroupName=unique_name)
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=unique_name)[
        "logGroups"
    ]] == [unique_name]  # fmt: skip
    assert owl_server.process.poll() is None


def test_settings_come_from_owl_environment_variables(tmp_path: Path) -> None:
    """OWL_* variables configure `owl serve` when no flag is given (README's promise)."""
    port = free_port()
    env = dict(os.environ, OWL_PORT=str(port), OWL_DATA_DIR=str(tmp_path / "d"), OWL_DEV="1")
    env["OWL_DEV_ACCOUNT_ID"] = "123456789012"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "owl", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(port, process)
        assert (tmp_path / "d" / "catalog.db").exists()
        assert "as account 123456789012" in log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0


def test_an_idle_keep_alive_connection_stays_open(owl_server: OwlServer) -> None:
    # uvicorn's default closes it after 5 s idle, and a client that reuses its connection
    # between batches (agents, SDK pools) then writes its next request into a closed socket.
    conn = http.client.HTTPConnection("127.0.0.1", owl_server.port, timeout=10)
    try:
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        assert response.status == 200 and not response.will_close
        first = conn.sock
        time.sleep(6.5)
        conn.request("GET", "/health")
        assert conn.getresponse().status == 200
        assert conn.sock is first  # the same socket, not a new connection
    finally:
        conn.close()
