"""Agent routing profiles: presence, languages, capacity per channel, shift calendar.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:30:56.463740
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportops.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_profiles",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("presence_changed_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("languages", supportops.db.base.JSONType(), nullable=False),
        sa.Column("capacity", supportops.db.base.JSONType(), nullable=False),
        sa.Column("shift_calendar_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_calendar_id"],
            ["sla_calendars.id"],
            name=op.f("fk_agent_profiles_shift_calendar_id_sla_calendars"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agent_profiles_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_profiles")),
    )


def downgrade() -> None:
    op.drop_table("agent_profiles")
