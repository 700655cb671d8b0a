"""Data keys of log groups: one per group and day, wrapped by the group's KMS key.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Integer, nullable=False),  # days since the epoch, UTC
        # The KMS key id that wraps it; NULL: the service-managed key (the master key).
        sa.Column("kms_key_id", sa.String(36), nullable=True),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_data_keys_group_day", "data_keys", ["group_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_data_keys_group_day", "data_keys")
    op.drop_table("data_keys")
