"""Foundation: accounts, tickets, the append-only event log, jobs, full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:58:12.583653
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportops.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tier", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_groups_name")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", supportops.db.base.JSONType(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("run_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_dedupe_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_queued_run_at",
            ["run_at", "id"],
            unique=False,
            sqlite_where=sa.text("status = 'queued'"),
            postgresql_where=sa.text("status = 'queued'"),
        )
        batch_op.create_index(
            "ix_jobs_running_locked_until",
            ["locked_until"],
            unique=False,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )

    op.create_table(
        "organizations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("plan", sa.String(length=50), nullable=True),
        sa.Column("shared_tickets", sa.Boolean(), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_domain"), ["domain"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", supportops.db.base.JSONType(), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "group_memberships",
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_memberships_group_id_groups")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_group_memberships_user_id_users")),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_memberships")),
    )
    with op.batch_alter_table("group_memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("severity", sa.String(length=4), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("tags", supportops.db.base.JSONType(), nullable=False),
        sa.Column("custom_fields", supportops.db.base.JSONType(), nullable=False),
        sa.Column("requester_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("assignee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("follow_up_of_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("closed_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("first_response_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("first_resolved_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_resolved_at", supportops.db.base.UTCDateTime(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("public_agent_replies", sa.Integer(), nullable=False),
        sa.Column("agent_stations", sa.Integer(), nullable=False),
        sa.Column("group_stations", sa.Integer(), nullable=False),
        sa.Column("max_tier", sa.String(length=2), nullable=True),
        sa.Column("handle_seconds", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_tickets_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["follow_up_of_id"], ["tickets.id"], name=op.f("fk_tickets_follow_up_of_id_tickets")
        ),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_tickets_group_id_groups")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_tickets_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"], name=op.f("fk_tickets_requester_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_assignee_id_id", ["assignee_id", "id"], unique=False)
        batch_op.create_index("ix_tickets_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_follow_up_of_id"), ["follow_up_of_id"], unique=False)
        batch_op.create_index("ix_tickets_group_id_id", ["group_id", "id"], unique=False)
        batch_op.create_index("ix_tickets_last_resolved_at", ["last_resolved_at"], unique=False)
        batch_op.create_index("ix_tickets_organization_id_id", ["organization_id", "id"], unique=False)
        batch_op.create_index("ix_tickets_priority_id", ["priority", "id"], unique=False)
        batch_op.create_index("ix_tickets_requester_id_id", ["requester_id", "id"], unique=False)
        batch_op.create_index("ix_tickets_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_tickets_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_kind", sa.String(length=10), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_messages_author_id_users")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_messages_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_ticket_id_id", ["ticket_id", "id"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("old_value", supportops.db.base.JSONType(), nullable=True),
        sa.Column("new_value", supportops.db.base.JSONType(), nullable=True),
        sa.Column("data", supportops.db.base.JSONType(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_ticket_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_ticket_id_id", ["ticket_id", "id"], unique=False)

    op.create_table(
        "time_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("started_at", supportops.db.base.UTCDateTime(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_time_entries_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_time_entries_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index("ix_time_entries_agent_id_started_at", ["agent_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_time_entries_ticket_id"), ["ticket_id"], unique=False)

    _full_text_and_append_only_upgrade()


SQLITE_SQL = [
    # External-content FTS5 index over subject and description, kept by triggers.
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, description, content='tickets', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, subject, description) VALUES (new.id, new.subject, new.description); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject, description) "
    "VALUES ('delete', old.id, old.subject, old.description); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject, description ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject, description) "
    "VALUES ('delete', old.id, old.subject, old.description); "
    "INSERT INTO tickets_fts(rowid, subject, description) VALUES (new.id, new.subject, new.description); END",
    "CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events BEGIN "
    "SELECT RAISE(ABORT, 'ticket_events is append-only'); END",
    "CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events BEGIN "
    "SELECT RAISE(ABORT, 'ticket_events is append-only'); END",
]

POSTGRES_SQL = [
    "ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(description, ''))) STORED",
    "CREATE INDEX ix_tickets_search_vector ON tickets USING gin (search_vector)",
    "CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END $$",
    "CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events "
    "FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only()",
]


def _full_text_and_append_only_upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_SQL if dialect == "sqlite" else POSTGRES_SQL:
        op.execute(statement)


def _full_text_and_append_only_downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "tickets_fts_ai",
            "tickets_fts_ad",
            "tickets_fts_au",
            "ticket_events_no_update",
            "ticket_events_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS tickets_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS ticket_events_no_change ON ticket_events")
        op.execute("DROP FUNCTION IF EXISTS ticket_events_append_only()")


def downgrade() -> None:
    _full_text_and_append_only_downgrade()
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_time_entries_ticket_id"))
        batch_op.drop_index("ix_time_entries_agent_id_started_at")

    op.drop_table("time_entries")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket_id_id")

    op.drop_table("ticket_events")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_ticket_id_id")

    op.drop_table("messages")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_updated_at_id")
        batch_op.drop_index("ix_tickets_status_id")
        batch_op.drop_index("ix_tickets_requester_id_id")
        batch_op.drop_index("ix_tickets_priority_id")
        batch_op.drop_index("ix_tickets_organization_id_id")
        batch_op.drop_index("ix_tickets_last_resolved_at")
        batch_op.drop_index("ix_tickets_group_id_id")
        batch_op.drop_index(batch_op.f("ix_tickets_follow_up_of_id"))
        batch_op.drop_index("ix_tickets_created_at")
        batch_op.drop_index("ix_tickets_assignee_id_id")

    op.drop_table("tickets")
    with op.batch_alter_table("group_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_memberships_user_id"))

    op.drop_table("group_memberships")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_domain"))

    op.drop_table("organizations")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_jobs_running_locked_until",
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )
        batch_op.drop_index(
            "ix_jobs_queued_run_at",
            sqlite_where=sa.text("status = 'queued'"),
            postgresql_where=sa.text("status = 'queued'"),
        )

    op.drop_table("jobs")
    op.drop_table("groups")
