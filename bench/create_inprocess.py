#!/usr/bin/env python3
"""What the writer spends per ticket creation, in-process: no HTTP, no other process.

Creates tickets as the API's group commit does, BATCH per transaction, on a fresh database, and
prints the CPU time per create (on PostgreSQL also the CPU of the server process that served the
run, when it runs on this machine). It isolates the database write path (services, statements, SLA
clocks, jobs, commit) from the HTTP layer measured by bench/api_throughput.py.

  .venv/bin/python bench/create_inprocess.py --batch 16 --tickets 4000
  .venv/bin/python bench/create_inprocess.py --url postgresql://postgres@127.0.0.1:5432/bench_create

A SQLite file is deleted and recreated; a PostgreSQL database must exist and be empty (it is
migrated here). Compare variants in alternating runs: the figures move by 10-30 % on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from supportops import registry
from supportops.auth import service as accounts
from supportops.auth.enums import Role
from supportops.auth.models import User
from supportops.auth.principal import Principal
from supportops.auth.schemas import UserCreate
from supportops.config import Settings, get_settings
from supportops.db import migrate
from supportops.db.session import Database
from supportops.tickets import service
from supportops.tickets.schemas import TicketCreate

WARM_UP = 500


def bench_actor(db: Database) -> Principal:
    """The admin every benchmark opens and reads tickets as (made if the database lacks it)."""
    with db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.email == "bench@example.com"))
        if user is None:
            data = UserCreate(email="bench@example.com", name="Bench", role=Role.admin)
            user = accounts.create_user_unchecked(session, data=data, now=datetime.now(UTC))
        return accounts.principal_for(session, user)


def bench_bodies(count: int) -> list[TicketCreate]:
    return [
        TicketCreate(
            subject=f"bench ticket {i}: printer on floor 3 is jammed again",
            description=f"Benchmark ticket #{i}. The printer shows error E-42 after every second job.",
            priority="P3",
            channel="api",
        )
        for i in range(count)
    ]


def open_batch(db: Database, actor: Principal, bodies: list[TicketCreate], settings: Settings) -> None:
    """Open these tickets in one transaction, as the API's group commit does."""
    with db.unit_of_work() as session:
        for data in bodies:
            service.open_ticket(session, actor=actor, data=data, now=datetime.now(UTC), settings=settings)


def server_cpu(db: Database) -> Callable[[], float]:
    """CPU seconds so far of the PostgreSQL backend serving the pool's one connection, when that
    server runs on this machine (its process is in /proc); otherwise always 0."""
    if db.dialect != "postgresql":
        return lambda: 0.0
    with db.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    stat = Path(f"/proc/{pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

    return read


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="sqlite:///var/bench/create_inprocess.db")
    parser.add_argument("--batch", type=int, default=16, help="creates per transaction")
    parser.add_argument("--tickets", type=int, default=4000, help="measured creates (after a warm-up)")
    args = parser.parse_args()
    if args.batch < 1 or args.tickets < args.batch:
        parser.error("--batch must be at least 1 and --tickets at least --batch")
    assert registry.LOADED
    url = make_url(args.url)
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
    migrate.upgrade(args.url)
    db = Database.from_url(args.url)
    settings = get_settings()
    actor = bench_actor(db)
    bodies = bench_bodies(WARM_UP + args.tickets)

    def run(lo: int, hi: int) -> None:
        for start in range(lo, hi, args.batch):
            open_batch(db, actor, bodies[start : min(start + args.batch, hi)], settings)

    run(0, WARM_UP)
    backend = server_cpu(db)
    cpu, wall, served = time.process_time(), time.perf_counter(), backend()
    run(WARM_UP, WARM_UP + args.tickets)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    served = backend() - served
    server = f", {served / args.tickets * 1e6:.0f} us server CPU" if db.dialect == "postgresql" else ""
    print(
        f"{db.dialect}, batches of {args.batch}: {cpu / args.tickets * 1e6:.0f} us CPU{server} and "
        f"{wall / args.tickets * 1e6:.0f} us wall per create ({args.tickets} creates, pid {os.getpid()})"
    )
    db.engine.dispose()


if __name__ == "__main__":
    main()
