"""Accounts, access keys, log groups, log streams, tags and server secrets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(128), primary_key=True),
        sa.Column("secret_access_key", sa.String(128), nullable=False),
        sa.Column(
            "account_id",
            sa.String(12),
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("is_root", sa.Boolean, nullable=False),
    )
    op.create_table(
        "log_groups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=True),
        sa.Column("kms_key_id", sa.String(256), nullable=True),
        sa.Column("log_group_class", sa.String(32), nullable=False),
        sa.Column("deletion_protection", sa.Boolean, nullable=False),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_log_groups_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "log_streams",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("first_event_ms", sa.BigInteger, nullable=True),
        sa.Column("last_event_ms", sa.BigInteger, nullable=True),
        sa.Column("last_ingestion_ms", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("group_id", "name", name="uq_log_streams_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "log_group_tags",
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "server_secrets",
        "log_group_tags",
        "log_streams",
        "log_groups",
        "access_keys",
        "accounts",
    ):
        op.drop_table(table)
