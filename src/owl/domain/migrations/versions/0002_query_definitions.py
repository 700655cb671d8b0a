"""Saved Logs Insights queries (PutQueryDefinition and its kin).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "query_definitions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("query_string", sa.Text, nullable=False),
        sa.Column("query_language", sa.String(8), nullable=False),
        sa.Column("log_group_names", sa.Text, nullable=True),
        sa.Column("parameters", sa.Text, nullable=True),
        sa.Column("last_modified_ms", sa.BigInteger, nullable=False),
        sa.Column("client_token", sa.String(128), nullable=True),
        sa.UniqueConstraint(
            "account_id", "region", "client_token", name="uq_query_definitions_token"
        ),
    )
    op.create_index(
        "ix_query_definitions_name", "query_definitions", ["account_id", "region", "name", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_query_definitions_name", table_name="query_definitions")
    op.drop_table("query_definitions")
