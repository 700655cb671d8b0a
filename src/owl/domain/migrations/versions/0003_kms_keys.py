"""KMS keys (material wrapped under the master key), their aliases and tags.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kms_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("key_usage", sa.String(32), nullable=False),
        sa.Column("key_spec", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("deletion_ms", sa.BigInteger, nullable=True),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("material", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_kms_keys_scope", "kms_keys", ["account_id", "region", "id"])
    op.create_index("ix_kms_keys_deletion", "kms_keys", ["state", "deletion_ms"])
    op.create_table(
        "kms_aliases",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column(
            "key_id",
            sa.String(36),
            sa.ForeignKey("kms_keys.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_kms_aliases_key", "kms_aliases", ["key_id"])
    op.create_table(
        "kms_key_tags",
        sa.Column(
            "key_id",
            sa.String(36),
            sa.ForeignKey("kms_keys.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kms_key_tags")
    op.drop_index("ix_kms_aliases_key", table_name="kms_aliases")
    op.drop_table("kms_aliases")
    op.drop_index("ix_kms_keys_deletion", table_name="kms_keys")
    op.drop_index("ix_kms_keys_scope", table_name="kms_keys")
    op.drop_table("kms_keys")
