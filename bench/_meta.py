"""What every benchmark records about its run, and how it reports progress and stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def say(text: str) -> None:
    """Progress goes to stderr; stdout keeps the report."""
    print(text, file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def git_rev() -> str:
    """The commit measured, marked +dirty when src/ differs from it."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", ":/src"], cwd=BENCH_DIR)
        return out.stdout.strip() + ("+dirty" if dirty.returncode else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def interrupt(signum: int, _frame: object) -> None:
    """SIGTERM handler: unwind like Ctrl-C, so servers stop and partial results are kept."""
    raise KeyboardInterrupt(f"signal {signum}")
