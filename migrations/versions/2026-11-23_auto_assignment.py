"""Automatic assignment: a strategy per group, and when routing last gave each agent a ticket.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:50:35.305207
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportops.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agent_profiles", sa.Column("last_assigned_at", supportops.db.base.UTCDateTime(), nullable=True)
    )
    op.add_column("groups", sa.Column("auto_assign", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("auto_assign")

    with op.batch_alter_table("agent_profiles", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
