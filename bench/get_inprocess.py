#!/usr/bin/env python3
"""What a ticket get costs the app, in-process: no HTTP, no other process.

Reads random tickets as `GET /api/v1/tickets/{id}` does (a reading connection, then the API view)
on a database loaded by `supportops demo load`, as the bench admin of bench/api_suite.sh (made here
if missing), and prints the CPU and wall time per get. Compare two builds by alternating runs, e.g.
with an older checkout first on PYTHONPATH:

  .venv/bin/python bench/get_inprocess.py --url sqlite:///var/bench/data/so_sqlite_10000.db
  .venv/bin/python bench/get_inprocess.py --url postgresql://postgres@127.0.0.1:5432/so_postgres_10000
"""

from __future__ import annotations

import argparse
import random
import time

from create_inprocess import bench_actor  # beside this script
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from supportops import registry
from supportops.db.session import Database
from supportops.tickets import service
from supportops.tickets.models import Ticket

WARM_UP = 500


def _last_ticket(db: Database) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(func.max(Ticket.id))) or 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--gets", type=int, default=3000, help="measured gets (after a warm-up)")
    args = parser.parse_args()
    if args.gets < 1:
        parser.error("--gets must be at least 1")
    assert registry.LOADED
    db = Database.from_url(args.url)
    try:
        actor, last = bench_actor(db), _last_ticket(db)
    except OperationalError as exc:
        parser.error(f"cannot read tickets at {args.url} ({exc.orig}): migrate and load it first")
    if last == 0:
        parser.error("the database holds no tickets: load some with `supportops demo load`")
    rng = random.Random(1)

    def get() -> None:
        with db.rows() as connection:
            service.read_ticket(connection, actor=actor, ticket_id=rng.randint(1, last))

    for _ in range(WARM_UP):
        get()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(args.gets):
        get()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{db.dialect}: {cpu / args.gets * 1e6:.0f} us CPU and {wall / args.gets * 1e6:.0f} us wall "
        f"per get ({args.gets} gets over {last:,} tickets)"
    )
    db.engine.dispose()


if __name__ == "__main__":
    main()
