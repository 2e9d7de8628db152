"""Reactions to ticket events: each resolution sends its satisfaction survey."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportops.config import get_settings
from supportops.events.bus import subscribe
from supportops.surveys import service
from supportops.tickets.enums import Status
from supportops.tickets.events import TicketStatusChanged


@subscribe(TicketStatusChanged)
def _resolved(session: Session, e: TicketStatusChanged) -> None:
    if e.new == Status.resolved:
        service.send_csat(session, ticket_id=e.ticket_id, resolved_at=e.at, now=e.at, settings=get_settings())
