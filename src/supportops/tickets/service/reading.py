"""Reading tickets: the API view, lists, timelines, and the counters as the log folds them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.orm import Session

from supportops.auth.enums import Scope
from supportops.auth.principal import Principal
from supportops.kit.clock import utc
from supportops.kit.errors import Forbidden, InvalidInput
from supportops.kit.pagination import Page, decode_cursor, encode_cursor
from supportops.tickets import counters, lifecycle, repository
from supportops.tickets.enums import Status
from supportops.tickets.errors import TicketNotFound
from supportops.tickets.events import SLA_SUMMARY
from supportops.tickets.models import Message, Ticket, TicketEvent, TimeEntry
from supportops.tickets.repository import DuePosition, Reader, TicketFilter, TicketOrder
from supportops.tickets.schemas import (
    TicketRead,
)

COUNTER_FIELDS = tuple(counters.Counters.__dataclass_fields__)


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else round((end - start).total_seconds() / 60, 3)


_COLUMNS = tuple(Ticket.__table__.columns.keys())


def to_read(ticket: Ticket | RowMapping | Mapping[str, Any], *, staff: bool = True) -> TicketRead:
    """The API view of a ticket, from an ORM object or a plain row; customers do not see the SLA
    summary, which is the team's internal commitment."""
    values = {c: getattr(ticket, c) for c in _COLUMNS} if isinstance(ticket, Ticket) else dict(ticket)
    if not staff:
        for name in SLA_SUMMARY:
            values.pop(name, None)
    status = Status(values["status"])
    created_at = values["created_at"]
    return TicketRead.model_validate(
        {
            **values,
            "status_category": lifecycle.category(status),
            "first_response_minutes": _minutes(created_at, values["first_response_at"]),
            "resolution_minutes": _minutes(created_at, values["last_resolved_at"]),
            "allowed_transitions": lifecycle.allowed(status, has_assignee=values["assignee_id"] is not None),
        }
    )


def get_ticket(session: Session, *, actor: Principal, ticket_id: int, for_update: bool = False) -> Ticket:
    actor.require(Scope.tickets_read)
    ticket = repository.get(session, ticket_id, principal=actor, for_update=for_update)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def read_ticket(source: Reader, *, actor: Principal, ticket_id: int) -> TicketRead:
    """A ticket for display only: a plain row, no ORM object."""
    actor.require(Scope.tickets_read)
    row = repository.get_row(source, ticket_id, principal=actor)
    if row is None:
        raise TicketNotFound(ticket_id)
    return to_read(row, staff=actor.is_staff)


def list_tickets(
    source: Reader, *, actor: Principal, filters: TicketFilter, cursor: str | None, limit: int
) -> Page[TicketRead]:
    actor.require(Scope.tickets_read)
    if (filters.sla is not None or filters.order == TicketOrder.sla_due) and not actor.is_staff:
        raise Forbidden("SLA filters and ordering are for agents, leads and admins.", field="sla")
    if filters.order == TicketOrder.sla_due:
        return _list_by_due(source, actor=actor, filters=filters, cursor=cursor, limit=limit)
    before_id = int(decode_cursor(cursor, keys=["before"])["before"]) if cursor else None
    rows = repository.list_page(
        source, principal=actor, filters=filters, before_id=before_id, limit=limit + 1
    )
    next_cursor = encode_cursor({"before": rows[limit - 1]["id"]}) if len(rows) > limit else None
    return Page(items=[to_read(r, staff=actor.is_staff) for r in rows[:limit]], next_cursor=next_cursor)


def _list_by_due(
    source: Reader, *, actor: Principal, filters: TicketFilter, cursor: str | None, limit: int
) -> Page[TicketRead]:
    after = None
    if cursor:
        position = decode_cursor(cursor, keys=["due", "after"])
        try:
            after = DuePosition(
                due=utc(datetime.fromisoformat(str(position["due"]))), id=int(position["after"])
            )
        except ValueError:
            raise InvalidInput("The cursor is damaged.", field="cursor") from None
    rows = repository.list_page(
        source, principal=actor, filters=filters, before_id=None, limit=limit + 1, after_due=after
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"due": last["sla_due_at"].isoformat(), "after": last["id"]})
    return Page(items=[to_read(r, staff=actor.is_staff) for r in rows[:limit]], next_cursor=next_cursor)


def list_messages(
    session: Session, *, actor: Principal, ticket: Ticket, cursor: str | None, limit: int
) -> Page[Message]:
    after_id = int(decode_cursor(cursor, keys=["after"])["after"]) if cursor else None
    rows = repository.list_messages(
        session, ticket.id, customer_view=not actor.is_staff, after_id=after_id, limit=limit + 1
    )
    next_cursor = encode_cursor({"after": rows[limit - 1].id}) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def timeline(
    session: Session, *, actor: Principal, ticket: Ticket, cursor: str | None, limit: int
) -> tuple[list[tuple[TicketEvent, Message | None]], str | None]:
    """Events in order, each message event paired with its message; customers see public ones only."""
    after_id = int(decode_cursor(cursor, keys=["after"])["after"]) if cursor else None
    events = repository.list_events(
        session, ticket.id, customer_view=not actor.is_staff, after_id=after_id, limit=limit + 1
    )
    next_cursor = encode_cursor({"after": events[limit - 1].id}) if len(events) > limit else None
    events = events[:limit]
    ids = [int(e.new_value) for e in events if e.kind == "message"]
    messages = repository.messages_by_id(session, ids)
    return [(e, messages.get(int(e.new_value)) if e.kind == "message" else None) for e in events], next_cursor


def event_log(session: Session, *, ticket_id: int) -> list[TicketEvent]:
    return repository.all_events(session, ticket_id)


def counters_of(ticket: Ticket) -> counters.Counters:
    return counters.Counters(**{f: getattr(ticket, f) for f in COUNTER_FIELDS})


def recompute_counters(session: Session, *, ticket_id: int) -> counters.Counters:
    """Fold the stored event log: what the counters must equal."""
    return counters.recompute(
        counters.LoggedEvent(e.kind, e.at, e.field, e.old_value, e.new_value, e.data)
        for e in repository.all_events(session, ticket_id)
    )


def list_time_entries(session: Session, *, ticket: Ticket) -> list[TimeEntry]:
    return repository.list_time_entries(session, ticket.id)
