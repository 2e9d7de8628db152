"""A new ticket is triaged in the transaction that opens it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportops.events.bus import subscribe
from supportops.tickets.events import TicketCreated
from supportops.triage import service


@subscribe(TicketCreated)
def _created(session: Session, e: TicketCreated) -> None:
    service.triage_new_ticket(session, e.ticket_id, e.fields, e.at)
