"""README.md is executable documentation: its quick start runs as written against a live server,
and its list of implemented operations is the real one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from owl.services.logs import LOGS
from tests.conftest import free_port, start_server

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_quick_start_runs_as_written(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "owl-data"
    server = start_server(data_dir, port=port)
    try:
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
        env.pop("AWS_PROFILE", None)
        quick_start = _blocks("sh")[1]
        script = quick_start.replace("4588", str(port)).replace("owl-data", str(data_dir))
        shell = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shell.returncode == 0, shell.stderr
        assert '"message": "hello"' in shell.stdout

        python = _blocks("python")[0].replace("4588", str(port))
        env.update(
            AWS_SHARED_CREDENTIALS_FILE=str(data_dir / "credentials"),
            AWS_DEFAULT_REGION="us-east-1",
        )
        run = subprocess.run(
            [sys.executable, "-c", python], env=env, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        assert "['hello from boto3']" in run.stdout
    finally:
        server.stop()


def test_readme_lists_the_implemented_operations() -> None:
    text = README.read_text()
    listed = re.search(r"<!-- operations:begin -->(.*?)<!-- operations:end -->", text, re.S)
    assert listed is not None
    names = {n.strip() for n in listed.group(1).replace("\n", " ").split(",") if n.strip()}
    assert names == LOGS.implemented()
