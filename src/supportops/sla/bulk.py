"""Recompute every ticket's clocks: after an upgrade, an import, or to check the stored state.

Tickets are read a chunk at a time, in id order, with three range queries (fields, the events that
move clocks, the metric events on record); each chunk's rows are written with one statement per
table in one transaction, so memory stays flat and the database is never held long.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from supportops.auth.models import Organization
from supportops.config import Settings, get_settings
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.sla import service
from supportops.sla.models import SlaClock
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.models import Ticket


@dataclass(frozen=True)
class RecomputeReport:
    tickets: int
    clocks: int
    metric_events: int
    seconds: float


# Raw SQL on purpose: this path reads millions of rows, and letting the database pull the few JSON
# keys it needs (instead of decoding every JSON column in Python) is most of its speed.
_HISTORY_SQL = {
    "sqlite": """
        SELECT ticket_id, kind, at, json_extract(new_value, '$'), json_extract(data, '$.public'),
               json_extract(data, '$.author_kind'), json_extract(data, '$.status')
        FROM ticket_events
        WHERE ticket_id BETWEEN ? AND ?
          AND (kind IN ('created', 'message') OR (kind = 'change' AND field = 'status'))
        ORDER BY ticket_id, id""",
    "postgresql": """
        SELECT ticket_id, kind, at, new_value #>> '{}', (data ->> 'public')::boolean,
               data ->> 'author_kind', data ->> 'status'
        FROM ticket_events
        WHERE ticket_id BETWEEN ? AND ?
          AND (kind IN ('created', 'message') OR (kind = 'change' AND field = 'status'))
        ORDER BY ticket_id, id""",
}
_KNOWN_SQL = "SELECT ticket_id, metric, cycle, kind, at FROM sla_events WHERE ticket_id BETWEEN ? AND ?"


def _instant(value: str | datetime) -> datetime:
    """A stored UTC timestamp as the driver returns it (text on SQLite), made aware."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC)


def _chunk_ids(session: Session, after: int, size: int) -> list[int]:
    return list(session.scalars(select(Ticket.id).where(Ticket.id > after).order_by(Ticket.id).limit(size)))


def _facts(session: Session, lo: int, hi: int) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(Ticket.id, *service.FACT_COLUMNS)
        .outerjoin(Organization, Organization.id == Ticket.organization_id)
        .where(Ticket.id.between(lo, hi))
    )
    return {r.id: {k: v for k, v in r._mapping.items() if k != "id"} for r in rows}


def _fetch(session: Session, sql: str, lo: int, hi: int) -> list[tuple[Any, ...]]:
    """Rows straight from the driver: no per-row result processing."""
    if session.get_bind().dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, (lo, hi))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _histories(session: Session, lo: int, hi: int) -> dict[int, list[LoggedEvent]]:
    out: dict[int, list[LoggedEvent]] = defaultdict(list)
    rows = _fetch(session, _HISTORY_SQL[session.get_bind().dialect.name], lo, hi)
    for ticket_id, kind, at, new_value, public, author_kind, status in rows:
        if kind == "message":
            data: dict[str, Any] | None = {"public": bool(public), "author_kind": author_kind}
        elif kind == "created":
            data = {"status": status} if status else None
        else:
            data = None
        out[ticket_id].append(LoggedEvent(kind, _instant(at), "status", None, new_value, data))
    return out


def _known(session: Session, lo: int, hi: int) -> dict[int, set[tuple[str, int, str, datetime]]]:
    out: dict[int, set[tuple[str, int, str, datetime]]] = defaultdict(set)
    for ticket_id, metric, cycle, kind, at in _fetch(session, _KNOWN_SQL, lo, hi):
        out[ticket_id].add((metric, cycle, kind, _instant(at)))
    return out


CLOCK_COLUMNS = (
    "ticket_id",
    "metric",
    "cycle",
    "policy_id",
    "priority",
    "group_id",
    "state",
    "target_minutes",
    "business",
    "activated_at",
    "running_since",
    "due_at",
    "warn_at",
    "breached_at",
    "fulfilled_at",
    "business_minutes",
    "calendar_minutes",
    "evaluated_at",
)
EVENT_COLUMNS = ("ticket_id", "metric", "cycle", "kind", "at")
_TIMES = frozenset({*(c for c in CLOCK_COLUMNS if c.endswith(("_at", "_since"))), "at"})


_SUMMARY_SQL = "UPDATE tickets SET sla_due_at = ?, sla_warn_at = ?, sla_breached = ? WHERE id = ?"


def _stored_time(value: datetime | None, sqlite: bool) -> str | datetime | None:
    """How the column types store a UTC instant: naive, and on SQLite as fixed-width text."""
    if value is None:
        return None
    naive = value.replace(tzinfo=None)
    return naive.isoformat(sep=" ", timespec="microseconds") if sqlite else naive


def _rows(dicts: list[dict[str, Any]], columns: tuple[str, ...], sqlite: bool) -> list[tuple[Any, ...]]:
    return [tuple(_stored_time(d[c], sqlite) if c in _TIMES else d[c] for c in columns) for d in dicts]


def _insert_sql(table: str, columns: tuple[str, ...], sqlite: bool) -> str:
    mark = "?" if sqlite else "%s"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608


def _write(session: Session, lo: int, hi: int, writes: service.Writes) -> None:
    """The chunk's rows through the driver: bind processing per row would cost more than the SQL."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    session.execute(delete(SlaClock).where(SlaClock.ticket_id.between(lo, hi)))
    cursor = session.connection().connection.cursor()
    try:
        if writes.clocks:
            cursor.executemany(
                _insert_sql("sla_clocks", CLOCK_COLUMNS, sqlite), _rows(writes.clocks, CLOCK_COLUMNS, sqlite)
            )
        if writes.events:
            cursor.executemany(
                _insert_sql("sla_events", EVENT_COLUMNS, sqlite), _rows(writes.events, EVENT_COLUMNS, sqlite)
            )
        if writes.summaries:
            cursor.executemany(
                _SUMMARY_SQL.replace("?", "?" if sqlite else "%s"),
                [
                    (
                        _stored_time(r["due"], sqlite),
                        _stored_time(r["warn"], sqlite),
                        r["breached"],
                        r["ticket_id"],
                    )
                    for r in writes.summaries
                ],
            )
    finally:
        cursor.close()
    if writes.alarms:
        jobs.enqueue_many(session, writes.alarms)


def _recompute_range(
    db: Database,
    *,
    first: int,
    last: int,
    now: datetime,
    settings: Settings,
    chunk: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, int, int]:
    after, tickets, clocks, events = first - 1, 0, 0, 0
    while after < last:
        # Read and compute outside the write transaction: on SQLite that keeps the single write lock
        # for the few milliseconds the rows take to write, so parallel workers overlap.
        with db.unit_of_work(write=False) as session:
            ids = [i for i in _chunk_ids(session, after, chunk) if i <= last]
            if not ids:
                break
            lo, hi = ids[0], ids[-1]
            facts, histories, known = (
                _facts(session, lo, hi),
                _histories(session, lo, hi),
                _known(session, lo, hi),
            )
            writes = service.Writes()
            for ticket_id in ids:
                service.refresh(
                    session,
                    ticket_id,
                    now=now,
                    settings=settings,
                    new=True,
                    facts=facts[ticket_id],
                    history=histories.get(ticket_id, ()),
                    known=known.get(ticket_id, set()),
                    writes=writes,
                )
        with db.unit_of_work() as session:
            _write(session, lo, hi, writes)
        tickets += len(ids)
        clocks += len(writes.clocks)
        events += len(writes.events)
        after = hi
        if progress is not None:
            progress(len(ids))
    return tickets, clocks, events


def _worker(url: str, first: int, last: int, now: datetime, chunk: int) -> tuple[int, int, int]:
    db = Database.from_url(url, pool_size=2)
    try:
        return _recompute_range(
            db, first=first, last=last, now=now, settings=get_settings(), chunk=chunk, progress=None
        )
    finally:
        db.engine.dispose()


def recompute_all(
    db: Database,
    *,
    now: datetime,
    settings: Settings,
    chunk: int = 5000,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> RecomputeReport:
    """Recompute, store and schedule the clocks of every ticket as of ``now``; with ``workers`` > 1
    the id range is split between that many processes. ``progress`` gets the number of tickets done
    since its last call."""
    started = time.perf_counter()
    with db.unit_of_work(write=False) as session:
        low, high = session.execute(select(func.min(Ticket.id), func.max(Ticket.id))).one()
    if low is None:
        return RecomputeReport(0, 0, 0, time.perf_counter() - started)
    if workers <= 1:
        totals = _recompute_range(
            db, first=low, last=high, now=now, settings=settings, chunk=chunk, progress=progress
        )
    else:
        url = db.engine.url.render_as_string(hide_password=False)
        step = (high - low) // workers + 1
        ranges = [(low + i * step, min(high, low + (i + 1) * step - 1)) for i in range(workers)]
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            parts = list(pool.map(_worker, *zip(*((url, a, b, now, chunk) for a, b in ranges), strict=True)))
        totals = (sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts))
        if progress is not None:
            progress(totals[0])
    return RecomputeReport(*totals, seconds=time.perf_counter() - started)
