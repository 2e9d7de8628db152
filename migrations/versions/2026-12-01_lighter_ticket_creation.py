"""Lighter ticket creation: partial indexes on columns that are empty when a row is written, and a
tag trigger that runs only when a ticket has tags

A ticket's first response, last resolution and follow-up link, and a clock's fulfilment and breach,
are empty when the row is inserted; their indexes now hold only the rows where they are set, so an
insert writes fewer index pages. Queries compare these columns, which implies IS NOT NULL, so they
still use the indexes. On SQLite the trigger that fills ticket_tags skips tickets without tags.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

import supportops.db.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = (
    ("tickets", "last_resolved_at"),
    ("tickets", "first_response_at"),
    ("tickets", "follow_up_of_id"),
    ("sla_clocks", "fulfilled_at"),
    ("sla_clocks", "breached_at"),
)

_TAGS_INSERT = (
    "INSERT OR IGNORE INTO ticket_tags (tag, ticket_id) "
    "SELECT DISTINCT value, new.id FROM json_each(new.tags) WHERE type = 'text'; END"
)


def _index(table: str, column: str, *, partial: bool) -> None:
    name = f"ix_{table}_{column}"
    op.drop_index(name, table_name=table)
    where = supportops.db.base.where_set(column) if partial else {}
    op.create_index(name, table, [column], unique=False, **where)


def _tags_trigger(when: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS ticket_tags_ai")
    op.execute(f"CREATE TRIGGER ticket_tags_ai AFTER INSERT ON tickets {when}BEGIN {_TAGS_INSERT}")


def upgrade() -> None:
    for table, column in PARTIAL:
        _index(table, column, partial=True)
    if op.get_bind().dialect.name == "sqlite":
        _tags_trigger("WHEN new.tags <> '[]' ")


def downgrade() -> None:
    for table, column in PARTIAL:
        _index(table, column, partial=False)
    if op.get_bind().dialect.name == "sqlite":
        _tags_trigger("")
