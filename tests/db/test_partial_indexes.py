"""Indexes of columns that are empty when a row is written hold only the rows where they are set
(ticket creation writes less); the queries that compare those columns must still find them."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from supportops.db.session import Database
from tests.conftest import START

PARTIAL = [
    ("tickets", "last_resolved_at", START),
    ("tickets", "first_response_at", START),
    ("tickets", "follow_up_of_id", 1),
    ("sla_clocks", "fulfilled_at", START),
    ("sla_clocks", "breached_at", START),
]


@pytest.mark.parametrize(("table", "column", "value"), PARTIAL)
def test_a_comparison_on_a_column_indexed_where_set_reads_the_index(
    db: Database, table: str, column: str, value: object
) -> None:
    query = f"SELECT id FROM {table} WHERE {column} >= :v"  # noqa: S608
    # A writing unit of work: SET LOCAL needs a transaction, and PostgreSQL reads run in autocommit.
    with db.unit_of_work() as session:
        if db.dialect == "sqlite":
            bound = value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value
            rows = session.execute(text(f"EXPLAIN QUERY PLAN {query}"), {"v": bound})
            plan = " ".join(str(row[-1]) for row in rows)
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            rows = session.execute(text(f"EXPLAIN {query}"), {"v": value})
            plan = " ".join(str(row[0]) for row in rows)
    assert f"ix_{table}_{column}" in plan, plan


def test_the_indexes_hold_only_rows_where_the_column_is_set(db: Database) -> None:
    with db.unit_of_work(write=False) as session:
        if db.dialect == "sqlite":
            rows = session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
            found = {name: sql for name, sql in rows}
        else:
            found = dict(session.execute(text("SELECT indexname, indexdef FROM pg_indexes")).all())
    for table, column, _ in PARTIAL:
        assert f"{column} IS NOT NULL" in found[f"ix_{table}_{column}"]
