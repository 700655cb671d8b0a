"""Metric filters of log groups.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_filters",
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


def downgrade() -> None:
    op.drop_table("metric_filters")
