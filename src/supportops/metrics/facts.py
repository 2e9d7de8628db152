"""The per-ticket facts a report reads, as columns, exactly as they stood at an instant.

The columns come from the metrics snapshot (``snapshot.py``). A ticket's stored counters are its
state now; a ticket touched after the instant asked for is replayed from its event log up to that
instant, so a report as of a past instant sees what was true then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportops.metrics.snapshot import Snapshot
from supportops.tickets import counters
from supportops.tickets.enums import SOLVED_STATUSES, Status
from supportops.tickets.models import TicketEvent

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK = 900


@dataclass
class TicketFacts:
    """Every ticket as it stood at the report's instants: the snapshot's columns, with the tickets
    touched after ``as_of`` rewound. Coded columns index into ``labels``."""

    id: IntArray
    created: FloatArray
    first_response: FloatArray
    last_resolved: FloatArray
    solved_at_as_of: npt.NDArray[np.bool_]
    solved_at_end: npt.NDArray[np.bool_]
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
    labels: dict[str, list[str | None]]
    replayed_as_of: IntArray
    """Indexes of the tickets rewound to ``as_of``: their SLA clocks are read from the metric log."""

    def __len__(self) -> int:
        return len(self.id)

    def code(self, column: str, value: str | None) -> int:
        labels = self.labels.setdefault(column, [])
        if value in labels:
            return labels.index(value)
        labels.append(value)
        return len(labels) - 1


def facts_at(session: Session, snapshot: Snapshot, *, end: datetime, as_of: datetime) -> TicketFacts:
    solved_codes = [
        i for i, label in enumerate(snapshot.labels.get("status", [])) if label in SOLVED_STATUSES
    ]
    solved = np.isin(snapshot.status, solved_codes)
    facts = TicketFacts(
        id=snapshot.id,
        created=snapshot.created,
        first_response=snapshot.first_response.copy(),
        last_resolved=snapshot.last_resolved.copy(),
        solved_at_as_of=solved.copy(),
        solved_at_end=solved,
        reopens=snapshot.reopens.copy(),
        replies=snapshot.replies.copy(),
        escalations=snapshot.escalations.copy(),
        handle_seconds=snapshot.handle_seconds.copy(),
        priority=snapshot.priority.copy(),
        channel=snapshot.channel,
        category=snapshot.category.copy(),
        max_tier=snapshot.max_tier.copy(),
        group_id=snapshot.group_id.copy(),
        assignee_id=snapshot.assignee_id.copy(),
        organization_id=snapshot.organization_id,
        labels={k: list(v) for k, v in snapshot.labels.items()},
        replayed_as_of=np.array([], dtype=np.int64),
    )
    _replay(session, facts, snapshot.updated, as_of.timestamp(), end.timestamp())
    return facts


def _replay(session: Session, facts: TicketFacts, updated: FloatArray, as_of: float, end: float) -> None:
    """Rewind the tickets touched after ``as_of`` (or after ``end``, for the backlog's status)."""
    exists = facts.created <= max(as_of, end)
    after_as_of = np.flatnonzero((updated > as_of) & exists)
    after_end = np.flatnonzero((updated >= end) & exists)
    facts.replayed_as_of = after_as_of
    wanted = np.union1d(after_as_of, after_end)
    if len(wanted) == 0:
        return
    labels = facts.labels

    def label(column: str, code: int) -> Any:
        return labels[column][code] if 0 <= code < len(labels.get(column, [])) else None

    current = {
        int(facts.id[i]): {
            "priority": label("priority", int(facts.priority[i])),
            "category": label("category", int(facts.category[i])),
            "group_id": None if facts.group_id[i] < 0 else int(facts.group_id[i]),
            "assignee_id": None if facts.assignee_id[i] < 0 else int(facts.assignee_id[i]),
        }
        for i in wanted
    }
    position = {int(facts.id[i]): int(i) for i in wanted}
    as_of_set = {int(facts.id[i]) for i in after_as_of}
    end_set = {int(facts.id[i]) for i in after_end}
    for ticket_id, events in _events_of(session, list(position)):
        i = position[ticket_id]
        if ticket_id in as_of_set:
            state = _state_at(events, as_of, current[ticket_id])
            c = state.counters
            facts.first_response[i] = _s(c.first_response_at)
            facts.last_resolved[i] = _s(c.last_resolved_at)
            facts.solved_at_as_of[i] = state.status in SOLVED_STATUSES
            facts.reopens[i] = c.reopen_count
            facts.replies[i] = c.public_agent_replies
            facts.escalations[i] = c.escalations
            facts.handle_seconds[i] = c.handle_seconds
            facts.max_tier[i] = facts.code("max_tier", c.max_tier)
            facts.priority[i] = facts.code("priority", state.fields["priority"])
            facts.category[i] = facts.code("category", state.fields["category"])
            facts.group_id[i] = -1 if state.fields["group_id"] is None else state.fields["group_id"]
            facts.assignee_id[i] = -1 if state.fields["assignee_id"] is None else state.fields["assignee_id"]
        if ticket_id in end_set:
            facts.solved_at_end[i] = _state_at(events, end, current[ticket_id]).status in SOLVED_STATUSES


@dataclass
class _State:
    counters: counters.Counters
    status: str
    fields: dict[str, Any]


def _s(value: datetime | None) -> float:
    return np.nan if value is None else value.timestamp()


def _state_at(events: list[counters.LoggedEvent], instant: float, now: dict[str, Any]) -> _State:
    """Counters, status and tracked fields after the events at or before ``instant``."""
    fields = dict(now)
    seen: set[str] = set()
    for event in events:  # a field's value before its first change is that change's old value
        if event.kind == "change" and event.field in fields and event.field not in seen:
            fields[event.field] = event.old_value
            seen.add(event.field)
    c = counters.Counters()
    status = Status.new.value
    for event in events:
        if event.at.timestamp() > instant:
            break
        c = counters.apply(c, event)
        if event.kind == "change":
            if event.field == "status":
                status = str(event.new_value)
            elif event.field in fields:
                fields[event.field] = event.new_value
    return _State(c, status, fields)


def _events_of(session: Session, ids: list[int]) -> Iterable[tuple[int, list[counters.LoggedEvent]]]:
    columns = (
        TicketEvent.ticket_id,
        TicketEvent.kind,
        TicketEvent.at,
        TicketEvent.field,
        TicketEvent.old_value,
        TicketEvent.new_value,
        TicketEvent.data,
    )
    for first in range(0, len(ids), _CHUNK):
        chunk = ids[first : first + _CHUNK]
        stmt = (
            select(*columns)
            .where(TicketEvent.ticket_id.in_(chunk))
            .order_by(TicketEvent.ticket_id, TicketEvent.id)
        )
        current: int | None = None
        batch: list[counters.LoggedEvent] = []
        for ticket_id, kind, at, field, old, new, data in session.execute(stmt):
            if ticket_id != current:
                if current is not None:
                    yield current, batch
                current, batch = ticket_id, []
            batch.append(counters.LoggedEvent(kind, at, field, old, new, data))
        if current is not None:
            yield current, batch
