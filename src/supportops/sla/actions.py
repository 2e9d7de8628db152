"""What a warning or a breach does besides being recorded: notify, raise priority, and tell routing,
which escalates when the policy asks (``SlaBreached``).

Actions run in the alarm's transaction, as the system principal, through the ticket services, so
every change they make is in the ticket's event log like any other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportops.auth.principal import SYSTEM
from supportops.config import Settings
from supportops.events.bus import publish
from supportops.notifications import service as notifications
from supportops.sla.clocks import Clock, Metric
from supportops.sla.events import SlaBreached
from supportops.sla.policy import BreachActions
from supportops.tickets import service as tickets
from supportops.tickets.enums import PRIORITIES, Status
from supportops.tickets.models import Ticket
from supportops.tickets.schemas import TicketUpdate

LABELS = {
    Metric.first_response: "first response",
    Metric.next_response: "next response",
    Metric.periodic_update: "periodic update",
    Metric.resolution: "resolution",
}


def _describe(c: Clock) -> str:
    kind = "business" if c.target.business else "calendar"
    return f"{LABELS[c.metric]} target of {c.target.minutes:g} {kind} minutes"


def _notify(
    session: Session, ticket_id: int, c: Clock, kind: str, text: str, at: datetime, now: datetime
) -> None:
    notifications.notify(
        session,
        notifications.assignee_and_leads(session, ticket_id),
        kind=kind,
        text=f"Ticket #{ticket_id}: {text}.",
        now=now,
        ticket_id=ticket_id,
        data={"metric": c.metric.value, "cycle": c.cycle, "at": at.isoformat()},
    )


def on_warning(session: Session, ticket_id: int, c: Clock, actions: BreachActions, *, now: datetime) -> None:
    if actions.notify and c.due_at is not None:
        text = f"the {_describe(c)} is due at {c.due_at:%Y-%m-%d %H:%M} UTC"
        _notify(session, ticket_id, c, "sla_warning", text, c.due_at, now)


def on_breach(
    session: Session, ticket_id: int, c: Clock, actions: BreachActions, *, now: datetime, settings: Settings
) -> None:
    assert c.breached_at is not None
    what = f"the {_describe(c)} was breached at {c.breached_at:%Y-%m-%d %H:%M} UTC"
    if actions.notify:
        _notify(session, ticket_id, c, "sla_breach", what, c.breached_at, now)
    if c.fulfilled_at is not None or not (actions.raise_priority or actions.escalate):
        return  # met late: there is nothing left to speed up
    ticket = tickets.get_ticket(session, actor=SYSTEM, ticket_id=ticket_id, for_update=True)
    if ticket.status == Status.closed:
        return
    if actions.raise_priority:
        _raise_priority(session, ticket, now=now, settings=settings)
    publish(
        session,
        SlaBreached(
            ticket_id=ticket_id,
            metric=c.metric.value,
            target_minutes=c.target.minutes,
            business=c.target.business,
            breached_at=c.breached_at,
            at=now,
            escalate=actions.escalate,
            description=what,
        ),
    )


def _raise_priority(session: Session, ticket: Ticket, *, now: datetime, settings: Settings) -> None:
    order = PRIORITIES[settings.priority_scheme]
    at = order.index(ticket.priority) if ticket.priority in order else 0
    if at > 0:
        tickets.update_ticket(
            session,
            actor=SYSTEM,
            ticket=ticket,
            data=TicketUpdate(priority=order[at - 1]),
            now=now,
            settings=settings,
        )
