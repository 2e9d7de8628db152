"""Agent skills: what each agent is good at, with a proficiency from 1 to 5.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:15:57.354420
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_skills",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("proficiency", sa.Integer(), nullable=False),
        sa.CheckConstraint("proficiency BETWEEN 1 AND 5", name=op.f("ck_agent_skills_proficiency_range")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agent_skills_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "skill", name=op.f("pk_agent_skills")),
    )
    with op.batch_alter_table("agent_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_skills_skill"), ["skill"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_skills_skill"))

    op.drop_table("agent_skills")
