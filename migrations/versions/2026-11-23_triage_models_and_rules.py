"""Triage: stored classifier versions (one active per field) and ordered triage rules.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:41:49.132943
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportops.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("conditions", supportops.db.base.JSONType(), nullable=False),
        sa.Column("actions", supportops.db.base.JSONType(), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_triage_rules_name")),
        sa.UniqueConstraint("position", name=op.f("uq_triage_rules_position")),
    )
    op.create_table(
        "triage_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("labels", supportops.db.base.JSONType(), nullable=False),
        sa.Column("metrics", supportops.db.base.JSONType(), nullable=False),
        sa.Column("training_size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("trained_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"], ["users.id"], name=op.f("fk_triage_models_trained_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_models")),
        sa.UniqueConstraint("field", "version", name=op.f("uq_triage_models_field")),
    )


def downgrade() -> None:
    op.drop_table("triage_models")
    op.drop_table("triage_rules")
