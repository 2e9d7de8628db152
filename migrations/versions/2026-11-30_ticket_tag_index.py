"""An index of ticket tags, so that a tag filter reads only that tag's tickets

Tags are a JSON list on the ticket. On SQLite a side table (tag, ticket_id) is kept by triggers on
every insert, tag change and delete, whichever code path writes the ticket; on PostgreSQL a GIN index
on the JSONB column serves the containment test the queries already use.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 16:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_TAGS = "SELECT DISTINCT value, new.id FROM json_each(new.tags) WHERE type = 'text'"
_OLD_ROWS = (
    "DELETE FROM ticket_tags WHERE ticket_id = old.id "
    "AND tag IN (SELECT value FROM json_each(old.tags) WHERE type = 'text');"
)

SQLITE_SQL = [
    "CREATE TABLE ticket_tags (tag TEXT NOT NULL, ticket_id INTEGER NOT NULL, "
    "PRIMARY KEY (tag, ticket_id)) WITHOUT ROWID",
    "INSERT OR IGNORE INTO ticket_tags (tag, ticket_id) SELECT json_each.value, tickets.id "
    "FROM tickets, json_each(tickets.tags) WHERE json_each.type = 'text'",
    f"CREATE TRIGGER ticket_tags_ai AFTER INSERT ON tickets BEGIN "
    f"INSERT OR IGNORE INTO ticket_tags (tag, ticket_id) {_NEW_TAGS}; END",
    f"CREATE TRIGGER ticket_tags_au AFTER UPDATE OF tags ON tickets BEGIN {_OLD_ROWS} "
    f"INSERT OR IGNORE INTO ticket_tags (tag, ticket_id) {_NEW_TAGS}; END",
    f"CREATE TRIGGER ticket_tags_ad AFTER DELETE ON tickets BEGIN {_OLD_ROWS} END",
]

POSTGRES_SQL = ["CREATE INDEX ix_tickets_tags ON tickets USING gin (tags jsonb_path_ops)"]


def upgrade() -> None:
    for statement in SQLITE_SQL if op.get_bind().dialect.name == "sqlite" else POSTGRES_SQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("ticket_tags_ai", "ticket_tags_au", "ticket_tags_ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS ticket_tags")
    else:
        op.execute("DROP INDEX IF EXISTS ix_tickets_tags")
