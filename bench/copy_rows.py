#!/usr/bin/env python3
"""What a batch of SLA event rows costs on PostgreSQL: pipelined ``executemany`` against one COPY.

In one transaction that is rolled back, inserts ROWS rows into ``sla_events`` (for the lowest ticket
id) 50 times each way, with the statements and row conversion the product sends, and prints the
median wall time per batch of 7 such runs. The database must be
migrated and hold a ticket, e.g. one loaded by ``supportops demo load``:

  .venv/bin/python bench/copy_rows.py --url postgresql://postgres@127.0.0.1:5432/so_postgres_10000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from supportops import registry
from supportops.db.session import Database
from supportops.sla import service as sla_service

COLUMNS = ("ticket_id", "metric", "cycle", "kind", "at", "data")
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="a migrated supportops database on PostgreSQL")
    parser.add_argument("--rows", default="2,4,8,16,32", help="comma list of batch sizes")
    args = parser.parse_args()
    try:
        sizes = [int(n) for n in args.rows.split(",")]
    except ValueError:
        parser.error(f"--rows must be a comma list of whole numbers, not {args.rows!r}")
    if any(n < 1 for n in sizes):
        parser.error("every batch size must be at least 1")
    if make_url(args.url).get_backend_name() != "postgresql":
        parser.error("--url must name a PostgreSQL database: SQLite has no COPY")
    assert registry.LOADED
    db = Database.from_url(args.url)
    # The statements and row conversion the SLA domain's writes use (supportops.db.statements).
    plan = sla_service._ADD_EVENTS._plan(db.engine.dialect, COLUMNS, single=False)
    assert plan.copy is not None
    try:
        conn = db.engine.raw_connection().driver_connection
        assert isinstance(conn, psycopg.Connection)
        found = conn.execute("SELECT min(id) FROM tickets").fetchone()
    except (SQLAlchemyError, psycopg.Error) as exc:
        parser.error(f"cannot read tickets at {args.url}: {exc}")
    ticket = found[0] if found else None
    if ticket is None:
        parser.error("the database holds no tickets: load some with `supportops demo load`")

    def rows(k: int) -> list[dict[str, Any]]:
        return [
            {
                "ticket_id": ticket,
                "metric": "resolution",
                "cycle": i,
                "kind": "activate",
                "at": AT,
                "data": None,
            }
            for i in range(k)
        ]

    def many(k: int) -> None:
        with conn.cursor() as cur:
            cur.executemany(plan.sql, [plan.convert(row) for row in rows(k)])

    def copy(k: int) -> None:
        assert plan.copy is not None
        with conn.cursor() as cur, cur.copy(plan.copy) as out:
            for row in rows(k):
                out.write_row(plan.values(row))

    def median_batch(send: Callable[[int], None], k: int) -> float:
        runs = []
        for _ in range(7):
            with conn.transaction(force_rollback=True):
                start = time.perf_counter()
                for _ in range(50):
                    send(k)
                runs.append((time.perf_counter() - start) / 50)
        return statistics.median(runs)

    print("rows  executemany µs  COPY µs")
    for k in sizes:
        print(f"{k:4d}  {1e6 * median_batch(many, k):14.0f}  {1e6 * median_batch(copy, k):7.0f}")


if __name__ == "__main__":
    main()
