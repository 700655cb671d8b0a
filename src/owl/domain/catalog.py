"""The catalog database: its tables (SQLAlchemy Core), its engine, and its migrations.

SQLite in the data directory on one machine; the same tables run on PostgreSQL for several
nodes. Schema changes go through Alembic revisions in ``migrations/``; ``open_catalog`` upgrades
to the newest revision before anything reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
)

access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("access_key_id", sa.String(128), primary_key=True),
    sa.Column("secret_access_key", sa.String(128), nullable=False),
    sa.Column(
        "account_id",
        sa.String(12),
        sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("is_root", sa.Boolean, nullable=False, default=False),
)

log_groups = sa.Table(
    "log_groups",
    metadata,
    # The incarnation id: AUTOINCREMENT never reuses an id, so a re-created name starts empty.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("retention_days", sa.Integer, nullable=True),
    sa.Column("kms_key_id", sa.String(256), nullable=True),
    sa.Column("log_group_class", sa.String(32), nullable=False),
    sa.Column("deletion_protection", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("account_id", "region", "name", name="uq_log_groups_name"),
    sqlite_autoincrement=True,
)

log_streams = sa.Table(
    "log_streams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "group_id", sa.Integer, sa.ForeignKey("log_groups.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("first_event_ms", sa.BigInteger, nullable=True),
    sa.Column("last_event_ms", sa.BigInteger, nullable=True),
    sa.Column("last_ingestion_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("group_id", "name", name="uq_log_streams_name"),
    sqlite_autoincrement=True,
)

log_group_tags = sa.Table(
    "log_group_tags",
    metadata,
    sa.Column(
        "group_id",
        sa.Integer,
        sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

query_definitions = sa.Table(
    "query_definitions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # a UUID, as AWS hands out
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("query_string", sa.Text, nullable=False),
    sa.Column("query_language", sa.String(8), nullable=False),
    sa.Column("log_group_names", sa.Text, nullable=True),  # JSON list of names
    sa.Column("parameters", sa.Text, nullable=True),  # JSON list of parameter objects
    sa.Column("last_modified_ms", sa.BigInteger, nullable=False),
    # The clientToken of the create: a retried create finds its definition by it.
    sa.Column("client_token", sa.String(128), nullable=True),
    sa.UniqueConstraint("account_id", "region", "client_token", name="uq_query_definitions_token"),
    sa.Index("ix_query_definitions_name", "account_id", "region", "name", "id"),
)

kms_keys = sa.Table(
    "kms_keys",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # a UUID, as AWS hands out
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("key_usage", sa.String(32), nullable=False),
    sa.Column("key_spec", sa.String(32), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("deletion_ms", sa.BigInteger, nullable=True),  # when PendingDeletion ends
    sa.Column("policy", sa.Text, nullable=False),
    # The key material, wrapped (AES-GCM) under the master key; never stored in clear.
    sa.Column("material", sa.LargeBinary, nullable=False),
    sa.Index("ix_kms_keys_scope", "account_id", "region", "id"),
    sa.Index("ix_kms_keys_deletion", "state", "deletion_ms"),
)

kms_aliases = sa.Table(
    "kms_aliases",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(256), primary_key=True),
    sa.Column(
        "key_id", sa.String(36), sa.ForeignKey("kms_keys.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_kms_aliases_key", "key_id"),
)

kms_key_tags = sa.Table(
    "kms_key_tags",
    metadata,
    sa.Column(
        "key_id",
        sa.String(36),
        sa.ForeignKey("kms_keys.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tag_key", sa.String(128), primary_key=True),
    sa.Column("tag_value", sa.String(256), nullable=False),
)

server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
)

data_keys = sa.Table(
    "data_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "group_id",
        sa.Integer,
        sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("day", sa.Integer, nullable=False),  # days since the epoch, UTC
    # The KMS key (its UUID) whose ciphertext `wrapped` is; NULL: under the master key.
    sa.Column("kms_key_id", sa.String(36), nullable=True),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_data_keys_group_day", "group_id", "day"),
    sqlite_autoincrement=True,
)


metric_filters = sa.Table(
    "metric_filters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "group_id",
        sa.Integer,
        sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(512), nullable=False),
    sa.Column("pattern", sa.Text, nullable=False),
    sa.Column("transformations", sa.Text, nullable=False),  # JSON, as the API has them
    sa.Column("options", sa.Text, nullable=True),  # JSON: applyOnTransformedLogs, ...
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("group_id", "name", name="uq_metric_filters_name"),
    sqlite_autoincrement=True,
)


def starts_with(column: sa.ColumnElement[str], prefix: str) -> tuple[sa.ColumnElement[bool], ...]:
    """`column` begins with `prefix`, case-sensitively; the range term lets the index serve it
    (LIKE would fold case and need escaping)."""
    return (column >= prefix, sa.func.substr(column, 1, len(prefix)) == prefix)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def catalog_path(data_dir: Path) -> Path:
    return data_dir / "catalog.db"


def open_catalog(data_dir: Path) -> sa.Engine:
    """Open (creating and migrating as needed) the catalog of `data_dir`.

    The file holds secret keys, so it and the directory are readable by the owner only.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    path = catalog_path(data_dir)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)
    engine = sa.create_engine(f"sqlite+pysqlite:///{path}")
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine)
    for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sidecar.exists():
            os.chmod(sidecar, 0o600)
    return engine


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
