"""Queue indexes: an agent's or a group's tickets by status, in id order

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 16:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_assignee_id_status_id", ["assignee_id", "status", "id"], unique=False
        )
        batch_op.create_index("ix_tickets_group_id_status_id", ["group_id", "status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_group_id_status_id")
        batch_op.drop_index("ix_tickets_assignee_id_status_id")
