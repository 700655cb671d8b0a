"""Settings: defaults, OWL_* environment variables and command-line flags; imports nothing from owl.

Every setting is one row of SETTINGS so that the reference docs and the CLI help come from the
same table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4588
DEFAULT_DATA_DIR = "owl-data"
DEFAULT_DEV_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Settings:
    """What a server needs to start; each field can come from OWL_<NAME> in the environment."""

    host: str = field(default=DEFAULT_HOST, metadata={"help": "Address to bind."})
    port: int = field(default=DEFAULT_PORT, metadata={"help": "TCP port of every service."})
    data_dir: Path = field(
        default=Path(DEFAULT_DATA_DIR), metadata={"help": "Directory holding all state."}
    )
    dev: bool = field(
        default=False,
        metadata={"help": "Accept any credentials (local development only)."},
    )
    dev_account_id: str = field(
        default=DEFAULT_DEV_ACCOUNT, metadata={"help": "Account id used in --dev mode."}
    )
    max_body_bytes: int = field(
        default=8 * 1024 * 1024,
        metadata={"help": "Largest request body accepted, in bytes."},
    )
    clock_skew_seconds: int = field(
        default=900, metadata={"help": "Largest accepted difference of a request's date."}
    )
    log_level: str = field(default="info", metadata={"help": "Level of owl's own log."})
    fsync: bool = field(
        default=True, metadata={"help": "fsync the write-ahead log before acknowledging."}
    )
    test_hooks: bool = field(
        default=False,
        metadata={
            "help": "Serve the /_owl/* hooks (flush, faults, retention, clock, alarms) for "
            "tests and benchmarks only."
        },
    )
    flush_age_s: float = field(
        default=300.0,
        metadata={"help": "Flush a group's memtable once its oldest event is this old."},
    )
    metric_linger_ms: float = field(
        default=50.0,
        metadata={
            "help": "How long metric publishing waits for more ingested batches before it "
            "evaluates the metric filters over them at once (0: never waits); a read of "
            "metrics cuts the wait short."
        },
    )
    duckdb_memory_mb: int = field(
        default=0,
        metadata={
            "help": "DuckDB's memory for reads and queries, past which it spills (0: a "
            "quarter of the machine's memory)."
        },
    )

    alarm_actions: str = field(
        default="",
        metadata={
            "help": "Where alarm actions go: a JSON object mapping an action ARN (such as "
            "arn:aws:sns:us-east-1:123456789012:ops) to the URL that receives an SNS-style "
            "notification POST, or the path of a file holding that object. Actions with no "
            "entry fail and are recorded in the alarm's history."
        },
    )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then OWL_* variables, then explicit overrides that are not None."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"OWL_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _coerce(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(str(values["data_dir"]))
        return cls(**values)  # type: ignore[arg-type]


def _coerce(type_name: object, raw: str) -> object:
    if type_name in ("int", int):
        return int(raw)
    if type_name in ("float", float):
        return float(raw)
    if type_name in ("bool", bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw
