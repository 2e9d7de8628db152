"""Ticket changes mark the ticket; its clocks are recomputed once, just before the commit. A new
ticket's clocks are computed before its row is written, which then carries their summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from supportops.events.bus import subscribe
from supportops.sla import service
from supportops.tickets.events import (
    MessagePosted,
    TicketChanged,
    TicketCreated,
    TicketPrepared,
    TicketStatusChanged,
)


@subscribe(TicketPrepared)
def _prepared(session: Session, e: TicketPrepared) -> None:
    e.columns.update(service.prepare(session, e.at, fields=e.fields, history=e.history, notes=e.notes))


@subscribe(TicketCreated)
def _created(session: Session, e: TicketCreated) -> None:
    service.mark_new(session, e.ticket_id, e.at, fields=e.fields, history=e.history, notes=e.notes)


@subscribe(TicketChanged)
def _changed(session: Session, e: TicketChanged) -> None:
    service.mark(session, e.ticket_id, e.at)


@subscribe(TicketStatusChanged)
def _status(session: Session, e: TicketStatusChanged) -> None:
    service.mark(session, e.ticket_id, e.at)


@subscribe(MessagePosted)
def _message(session: Session, e: MessagePosted) -> None:
    service.mark(session, e.ticket_id, e.at)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session, *_: Any) -> None:
    service.refresh_marked(session)
