"""SLA: calendars, ordered policies, per-ticket clocks, the append-only metric event log, and the
next-due summary on tickets that lists filter and sort on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:34:22.595986
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportops.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_calendars",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", supportops.db.base.JSONType(), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_calendars_name")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("conditions", supportops.db.base.JSONType(), nullable=False),
        sa.Column("targets", supportops.db.base.JSONType(), nullable=False),
        sa.Column("pauses", supportops.db.base.JSONType(), nullable=False),
        sa.Column("warn_share", sa.Float(), nullable=False),
        sa.Column("breach_actions", supportops.db.base.JSONType(), nullable=False),
        sa.Column("calendar_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["sla_calendars.id"], name=op.f("fk_sla_policies_calendar_id_sla_calendars")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
        sa.UniqueConstraint("position", name=op.f("uq_sla_policies_position")),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("target_minutes", sa.Float(), nullable=False),
        sa.Column("business", sa.Boolean(), nullable=False),
        sa.Column("activated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("running_since", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("due_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("warn_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("breached_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("fulfilled_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("business_minutes", sa.Float(), nullable=False),
        sa.Column("calendar_minutes", sa.Float(), nullable=False),
        sa.Column("evaluated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_sla_clocks_group_id_groups")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_sla_clocks_policy_id_sla_policies")
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_sla_clocks_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
        sa.UniqueConstraint("ticket_id", "metric", "cycle", name=op.f("uq_sla_clocks_ticket_id")),
    )
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_clocks_policy_id_metric_state", ["policy_id", "metric", "state"], unique=False
        )
        batch_op.create_index("ix_sla_clocks_state_due_at", ["state", "due_at"], unique=False)

    op.create_table(
        "sla_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("data", supportops.db.base.JSONType(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_sla_events_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_events")),
    )
    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.create_index("ix_sla_events_ticket_id_id", ["ticket_id", "id"], unique=False)
        batch_op.create_index(
            "uq_sla_events_alarm",
            ["ticket_id", "metric", "cycle", "kind"],
            unique=True,
            sqlite_where=sa.text("kind IN ('warn', 'breach')"),
            postgresql_where=sa.text("kind IN ('warn', 'breach')"),
        )

    # Plain ALTER TABLE, not a batch copy: copying would drop the full-text triggers on tickets.
    op.add_column("tickets", sa.Column("sla_due_at", supportops.db.base.UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("sla_warn_at", supportops.db.base.UTCDateTime(), nullable=True))
    op.add_column(
        "tickets", sa.Column("sla_breached", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index("ix_tickets_sla_breached_id", "tickets", ["sla_breached", "id"], unique=False)
    op.create_index("ix_tickets_sla_due_at_id", "tickets", ["sla_due_at", "id"], unique=False)

    _append_only_upgrade()


SQLITE_SQL = [
    "CREATE TRIGGER sla_events_no_update BEFORE UPDATE ON sla_events BEGIN "
    "SELECT RAISE(ABORT, 'sla_events is append-only'); END",
    "CREATE TRIGGER sla_events_no_delete BEFORE DELETE ON sla_events BEGIN "
    "SELECT RAISE(ABORT, 'sla_events is append-only'); END",
]
POSTGRES_SQL = [
    "CREATE FUNCTION sla_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'sla_events is append-only'; END $$",
    "CREATE TRIGGER sla_events_no_change BEFORE UPDATE OR DELETE ON sla_events "
    "FOR EACH ROW EXECUTE FUNCTION sla_events_append_only()",
]


def _append_only_upgrade() -> None:
    for statement in SQLITE_SQL if op.get_bind().dialect.name == "sqlite" else POSTGRES_SQL:
        op.execute(statement)


def _append_only_downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS sla_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS sla_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS sla_events_no_change ON sla_events")
        op.execute("DROP FUNCTION IF EXISTS sla_events_append_only()")


def downgrade() -> None:
    _append_only_downgrade()
    op.drop_index("ix_tickets_sla_due_at_id", table_name="tickets")
    op.drop_index("ix_tickets_sla_breached_id", table_name="tickets")
    for column in ("sla_breached", "sla_warn_at", "sla_due_at"):
        op.drop_column("tickets", column)

    with op.batch_alter_table("sla_events", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sla_events_alarm",
            sqlite_where=sa.text("kind IN ('warn', 'breach')"),
            postgresql_where=sa.text("kind IN ('warn', 'breach')"),
        )
        batch_op.drop_index("ix_sla_events_ticket_id_id")

    op.drop_table("sla_events")
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_clocks_state_due_at")
        batch_op.drop_index("ix_sla_clocks_policy_id_metric_state")

    op.drop_table("sla_clocks")
    op.drop_table("sla_policies")
    op.drop_table("sla_calendars")
