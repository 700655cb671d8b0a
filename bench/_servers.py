"""Servers under test: owl and moto, each a fresh process on a free port of 127.0.0.1.

A `Server` knows its endpoint, the credentials a client needs, the server process (for CPU
and memory readings with psutil) and, for owl, its data directory.
"""

from __future__ import annotations

import configparser
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psutil
from botocore.config import Config

REGION = "us-east-1"
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60.0


@dataclass
class Server:
    kind: str  # "owl" | "moto"
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path | None = None
    access_key_id: str = "testing"
    secret_access_key: str = "testing"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(server: Server, *, validate: bool = False) -> Any:
    """A boto3 logs client: retries off; client-side parameter validation off by default.

    botocore validates every member of every event in Python; that is client CPU, not server
    work, and on a small machine it would compete with the server being measured.
    """
    return boto3.client(
        "logs",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            parameter_validation=validate,
            connect_timeout=10,
            read_timeout=900,
        ),
    )


def start_owl(data_dir: Path, *, fsync: bool = True) -> Server:
    """`owl serve` with --test-hooks (for POST /_owl/flush), authenticating with the root key."""
    port = free_port()
    args = ["-m", "owl", "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--data-dir", str(data_dir), "--test-hooks", "--log-level", "warning"]
    if not fsync:
        args.append("--no-fsync")
    log_path = data_dir.parent / f"owl-{port}.log"
    server = Server("owl", port, _spawn([sys.executable, *args], log_path), log_path, data_dir)
    _wait_ready(server, "/health", "GET")
    creds = configparser.ConfigParser()
    creds.read(data_dir / "credentials")
    server.access_key_id = creds["default"]["aws_access_key_id"]
    server.secret_access_key = creds["default"]["aws_secret_access_key"]
    return server


def start_moto(work_dir: Path) -> Server:
    port = free_port()
    log_path = work_dir / f"moto-{port}.log"
    cmd = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    server = Server("moto", port, _spawn(cmd, log_path), log_path)
    _wait_ready(server, "/moto-api/", "GET")
    return server


def _spawn(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_ready(server: Server, path: str, method: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.kind} exited with {server.process.returncode}; see {server.log_path}"
            )
        try:
            request = urllib.request.Request(server.endpoint + path, method=method)
            with urllib.request.urlopen(request, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    stop(server)
    raise TimeoutError(f"{server.kind} did not answer within {START_TIMEOUT_S:.0f} s")


def stop(server: Server, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time. Safe to call twice."""
    proc = server.process
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """user + system CPU of the process and of its children (live and reaped)."""
    proc = psutil.Process(pid)
    t = proc.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in proc.children(recursive=True):
        try:
            c = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += c.user + c.system
    return total


def rss_bytes(pid: int) -> int:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return int(total)


def owl_flush(server: Server) -> dict[str, Any]:
    """POST /_owl/flush: every memtable to Parquet segments now."""
    request = urllib.request.Request(server.endpoint + "/_owl/flush", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=900) as r:
        result: dict[str, Any] = json.loads(r.read())
        return result


def owl_settle(server: Server, *, timeout: float = 120.0) -> int:
    """Flush, then wait until no merge is running or due and the segment count holds still."""
    last = owl_flush(server)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = owl_flush(server)
        if now["segments"] == last["segments"] and not now.get("merge_pending", False):
            return int(now["segments"])
        last = now
    return int(last["segments"])


def dir_usage(root: Path) -> dict[str, int]:
    """Bytes under `root` (apparent sizes), split into segments, WAL and the rest."""
    out = {"segments": 0, "wal": 0, "other": 0, "allocated": 0}
    for dirpath, _dirs, files in os.walk(root):
        part = Path(dirpath).relative_to(root).parts
        key = "segments" if "segments" in part else "wal" if "wal" in part else "other"
        for name in files:
            try:
                st = os.stat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            out[key] += st.st_size
            out["allocated"] += st.st_blocks * 512
    out["total"] = out["segments"] + out["wal"] + out["other"]
    return out
