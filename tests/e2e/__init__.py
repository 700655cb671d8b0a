"""End-to-end durability tests: real `owl serve` processes, killed, faulted and restarted.

Helpers shared by the modules of this package: a `Node` that owns one data directory and the
servers started on it (always on the same port, so restarts look like one server to clients),
the test hooks (`/_owl/flush`, `/_owl/faults`) and a complete read of a stream.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import REGION, OwlServer, start_server

HOOKS = "--test-hooks"


class Node:
    """One data directory and the server currently running on it (if any)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port: int | None = None
        self.server: OwlServer | None = None
        self.starts = 0

    def start(self) -> OwlServer:
        assert self.server is None or self.server.process.poll() is not None
        self.server = start_server(self.data_dir, HOOKS, port=self.port)
        self.port = self.server.port
        self.starts += 1
        return self.server

    def kill(self, sig: int = signal.SIGKILL) -> int:
        """Stop the server (SIGKILL by default: no shutdown code runs)."""
        assert self.server is not None
        return self.server.stop(sig)

    def restart(self, sig: int = signal.SIGKILL) -> OwlServer:
        self.kill(sig)
        return self.start()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop(signal.SIGKILL)

    @property
    def live(self) -> OwlServer:
        assert self.server is not None and self.server.process.poll() is None, "server is down"
        return self.server

    def client(self, read_timeout: float = 60) -> Any:
        """A logs client that really never retries (one attempt, whatever the error).

        Its own botocore session, so that threads can build clients concurrently. (`OwlServer.
        client` sets `max_attempts: 1`, which botocore reads as one *retry*.)
        """
        server = self.live
        return boto3.session.Session().client(
            "logs",
            endpoint_url=server.endpoint,
            region_name=REGION,
            aws_access_key_id=server.access_key_id,
            aws_secret_access_key=server.secret_access_key,
            config=Config(
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=read_timeout,
            ),
        )

    def log_text(self) -> str:
        return (self.data_dir.parent / f"owl-{self.port}.log").read_text(errors="replace")

    # -- test hooks ------------------------------------------------------------------------

    def hook(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.live.endpoint}/_owl/{name}",
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            result: dict[str, Any] = json.loads(response.read())
            return result

    def flush(self) -> dict[str, Any]:
        return self.hook("flush")

    def faults(self, *, fsync_failures: int | None = None, disk_full: bool | None = None) -> None:
        body: dict[str, Any] = {}
        if fsync_failures is not None:
            body["fsync_failures"] = fsync_failures
        if disk_full is not None:
            body["disk_full"] = disk_full
        self.hook("faults", body)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def read_stream(client: Any, group: str, stream: str, max_pages: int = 10_000) -> list[Any]:
    """Every event of a stream, oldest first: forward pages until the token repeats."""
    events: list[Any] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream}
    response = client.get_log_events(startFromHead=True, **kwargs)
    for _ in range(max_pages):
        events.extend(response["events"])
        token = response["nextForwardToken"]
        response = client.get_log_events(nextToken=token, **kwargs)
        if response["nextForwardToken"] == token:
            assert response["events"] == [], "a page that repeats its token must be empty"
            return events
    raise AssertionError(f"GetLogEvents did not reach the end in {max_pages} pages")


def messages(client: Any, group: str, stream: str) -> list[str]:
    return [e["message"] for e in read_stream(client, group, stream)]
