"""`aws logs tail --follow` (aws CLI v2, Debian's `awscli` package) against a live owl.

The CLI re-polls FilterLogEvents about every 5 s with startTime = the newest timestamp it has
printed and drops events whose eventId it has already seen at that timestamp. So every line is
printed exactly once only if startTime is inclusive and an event keeps its id from poll to poll.
Three waves of lines are written while the CLI follows: ties inside a wave, ties across streams,
and a late event with the same timestamp as the newest line already printed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, OwlServer

AWS_V2 = Path("/usr/bin/aws")
INSTALL = "apt-get update && apt-get install -y awscli"
WAVE_TIMEOUT_S = 15.0  # the CLI polls every 5 s
FIRST_WAVE_TIMEOUT_S = 30.0  # … and takes a few seconds to start on a busy machine
QUIET_S = 6.0  # one more poll after the last wave: nothing may be printed twice


def _aws_v2_version() -> str | None:
    if not AWS_V2.exists():
        return None
    try:
        done = subprocess.run(
            [str(AWS_V2), "--version"], capture_output=True, text=True, timeout=30, env=_env()
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = (done.stdout + done.stderr).strip()
    return version if version.startswith("aws-cli/2") else None


def _env(server: OwlServer | None = None) -> dict[str, str]:
    """The CLI's environment: the server's root key, no user config, unbuffered output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_PAGER="",
        PYTHONUNBUFFERED="1",
    )
    if server is not None:
        env.update(
            AWS_ACCESS_KEY_ID=server.access_key_id,
            AWS_SECRET_ACCESS_KEY=server.secret_access_key,
            AWS_ENDPOINT_URL=server.endpoint,  # aws-cli >= 2.13 only; --endpoint-url below too
        )
    return env


class Follower:
    """The CLI as a subprocess, its stdout collected line by line by a thread."""

    def __init__(self, server: OwlServer, group: str) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [
                str(AWS_V2),
                "logs",
                "tail",
                group,
                "--follow",
                "--since",
                "1h",
                "--format",
                "short",
                "--endpoint-url",
                server.endpoint,
                "--color",
                "off",
            ],
            env=_env(server),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def messages(self) -> list[str]:
        """The printed messages (`--format short` is `<YYYY-mm-ddTHH:MM:SS> <message>`)."""
        with self._lock:
            return [line.split(" ", 1)[1] if " " in line else line for line in self.lines]

    def wait_for(self, expected: list[str], timeout: float = WAVE_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(expected) <= set(self.messages()):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        missing = sorted(set(expected) - set(self.messages()))
        raise AssertionError(f"not printed within {timeout:.0f} s: {missing}; {self.stderr()}")

    def stop(self) -> str:
        """Ctrl-C (the CLI's own way out of --follow), then terminate, then kill."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self._reader.join(5)
        stderr = self.stderr()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return stderr

    def stderr(self) -> str:
        """What the CLI wrote to stderr, once it has exited ("" while it runs)."""
        pipe = self.process.stderr
        if self.process.poll() is None or pipe is None or pipe.closed:
            return ""
        return pipe.read()


def _put(logs: Any, group: str, stream: str, rows: list[tuple[int, str]]) -> None:
    response = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in rows],
    )
    assert "rejectedLogEventsInfo" not in response


@pytest.mark.timeout(90)
def test_tail_follow_prints_every_line_once(owl_server: OwlServer, logs: Any) -> None:
    version = _aws_v2_version()
    if version is None:
        pytest.skip(f"needs the aws CLI v2 at {AWS_V2} (Debian: `{INSTALL}`)")
    group = f"/owl-test/tail/{uuid.uuid4().hex}"
    logs.create_log_group(logGroupName=group)
    for stream in ("api", "worker"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    tag = uuid.uuid4().hex[:8]
    written: list[str] = []

    def wave(rows: dict[str, list[tuple[int, str]]]) -> list[str]:
        for stream, events in rows.items():
            _put(logs, group, stream, events)
        sent = [m for events in rows.values() for _, m in events]
        written.extend(sent)
        return sent

    follower = Follower(owl_server, group)
    try:
        t1 = int(time.time() * 1000) - 2_000
        first = wave(
            {
                "api": [(t1, f"{tag} w1 api 0"), (t1 + 5, f"{tag} w1 api 1")],
                # two events with one timestamp in one stream, and the same one in another stream
                "worker": [
                    (t1 + 5, f"{tag} w1 worker tie-a"),
                    (t1 + 5, f"{tag} w1 worker tie-b"),
                ],
            }
        )
        follower.wait_for(first, FIRST_WAVE_TIMEOUT_S)
        time.sleep(1.5)
        # a late event with the newest timestamp already printed (the CLI's next startTime)
        t2 = int(time.time() * 1000)
        second = wave(
            {
                "worker": [(t1 + 5, f"{tag} w2 worker late-tie")],
                "api": [(t2, f"{tag} w2 api 0"), (t2 + 1, f"{tag} w2 api 1")],
            }
        )
        follower.wait_for(second)
        time.sleep(1.5)
        t3 = int(time.time() * 1000)
        third = wave(
            {
                "api": [(t3, f"{tag} w3 api tie-a"), (t3, f"{tag} w3 api tie-b")],
                "worker": [(t3, f"{tag} w3 worker tie-c"), (t3 + 2, f"{tag} w3 worker 1")],
            }
        )
        follower.wait_for(third)
        time.sleep(QUIET_S)  # at least one more poll over the newest timestamp
    finally:
        stderr = follower.stop()
    printed = Counter(follower.messages())
    assert len(written) == 11
    assert {m: n for m, n in printed.items() if n != 1} == {}, f"printed twice: {stderr}"
    assert set(printed) == set(written), f"unexpected lines: {set(printed) - set(written)}"
