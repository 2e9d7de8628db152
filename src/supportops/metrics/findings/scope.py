"""The tickets the detectors look at, and the columns they share.

Resolution-based detectors judge the report's resolved set: tickets whose last resolution falls in
``[start, end)`` (and not after ``as_of``) and that are solved now. The set is picked from the
metrics snapshot's columns, and each detector reads the per-ticket facts of ``columns.py`` for it,
as arrays aligned with the set: no detector reads the event log or the messages itself. The few
reads left (names of agents and groups, the article links, fired breach alarms) are Core selects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, String, Table, func, literal_column, select
from sqlalchemy import type_coerce as coerce
from sqlalchemy.orm import Session

from supportops.auth.models import Group, User
from supportops.metrics.periods import Period
from supportops.metrics.snapshot import Snapshot
from supportops.sla.models import SlaEvent
from supportops.tickets.enums import SOLVED_STATUSES
from supportops.tickets.models import Message, Ticket, TicketEvent

if TYPE_CHECKING:
    from supportops.metrics.findings.columns import Columns

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]
EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]
SLA_EVENTS: Table = SlaEvent.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]
GROUPS: Table = Group.__table__  # type: ignore[assignment]

_CHUNK = 900
"""Ids per IN list. PostgreSQL plans a list of a few hundred ids as index lookups but may scan the
table for thousands; SQLite (32,766 parameters at most) is indifferent."""


def json_text(column: Any, dialect: str) -> ColumnElement[str]:
    """A JSON column holding a scalar (a status or an id in ``new_value``) as text."""
    if dialect == "postgresql":
        return coerce(column.op("#>>")(literal_column("'{}'")), String)
    return coerce(func.json_extract(column, "$"), String)


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


def ranked(counts: Counter[Any], names: dict[Any, str], limit: int = 10) -> list[str]:
    """Names by count, most first, ties by name; unknown keys (None: unassigned) are skipped."""
    known = [(n, names[k]) for k, n in counts.items() if k in names]
    return [name for _, name in sorted(known, key=lambda x: (-x[0], x[1]))][:limit]


def percent(value: float) -> str:
    return f"{value * 100:.0f}%" if value >= 0.1 or value == 0 else f"{value * 100:.1f}%"


def rated(low_score_max: int) -> str:
    return "rated 1" if low_score_max == 1 else f"rated 1-{low_score_max}"


@dataclass
class Scope:
    """The period's resolved tickets, as rows of the snapshot and of the facts, sorted by id."""

    session: Session
    period: Period
    evidence_limit: int
    snapshot: Snapshot
    facts: Columns
    text_facts: Columns | None = None
    """Facts matched with this run's texts, when they differ from the kept facts' texts."""
    rows: IntArray = field(init=False, repr=False)
    """Snapshot rows of the resolved tickets."""
    ids: IntArray = field(init=False, repr=False)
    fact_rows: IntArray = field(init=False, repr=False)
    _min_score: IntArray | None = field(default=None, init=False, repr=False)
    _rated: tuple[IntArray, npt.NDArray[np.bool_]] | None = field(default=None, init=False, repr=False)
    _index: IntArray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        s, p = self.snapshot, self.period
        solved = [i for i, label in enumerate(s.labels.get("status", [])) if label in SOLVED_STATUSES]
        last = s.last_resolved
        mask = (
            (last >= p.start.timestamp())
            & (last < p.end.timestamp())
            & (last <= p.as_of.timestamp())
            & np.isin(s.status, solved)
        )
        rows = np.flatnonzero(mask)
        found, ok = locate(self.facts["id"], s.id[rows])
        self.rows, self.fact_rows = rows[ok], found[ok]
        self.ids = s.id[self.rows]
        # Ticket ids are dense: an array indexed by id finds a ticket in one step, where a binary
        # search over a million ids takes twenty.
        top = int(s.id[-1]) if len(s.id) else 0
        if top <= 4 * len(s.id) + 1_000_000:
            self._index = np.full(top + 1, -1, dtype=np.int64)
            self._index[self.ids] = np.arange(len(self.ids))

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def texts(self) -> Columns:
        return self.text_facts if self.text_facts is not None else self.facts

    def column(self, name: str) -> npt.NDArray[Any]:
        """A snapshot column of the resolved tickets."""
        return getattr(self.snapshot, name)[self.rows]  # type: ignore[no-any-return]

    def fact(self, name: str) -> npt.NDArray[Any]:
        """A column of the facts' ticket table, for the resolved tickets."""
        return self.facts[name][self.fact_rows]

    def label(self, column: str, code: int) -> str | None:
        return self.snapshot.labels[column][code] if code >= 0 else None

    def position(self, ticket_ids: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """Each ticket's index in the resolved set, and whether it is in the set at all."""
        if self._index is None:
            return locate(self.ids, ticket_ids)
        inside = (ticket_ids >= 0) & (ticket_ids < len(self._index))
        at = np.full(len(ticket_ids), -1, dtype=np.int64)
        at[inside] = self._index[ticket_ids[inside]]
        return np.maximum(at, 0), at >= 0

    def _rating_positions(self) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """:meth:`position` of each CSAT answer's ticket."""
        if self._rated is None:
            self._rated = self.position(self.snapshot.rating_ticket)
        return self._rated

    def min_score(self) -> IntArray:
        """Each resolved ticket's lowest answered CSAT score; 99 where it has none."""
        if self._min_score is None:
            at, ok = self._rating_positions()
            low = np.full(len(self.ids), 99, dtype=np.int64)
            np.minimum.at(low, at[ok], self.snapshot.rating_score[ok])
            self._min_score = low
        return self._min_score

    def ratings(self) -> tuple[IntArray, IntArray]:
        """Per resolved ticket: its answered CSAT ratings, and how many of them scored 4 or 5."""
        at, ok = self._rating_positions()
        good = self.snapshot.rating_score[ok] >= 4
        n = np.bincount(at[ok], minlength=len(self.ids))
        return n.astype(np.int64), np.bincount(at[ok], weights=good, minlength=len(self.ids)).astype(np.int64)

    @property
    def backlog_at(self) -> datetime:
        """The instant the backlog is judged at: the period's end, or now for a running period."""
        return min(self.period.end, self.period.as_of)

    def cut(self, ordered: Sequence[int] | IntArray) -> list[int]:
        return [int(i) for i in ordered[: self.evidence_limit]]

    def emails(self, user_ids: Iterable[int | None]) -> dict[int, str]:
        found: dict[int, str] = {}
        for part in chunks(int(u) for u in user_ids if u is not None and u >= 0):
            rows = self.session.execute(select(USERS.c.id, USERS.c.email).where(USERS.c.id.in_(part)))
            found.update((user_id, email) for user_id, email in rows)
        return found

    def group_names(self, group_ids: Iterable[int | None]) -> dict[int, str]:
        found: dict[int, str] = {}
        for part in chunks(int(g) for g in group_ids if g is not None and g >= 0):
            rows = self.session.execute(select(GROUPS.c.id, GROUPS.c.name).where(GROUPS.c.id.in_(part)))
            found.update((group_id, name) for group_id, name in rows)
        return found


def locate(sorted_ids: IntArray, ids: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """The index of each of ``ids`` in ``sorted_ids``, and whether it is there."""
    at = np.searchsorted(sorted_ids, ids)
    if len(sorted_ids) == 0:
        return at, np.zeros(len(ids), dtype=bool)
    inside = at < len(sorted_ids)
    ok = inside & (sorted_ids[np.minimum(at, len(sorted_ids) - 1)] == ids)
    return at, ok
