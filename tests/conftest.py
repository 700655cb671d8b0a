"""Shared fixtures: live owl servers on 127.0.0.1, started as real subprocesses."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OwlServer:
    """A running `owl serve` and what a client needs to reach it."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    access_key_id: str = ""
    secret_access_key: str = ""
    account_id: str = ""
    extra_args: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str = "logs", *, region: str = REGION, **kw: Any) -> Any:
        """A boto3 client with retries off, so tests see every error as it is sent."""
        kw.setdefault("aws_access_key_id", self.access_key_id or "testing")
        kw.setdefault("aws_secret_access_key", self.secret_access_key or "testing")
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            **kw,
        )

    def aws_env(self) -> dict[str, str]:
        """Environment for the aws CLI pointed at this server."""
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key_id or "testing",
            AWS_SECRET_ACCESS_KEY=self.secret_access_key or "testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_MAX_ATTEMPTS="1",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        env.pop("AWS_PROFILE", None)
        return env

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"owl serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("owl serve did not become healthy")


def start_server(
    data_dir: Path,
    *args: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> OwlServer:
    """Start `owl serve` on a free port of 127.0.0.1 and wait until /health answers
    (`env` adds OWL_* settings to the environment; `cwd` is the server's working directory)."""
    port = port or free_port()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(data_dir.parent / f"owl-{port}.log", "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "owl",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    wait_healthy(port, process)
    server = OwlServer(data_dir=data_dir, port=port, process=process, extra_args=list(args))
    creds = data_dir / "credentials"
    if creds.exists():
        cp = configparser.ConfigParser()
        cp.read(creds)
        server.access_key_id = cp["default"]["aws_access_key_id"]
        server.secret_access_key = cp["default"]["aws_secret_access_key"]
    return server


@pytest.fixture(scope="session")
def owl_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwlServer]:
    """One authenticated owl server for the whole session."""
    data_dir = tmp_path_factory.mktemp("owl") / "data"
    server = start_server(data_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def logs(owl_server: OwlServer) -> Any:
    """A boto3 logs client signed with the server's root key."""
    return owl_server.client("logs")


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A log group name no other test uses (tests share one server)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
    return f"/owl-test/{safe}/{time.monotonic_ns()}"[:500]
