"""A customer's CSAT history from one index: beside every ticket the agent opens

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("csat_surveys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_csat_surveys_requester_id_answered_at", ["requester_id", "answered_at", "score"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("csat_surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_csat_surveys_requester_id_answered_at")
