"""The tickets the detectors look at, and the reads they share.

Resolution-based detectors judge the report's resolved set: tickets whose last resolution falls in
``[start, end)`` (and not after ``as_of``) and that are solved now. It is read once, as plain rows
of counter columns, with one range scan on the indexed ``last_resolved_at``; each detector narrows
it down in memory and reads events, messages or clocks only for the few tickets left, by id. The
CSAT ratings and the public agent replies of the resolved set are read once too, for the detectors
that need them. Reads are Core selects, never ORM objects, and pull JSON keys out in SQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Float, Select, String, Table, and_, func, literal_column, select
from sqlalchemy import type_coerce as coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from supportops.auth.models import Group, User
from supportops.knowledge.models import ArticleLink
from supportops.metrics.findings.text import reply_key
from supportops.metrics.periods import Period
from supportops.sla.models import SlaClock, SlaEvent
from supportops.surveys.models import CsatSurvey
from supportops.tickets.enums import STATUS_CATEGORY, AuthorKind, StatusCategory
from supportops.tickets.models import Message, Ticket, TicketEvent

TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]
EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]
SURVEYS: Table = CsatSurvey.__table__  # type: ignore[assignment]
SLA_EVENTS: Table = SlaEvent.__table__  # type: ignore[assignment]
SLA_CLOCKS: Table = SlaClock.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]
GROUPS: Table = Group.__table__  # type: ignore[assignment]

SOLVED = tuple(s.value for s, c in STATUS_CATEGORY.items() if c == StatusCategory.solved)
_CHUNK = 900
"""Ids per IN list. PostgreSQL plans a list of a few hundred ids as index lookups but may scan the
table for thousands; SQLite (32,766 parameters at most) is indifferent."""


class instant(FunctionElement[float]):
    """A timestamp column as seconds since the Unix epoch, computed by the database: events and
    durations are compared as numbers, without a datetime object per row."""

    type = Float()
    inherit_cache = True


@compiles(instant, "sqlite")
def _instant_sqlite(element: instant, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"((julianday({compiler.process(column, **kw)}) - 2440587.5) * 86400.0)"


@compiles(instant, "postgresql")
def _instant_postgresql(element: instant, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(column, **kw)}) AS DOUBLE PRECISION)"


def has_linked_article() -> ColumnElement[bool]:
    """Whether a ticket links a knowledge-base article (linked, answered with, or drafted from)."""
    return select(ArticleLink.id).where(ArticleLink.ticket_id == Ticket.id).exists()


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


class Resolved(NamedTuple):
    """The counter columns of one resolved ticket."""

    id: int
    solve_seconds: float
    """Creation to first resolution."""
    reopens: int
    agent_stations: int
    group_stations: int
    escalations: int
    agent_replies: int
    assignee: int | None
    group: int | None
    category: str | None
    priority: str
    channel: str
    subject: str


class Reply(NamedTuple):
    """A public human-agent message on a resolved ticket, with the ticket's channel."""

    ticket_id: int
    author_id: int | None
    channel: str
    body: str


@dataclass
class Scope:
    session: Session
    period: Period
    evidence_limit: int
    _tickets: list[Resolved] | None = field(default=None, repr=False)
    _ratings: dict[int, list[int]] | None = field(default=None, repr=False)
    _replies: list[Reply] | None = field(default=None, repr=False)
    _keys: list[str] | None = field(default=None, repr=False)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    @property
    def resolved(self) -> ColumnElement[bool]:
        p = self.period
        return and_(
            TICKETS.c.last_resolved_at >= p.start,
            TICKETS.c.last_resolved_at < p.end,
            TICKETS.c.last_resolved_at <= p.as_of,
            # `|| ''` keeps SQLite (which has no statistics) off the status index: "solved" matches
            # nearly every ticket, the period's range on last_resolved_at a month of them.
            (TICKETS.c.status + "").in_(SOLVED),
        )

    def resolved_ids(self, *where: ColumnElement[bool]) -> Select[int]:
        """The resolved tickets' ids, for ``column.in_(...)``. Reaching child rows (events, messages,
        ratings) through IN rather than a join keeps SQLite, which plans without statistics, on
        the period's index range instead of scanning the child table."""
        return select(TICKETS.c.id).where(self.resolved, *where)

    @property
    def backlog_at(self) -> datetime:
        """The instant the backlog is judged at: the period's end, or now for a running period."""
        return min(self.period.end, self.period.as_of)

    def tickets(self) -> list[Resolved]:
        """The resolved tickets, read once per run."""
        if self._tickets is None:
            t = TICKETS
            rows = self.session.execute(
                select(
                    t.c.id,
                    instant(t.c.first_resolved_at) - instant(t.c.created_at),
                    t.c.reopen_count,
                    t.c.agent_stations,
                    t.c.group_stations,
                    t.c.escalations,
                    t.c.public_agent_replies,
                    t.c.assignee_id,
                    t.c.group_id,
                    t.c.category,
                    t.c.priority,
                    t.c.channel,
                    t.c.subject,
                ).where(self.resolved)
            )
            self._tickets = [Resolved(*row) for row in rows]
        return self._tickets

    def ratings(self) -> dict[int, list[int]]:
        """The answered CSAT scores of the resolved tickets, by ticket."""
        if self._ratings is None:
            found: dict[int, list[int]] = defaultdict(list)
            rows = self.session.execute(
                select(SURVEYS.c.ticket_id, SURVEYS.c.score).where(
                    SURVEYS.c.ticket_id.in_(self.resolved_ids()), SURVEYS.c.score.is_not(None)
                )
            )
            for ticket_id, score in rows:
                found[ticket_id].append(int(score))
            self._ratings = dict(found)
        return self._ratings

    def low_rated(self, low_score_max: int) -> set[int]:
        return {i for i, scores in self.ratings().items() if min(scores) <= low_score_max}

    def agent_replies(self) -> list[Reply]:
        """The public human-agent replies on the resolved tickets, read once per run."""
        if self._replies is None:
            m = MESSAGES
            channel = {r.id: r.channel for r in self.tickets()}
            rows = self.session.execute(
                select(m.c.ticket_id, m.c.author_id, m.c.body).where(
                    m.c.ticket_id.in_(self.resolved_ids()),
                    m.c.public.is_(True),
                    m.c.author_kind == AuthorKind.agent.value,
                )
            )
            self._replies = [Reply(i, author, channel.get(i, ""), body) for i, author, body in rows]
        return self._replies

    def reply_keys(self) -> list[str]:
        """:func:`reply_key` of each of :meth:`agent_replies`, in the same order."""
        if self._keys is None:
            self._keys = [reply_key(r.body) for r in self.agent_replies()]
        return self._keys

    def cut(self, ordered: Sequence[int]) -> list[int]:
        return list(ordered[: self.evidence_limit])

    def emails(self, user_ids: Iterable[int | None]) -> dict[int, str]:
        found: dict[int, str] = {}
        for part in chunks(u for u in user_ids if u is not None):
            rows = self.session.execute(select(USERS.c.id, USERS.c.email).where(USERS.c.id.in_(part)))
            found.update((user_id, email) for user_id, email in rows)
        return found

    def group_names(self, group_ids: Iterable[int | None]) -> dict[int, str]:
        found: dict[int, str] = {}
        for part in chunks(g for g in group_ids if g is not None):
            rows = self.session.execute(select(GROUPS.c.id, GROUPS.c.name).where(GROUPS.c.id.in_(part)))
            found.update((group_id, name) for group_id, name in rows)
        return found
