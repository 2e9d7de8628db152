"""Recompute every ticket's clocks: after an upgrade, an import, or to check the stored state.

Tickets are read a chunk at a time, in id order, with three range queries (fields, the events that
move clocks, the metric events on record); :mod:`supportops.sla.batch` computes the chunk's rows on
integer microseconds, exactly as the per-ticket path would; each chunk's rows are written with one
statement per table in one transaction, so memory stays flat and the database is never held long.
A full recomputation stays full: every clock of every ticket, closed or not, is computed from its
history; only the writing skips stored values that equal their recomputation.
"""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportops.config import Settings, get_settings
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.sla import batch, service
from supportops.tickets.models import Ticket


@dataclass(frozen=True)
class RecomputeReport:
    tickets: int
    clocks: int
    metric_events: int
    seconds: float


# Raw SQL on purpose: this path reads millions of rows, and letting the database pull the few JSON
# keys it needs (instead of decoding every JSON column in Python) is most of its speed. Instants
# come twice: as microseconds since the epoch for the arithmetic, and as stored, to be written back.
_MICROS = {
    # UTCDateTime stores fixed-width text on SQLite: "YYYY-MM-DD HH:MM:SS.ffffff".
    "sqlite": "(unixepoch(substr({0}, 1, 19)) * 1000000 + CAST(substr({0}, 21) AS INTEGER))",
    "postgresql": "(extract(epoch from {0}) * 1000000)::bigint",
}
_TICKETS_SQL = """
    SELECT t.id, t.priority, t.severity, t.channel, t.category, {tags}, t.organization_id, t.group_id,
           o.plan, t.sla_due_at, t.sla_warn_at, t.sla_breached
    FROM tickets t LEFT JOIN organizations o ON o.id = t.organization_id
    WHERE t.id > ? AND t.id <= ?
    ORDER BY t.id
    LIMIT ?"""
_HISTORY_SQL = """
    SELECT ticket_id, kind, {micros}, at, {value}
    FROM ticket_events
    WHERE ticket_id BETWEEN ? AND ?
      AND (kind IN ('created', 'message') OR (kind = 'change' AND field = 'status'))
    ORDER BY ticket_id, id"""
# The value the fold reads: a creation's status, a status change's new status, and the author kind
# of a public message (None for a private one).
_VALUE = {
    "sqlite": """CASE kind
        WHEN 'message' THEN
            CASE WHEN json_extract(data, '$.public') THEN json_extract(data, '$.author_kind') END
        WHEN 'change' THEN json_extract(new_value, '$')
        ELSE json_extract(data, '$.status') END""",
    "postgresql": """CASE kind
        WHEN 'message' THEN CASE WHEN (data ->> 'public')::boolean THEN data ->> 'author_kind' END
        WHEN 'change' THEN new_value #>> '{}'
        ELSE data ->> 'status' END""",
}
# The metric events on record, all kinds: the transitions are compared as stored (fixed-width text on
# SQLite, so equal text is an equal instant), warnings and breaches say which alarms have fired.
_KNOWN_SQL = "SELECT ticket_id, metric, cycle, kind, at FROM sla_events WHERE ticket_id BETWEEN ? AND ?"


@dataclass(frozen=True)
class _Dialect:
    tickets: str
    history: str
    known: str
    sqlite: bool

    @classmethod
    def of(cls, name: str) -> _Dialect:
        sqlite = name == "sqlite"
        micros = _MICROS[name].format("at")

        def marks(sql: str) -> str:
            return sql if sqlite else sql.replace("?", "%s")

        return cls(
            tickets=marks(_TICKETS_SQL.format(tags="t.tags" if sqlite else "t.tags::text")),
            history=marks(_HISTORY_SQL.format(micros=micros, value=_VALUE[name])),
            known=marks(_KNOWN_SQL),
            sqlite=sqlite,
        )


def _fetch(session: Session, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """Rows straight from the driver (plain tuples): no per-row result processing."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


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
_STORED_CLOCKS_SQL = f"SELECT {', '.join(CLOCK_COLUMNS[:-1])} FROM sla_clocks WHERE ticket_id BETWEEN ? AND ?"  # noqa: S608
_DROP_CLOCKS_SQL = "DELETE FROM sla_clocks WHERE ticket_id BETWEEN ? AND ?"
_DROP_CLOCK_SQL = "DELETE FROM sla_clocks WHERE ticket_id = ? AND metric = ? AND cycle = ?"
_EVALUATED_SQL = (
    "UPDATE sla_clocks SET evaluated_at = ? WHERE ticket_id BETWEEN ? AND ? AND evaluated_at <> ?"
)
_SUMMARY_SQL = "UPDATE tickets SET sla_due_at = ?, sla_warn_at = ?, sla_breached = ? WHERE id = ?"
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_DAYS: dict[int, str] = {}


def _stored_time(value: datetime | None, sqlite: bool) -> str | datetime | None:
    """How the column types store a UTC instant: naive, and on SQLite as fixed-width text."""
    if value is None:
        return None
    naive = value.replace(tzinfo=None)
    return naive.isoformat(sep=" ", timespec="microseconds") if sqlite else naive


def _sqlite_text(micros: int) -> str:
    """What ``_stored_time`` gives on SQLite for the instant ``micros`` after the epoch."""
    seconds, fraction = divmod(micros, 1_000_000)
    day, seconds = divmod(seconds, 86_400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = (_NAIVE_EPOCH + timedelta(days=day)).date().isoformat()
    hour, seconds = divmod(seconds, 3600)
    minute, second = divmod(seconds, 60)
    return f"{date} {hour:02d}:{minute:02d}:{second:02d}.{fraction:06d}"


def _naive(micros: int) -> datetime:
    return _NAIVE_EPOCH + _MICROSECOND * micros


def _insert_sql(table: str, columns: tuple[str, ...], sqlite: bool) -> str:
    mark = "?" if sqlite else "%s"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608


def _write(session: Session, lo: int, hi: int, rows: batch.Rows, now: Any) -> None:
    """The chunk's rows through the driver: bind processing per row would cost more than the SQL.

    Every clock was recomputed; a stored clock row that equals its recomputation in every column
    but ``evaluated_at`` is kept and only gets the new ``evaluated_at``. Rewriting it would touch
    each of the table's indexes for the same values, and most clocks (closed tickets') never change.
    Stored rows are read in this transaction, so nothing written meanwhile is missed.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_STORED_CLOCKS_SQL.replace("?", mark), (lo, hi))
        kept = set(cursor.fetchall())
        computed = set(rows.clocks)
        stale = [r[:3] for r in kept if r not in computed]
        if len(stale) * 4 > len(kept):  # mostly changed (a new policy): replace them all
            cursor.execute(_DROP_CLOCKS_SQL.replace("?", mark), (lo, hi))
            fresh = [(*r, now) for r in rows.clocks]
        else:
            if stale:
                cursor.executemany(_DROP_CLOCK_SQL.replace("?", mark), stale)
            fresh = [(*r, now) for r in rows.clocks if r not in kept]
            cursor.execute(_EVALUATED_SQL.replace("?", mark), (now, lo, hi, now))
        if fresh:
            cursor.executemany(_insert_sql("sla_clocks", CLOCK_COLUMNS, sqlite), fresh)
        if rows.events:
            cursor.executemany(_insert_sql("sla_events", EVENT_COLUMNS, sqlite), rows.events)
        if rows.summaries:
            cursor.executemany(_SUMMARY_SQL.replace("?", mark), rows.summaries)
    finally:
        cursor.close()
    if rows.alarms:
        jobs.enqueue_many(session, rows.alarms)


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
    dialect = _Dialect.of(db.engine.dialect.name)
    stored = _sqlite_text if dialect.sqlite else _naive
    now_stored = _stored_time(now, dialect.sqlite)
    policies = batch.Policies(settings)
    while after < last:
        with _collector_paused():
            found, rows = _chunk(db, dialect, after, last, chunk, now, policies, stored)
        if not found:
            break
        lo, hi = found[0][0], found[-1][0]
        with db.unit_of_work() as session, _collector_paused():
            _write(session, lo, hi, rows, now_stored)
        tickets += len(found)
        clocks += len(rows.clocks)
        events += len(rows.events)
        after = hi
        if progress is not None:
            progress(len(found))
    return tickets, clocks, events


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A chunk allocates hundreds of thousands of small tuples and lists, none of them in a
    reference cycle; the cyclic garbage collector would scan them over and over (it more than
    doubled the time of the fold). Whatever cycles the database layer makes are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunk(
    db: Database,
    dialect: _Dialect,
    after: int,
    last: int,
    chunk: int,
    now: datetime,
    policies: batch.Policies,
    stored: Callable[[int], Any],
) -> tuple[list[Any], batch.Rows]:
    """Read the next chunk of tickets after ``after`` and compute their rows. Outside the write
    transaction: on SQLite that keeps the single write lock for the few milliseconds the rows take
    to write, so parallel workers overlap."""
    with db.unit_of_work(write=False) as session:
        found = _fetch(session, dialect.tickets, (after, last, chunk))
        if not found:
            return found, batch.Rows()
        lo, hi = found[0][0], found[-1][0]
        policies.follow(service.policy_cache.get(session))
        known = _fetch(session, dialect.known, (lo, hi))
        rows = batch.compute(
            session,
            found,
            _fetch(session, dialect.history, (lo, hi)),
            known=set(known),
            fired={r[:4] for r in known if r[3] in ("warn", "breach")},
            now=now,
            policies=policies,
            stored=stored,
        )
        return found, rows


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
