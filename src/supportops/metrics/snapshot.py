"""A columnar copy of the facts reports read: every ticket's counters, every SLA clock's outcome,
every CSAT answer and every time entry, as numpy arrays, kept up to date by deltas.

Reading a million tickets row by row through a database driver takes seconds; reading the same
columns from this copy takes milliseconds. The copy is exact, not sampled:

- It is built once from the database (``build``), saved to the cache folder as one file (``kept.py``),
  and brought up to date before each use (``refresh``) by re-reading what changed since: tickets
  whose ``updated_at`` (bumped by every ticket event) or clocks whose ``evaluated_at`` moved past
  the watermark, new CSAT answers and new time entries. The watermark is moved back by a margin so
  a transaction that committed late, with an earlier timestamp, is still seen.
- Writers that change history in bulk with old timestamps (the history import, the demo loader)
  bump a generation number (``invalidate``); a copy of an older generation is rebuilt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from supportops.metrics.kept import (
    Kept,
    Registry,
    changed_after,
    epochs,
    load_arrays,
    raw_time,
    read_columns,
    save_arrays,
)
from supportops.metrics.models import OpsSetting
from supportops.routing.models import PresenceChange
from supportops.sla.models import SlaClock
from supportops.surveys.models import CsatSurvey
from supportops.tickets.models import Ticket, TimeEntry

log = logging.getLogger(__name__)

FORMAT = 2
GENERATION_KEY = "facts_generation"
TIME_ENTRY_MARGIN = 10_000
"""Time entries are append-only; the newest ids below the last seen id are read again, in case
one committed after a higher id did."""
CLOCK_METRICS = ("first_response", "next_response", "periodic_update", "resolution")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Snapshot:
    """Parallel arrays; tickets sorted by id. Times are epoch seconds, NaN when absent; ids are -1
    when absent; coded columns index into ``labels``."""

    # tickets
    id: IntArray
    created: FloatArray
    first_response: FloatArray
    last_resolved: FloatArray
    updated: FloatArray
    status: IntArray
    reopens: IntArray
    replies: IntArray
    escalations: IntArray
    handle_seconds: FloatArray
    priority: IntArray
    channel: IntArray
    category: IntArray
    max_tier: IntArray
    group_id: IntArray
    assignee_id: IntArray
    organization_id: IntArray
    # SLA clocks
    clock_ticket: IntArray
    clock_metric: IntArray
    clock_fulfilled: FloatArray
    """When a clock in state ``fulfilled`` was fulfilled; NaN otherwise."""
    clock_breached: FloatArray
    # CSAT answers
    rating_id: IntArray
    rating_ticket: IntArray
    rating_at: FloatArray
    rating_score: IntArray
    # time entries
    time_id: IntArray
    time_agent: IntArray
    time_at: FloatArray
    time_seconds: FloatArray
    # presence log
    presence_id: IntArray
    presence_agent: IntArray
    presence_at: FloatArray
    presence_online: IntArray
    """1 for a change to online, 0 for away or offline."""
    labels: dict[str, list[str | None]] = field(default_factory=dict)
    generation: int = 0
    ticket_mark: float = float("-inf")
    clock_mark: float = float("-inf")
    rating_mark: float = float("-inf")
    time_mark: int = 0
    presence_mark: int = 0
    read_at: float = float("-inf")
    """Wall-clock time (epoch seconds) at which the copy's last read began."""

    @property
    def tickets(self) -> int:
        return len(self.id)


_TICKET_ARRAYS = [
    "id",
    "created",
    "first_response",
    "last_resolved",
    "updated",
    "status",
    "reopens",
    "replies",
    "escalations",
    "handle_seconds",
    "priority",
    "channel",
    "category",
    "max_tier",
    "group_id",
    "assignee_id",
    "organization_id",
]
_CLOCK_ARRAYS = ("clock_ticket", "clock_metric", "clock_fulfilled", "clock_breached")
_RATING_ARRAYS = ("rating_id", "rating_ticket", "rating_at", "rating_score")
_TIME_ARRAYS = ("time_id", "time_agent", "time_at", "time_seconds")
_PRESENCE_ARRAYS = ("presence_id", "presence_agent", "presence_at", "presence_online")
_ARRAYS = (*_TICKET_ARRAYS, *_CLOCK_ARRAYS, *_RATING_ARRAYS, *_TIME_ARRAYS, *_PRESENCE_ARRAYS)


# -- reading the database -------------------------------------------------------------------------


def _ints(values: Sequence[Any]) -> IntArray:
    return np.array([-1 if v is None else v for v in values], dtype=np.int64)


def _ticket_rows(
    session: Session, where: ColumnElement[bool] | None, labels: dict[str, list[str | None]]
) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    t = Ticket
    cols = (
        t.id,
        raw_time(t.created_at, dialect),
        raw_time(t.first_response_at, dialect),
        raw_time(t.last_resolved_at, dialect),
        raw_time(t.updated_at, dialect),
        t.status,
        t.reopen_count,
        t.public_agent_replies,
        t.escalations,
        t.handle_seconds,
        t.priority,
        t.channel,
        t.category,
        t.max_tier,
        t.group_id,
        t.assignee_id,
        t.organization_id,
    )
    # A delta is read in index order and sorted by the merge; ordering it by id would scan the table.
    stmt = select(*cols).order_by(t.id) if where is None else select(*cols).where(where)
    c = read_columns(session, stmt)
    out: dict[str, Any] = {
        "id": np.array(c[0], dtype=np.int64),
        "created": epochs(c[1], dialect),
        "first_response": epochs(c[2], dialect),
        "last_resolved": epochs(c[3], dialect),
        "updated": epochs(c[4], dialect),
        "reopens": np.array(c[6], dtype=np.int64),
        "replies": np.array(c[7], dtype=np.int64),
        "escalations": np.array(c[8], dtype=np.int64),
        "handle_seconds": np.array(c[9], dtype=np.float64),
        "group_id": _ints(c[14]),
        "assignee_id": _ints(c[15]),
        "organization_id": _ints(c[16]),
    }
    for name, values in (
        ("status", c[5]),
        ("priority", c[10]),
        ("channel", c[11]),
        ("category", c[12]),
        ("max_tier", c[13]),
    ):
        known = labels.setdefault(name, [])
        lookup = {v: i for i, v in enumerate(known)}
        codes = np.fromiter(
            (lookup.setdefault(v, len(lookup)) for v in values), dtype=np.int64, count=len(values)
        )
        known.extend(list(lookup)[len(known) :])  # the values first seen here, in code order
        out[name] = codes
    return out


def _clock_rows(session: Session, tickets: Iterable[int] | None) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    fulfilled = raw_time(SlaClock.fulfilled_at, dialect)
    cols = (
        SlaClock.ticket_id,
        SlaClock.metric,
        SlaClock.state,
        fulfilled,
        raw_time(SlaClock.breached_at, dialect),
    )
    if tickets is None:
        parts = [read_columns(session, select(*cols).order_by(SlaClock.ticket_id))]
    else:
        ids = sorted(set(tickets))
        parts = [
            read_columns(session, select(*cols).where(SlaClock.ticket_id.in_(ids[i : i + 900])))
            for i in range(0, len(ids), 900)
        ]
    c = [[v for part in parts for v in part[k]] for k in range(len(cols))]
    metric_code = {m: i for i, m in enumerate(CLOCK_METRICS)}
    done = epochs(c[3], dialect)
    done[np.array([s != "fulfilled" for s in c[2]], dtype=bool)] = np.nan
    return {
        "clock_ticket": np.array(c[0], dtype=np.int64),
        "clock_metric": np.array([metric_code.get(m, -1) for m in c[1]], dtype=np.int64),
        "clock_fulfilled": done,
        "clock_breached": epochs(c[4], dialect),
    }


def _rating_rows(session: Session, since: ColumnElement[bool] | None) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    cols = (CsatSurvey.id, CsatSurvey.ticket_id, raw_time(CsatSurvey.answered_at, dialect), CsatSurvey.score)
    stmt = select(*cols).where(CsatSurvey.score.is_not(None), CsatSurvey.answered_at.is_not(None))
    stmt = stmt.order_by(CsatSurvey.id) if since is None else stmt.where(since)
    c = read_columns(session, stmt)
    return {
        "rating_id": np.array(c[0], dtype=np.int64),
        "rating_ticket": np.array(c[1], dtype=np.int64),
        "rating_at": epochs(c[2], dialect),
        "rating_score": np.array(c[3], dtype=np.int64),
    }


def _time_rows(session: Session, after_id: int | None) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    cols = (TimeEntry.id, TimeEntry.agent_id, raw_time(TimeEntry.started_at, dialect), TimeEntry.seconds)
    stmt = select(*cols).order_by(TimeEntry.id)
    if after_id is not None:
        stmt = stmt.where(TimeEntry.id > after_id)
    c = read_columns(session, stmt)
    return {
        "time_id": np.array(c[0], dtype=np.int64),
        "time_agent": np.array(c[1], dtype=np.int64),
        "time_at": epochs(c[2], dialect),
        "time_seconds": np.array(c[3], dtype=np.float64),
    }


def _presence_rows(session: Session, after_id: int | None) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    p = PresenceChange
    cols = (p.id, p.agent_id, raw_time(p.at, dialect), p.state)
    stmt = select(*cols).order_by(p.id)
    if after_id is not None:
        stmt = stmt.where(p.id > after_id)
    c = read_columns(session, stmt)
    return {
        "presence_id": np.array(c[0], dtype=np.int64),
        "presence_agent": np.array(c[1], dtype=np.int64),
        "presence_at": epochs(c[2], dialect),
        "presence_online": np.array([state == "online" for state in c[3]], dtype=np.int64),
    }


def generation(session: Session) -> int:
    row = session.get(OpsSetting, GENERATION_KEY)
    return int(row.value.get("n", 0)) if row is not None else 0


def invalidate(session: Session, *, now: datetime) -> None:
    """Writers that change history with old timestamps call this; the next use rebuilds."""
    row = session.get(OpsSetting, GENERATION_KEY)
    if row is None:
        session.add(OpsSetting(key=GENERATION_KEY, value={"n": 1}, updated_at=now))
    else:
        row.value, row.updated_at = {"n": int(row.value.get("n", 0)) + 1}, now
    session.flush()


def _marks(s: Snapshot) -> None:
    s.ticket_mark = float(np.nanmax(s.updated)) if s.tickets else float("-inf")
    s.rating_mark = float(np.nanmax(s.rating_at)) if len(s.rating_at) else float("-inf")
    s.time_mark = int(s.time_id.max()) if len(s.time_id) else 0
    s.presence_mark = int(s.presence_id.max()) if len(s.presence_id) else 0


def _clock_mark(session: Session) -> float:
    value = session.scalar(select(func.max(SlaClock.evaluated_at)))
    return value.timestamp() if value is not None else float("-inf")


def build(session: Session) -> Snapshot:
    """Read everything: the slow path, taken once per generation."""
    labels: dict[str, list[str | None]] = {}
    read_at = time.time()
    gen = generation(session)
    clock_mark = _clock_mark(session)
    arrays = {
        **_ticket_rows(session, None, labels),
        **_clock_rows(session, None),
        **_rating_rows(session, None),
        **_time_rows(session, None),
        **_presence_rows(session, None),
    }
    snapshot = Snapshot(**arrays, labels=labels, generation=gen, read_at=read_at)
    _marks(snapshot)
    snapshot.clock_mark = clock_mark
    return snapshot


def _replaced(
    snapshot: Snapshot, fresh: dict[str, Any], names: Sequence[str], gone: IntArray | None = None
) -> dict[str, Any]:
    """The snapshot's arrays ``names`` with the rows whose key (the first name) is re-read, or is
    in ``gone``, replaced by ``fresh``."""
    if len(fresh[names[0]]) == 0 and (gone is None or len(gone) == 0):
        return {name: getattr(snapshot, name) for name in names}
    keep = ~np.isin(getattr(snapshot, names[0]), fresh[names[0]] if gone is None else gone)
    return {name: np.concatenate((getattr(snapshot, name)[keep], fresh[name])) for name in names}


def refresh(session: Session, snapshot: Snapshot) -> tuple[Snapshot, int]:
    """Bring a copy up to date; returns it and how many tickets were re-read."""
    if snapshot.generation != generation(session):
        return build(session), -1
    read_at = time.time()
    ticket_since = changed_after(Ticket.updated_at, snapshot.ticket_mark, snapshot.read_at)
    clock_since = changed_after(SlaClock.evaluated_at, snapshot.clock_mark, snapshot.read_at)
    new_clock_mark = _clock_mark(session)
    max_id = int(snapshot.id.max()) if snapshot.tickets else 0
    fresh = _ticket_rows(session, Ticket.id > max_id, snapshot.labels)
    if ticket_since is not None:  # two indexed reads, not one OR that scans the table
        moved = _ticket_rows(session, ticket_since, snapshot.labels)
        fresh = {name: np.concatenate((moved[name], fresh[name])) for name in fresh}
        _, first = np.unique(fresh["id"], return_index=True)  # a new ticket can be in both
        fresh = {name: column[first] for name, column in fresh.items()}
    changed_clocks: set[int] = set(int(i) for i in fresh["id"])
    if clock_since is not None:
        stmt = select(SlaClock.ticket_id).where(clock_since)  # no DISTINCT: it would scan the table
        changed_clocks.update(int(t) for t in session.scalars(stmt))
    # Tickets: replace by id, kept sorted by id.
    merged = _replaced(snapshot, fresh, _TICKET_ARRAYS)
    if len(fresh["id"]):
        order = np.argsort(merged["id"], kind="stable")
        merged = {name: column[order] for name, column in merged.items()}
    # Clocks: every clock of a changed ticket is read again.
    if len(changed_clocks) > max(1000, snapshot.tickets // 5):
        merged.update(_clock_rows(session, None))  # most clocks moved (a recompute): read them all
    else:
        gone = np.fromiter(changed_clocks, dtype=np.int64)
        merged.update(_replaced(snapshot, _clock_rows(session, changed_clocks), _CLOCK_ARRAYS, gone))
    # Ratings: answers since the mark replace by survey id. Time entries and presence changes are
    # append-only; the last stretch of ids is read again.
    ratings = _rating_rows(
        session, changed_after(CsatSurvey.answered_at, snapshot.rating_mark, snapshot.read_at)
    )
    merged.update(_replaced(snapshot, ratings, _RATING_ARRAYS))
    entries = _time_rows(session, max(0, snapshot.time_mark - TIME_ENTRY_MARGIN))
    merged.update(_replaced(snapshot, entries, _TIME_ARRAYS))
    changes = _presence_rows(session, max(0, snapshot.presence_mark - TIME_ENTRY_MARGIN))
    merged.update(_replaced(snapshot, changes, _PRESENCE_ARRAYS))
    result = Snapshot(**merged, labels=snapshot.labels, generation=snapshot.generation)
    if result.tickets != session.scalar(select(func.count()).select_from(Ticket)):
        # Rows went away (a restore, a truncation): deltas cannot say which; read everything.
        return build(session), -1
    _marks(result)
    result.clock_mark = max(new_clock_mark, snapshot.clock_mark)
    result.read_at = read_at
    return result, len(fresh["id"])


# -- keeping copies -------------------------------------------------------------------------------


def save(snapshot: Snapshot, path: Path) -> None:
    """Atomically: a reader sees the old file or the new one."""
    meta = {
        "format": FORMAT,
        "labels": snapshot.labels,
        "generation": snapshot.generation,
        "ticket_mark": snapshot.ticket_mark,
        "clock_mark": snapshot.clock_mark,
        "rating_mark": snapshot.rating_mark,
        "time_mark": snapshot.time_mark,
        "presence_mark": snapshot.presence_mark,
        "read_at": snapshot.read_at,
    }
    save_arrays(path, meta, {n: getattr(snapshot, n) for n in _ARRAYS})


def load(path: Path) -> Snapshot | None:
    """The saved copy, or None when there is none or it is unreadable or of another format."""
    found = load_arrays(path, _ARRAYS, FORMAT)
    if found is None:
        return None
    meta, arrays = found
    return Snapshot(
        **arrays,
        labels=meta["labels"],
        generation=meta["generation"],
        ticket_mark=meta["ticket_mark"],
        clock_mark=meta["clock_mark"],
        rating_mark=meta["rating_mark"],
        time_mark=meta["time_mark"],
        presence_mark=meta["presence_mark"],
        read_at=meta.get("read_at", float("-inf")),
    )


class Store(Kept[Snapshot]):
    """One process's copy per database, backed by a file ``facts-*.cols`` in ``folder`` (None: memory
    only), written again once ``save_after`` tickets changed since it was written."""

    def __init__(self, folder: Path | None, save_after: int = 20_000) -> None:
        super().__init__(folder, "facts", load, save, save_after)

    def current(self, session: Session, *, progress: Callable[[str], None] | None = None) -> Snapshot:
        def update(held: Snapshot | None) -> tuple[Snapshot, int]:
            if held is not None:
                return refresh(session, held)
            if progress:
                progress("building the metrics snapshot from the database (once)")
            return build(session), -1

        return self.kept(session, update)


store_for = Registry(Store)
forget_all = store_for.forget_all
