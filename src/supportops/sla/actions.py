"""What a warning or a breach does besides being recorded: notify, raise priority, escalate.

Actions run in the alarm's transaction, as the system principal, through the ticket services, so
every change they make is in the ticket's event log like any other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportops.auth.models import Group
from supportops.auth.principal import SYSTEM
from supportops.config import Settings
from supportops.notifications import service as notifications
from supportops.sla.clocks import Clock, Metric
from supportops.sla.policy import BreachActions
from supportops.tickets import lifecycle
from supportops.tickets import service as tickets
from supportops.tickets.counters import TIER_RANK
from supportops.tickets.enums import PRIORITIES, AuthorKind, Status
from supportops.tickets.models import Ticket
from supportops.tickets.schemas import MessageCreate, TicketUpdate

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
    if actions.escalate:
        _escalate(session, ticket, why=what, now=now, settings=settings)


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


def next_tier_group(session: Session, ticket: Ticket) -> int | None:
    """The group of the next tier up with the fewest unsolved tickets."""
    current = (
        session.scalar(select(Group.tier).where(Group.id == ticket.group_id)) if ticket.group_id else None
    )
    rank = TIER_RANK.get(current or "L0", 0)
    wanted = [tier for tier, r in TIER_RANK.items() if r == rank + 1]
    if not wanted:
        return None
    load = (
        select(func.count(Ticket.id))
        .where(Ticket.group_id == Group.id, Ticket.status.not_in([Status.resolved, Status.closed]))
        .scalar_subquery()
    )
    return session.scalar(select(Group.id).where(Group.tier == wanted[0]).order_by(load, Group.id).limit(1))


def _escalate(session: Session, ticket: Ticket, *, why: str, now: datetime, settings: Settings) -> None:
    """Hand the ticket to the next tier with a note that says why, as every escalation must."""
    target = next_tier_group(session, ticket)
    if target is None:
        return
    tickets.add_message(
        session,
        actor=SYSTEM,
        ticket=ticket,
        data=MessageCreate(
            body=f"Escalated automatically to the next tier because {why}. The full history is above.",
            public=False,
        ),
        now=now,
        settings=settings,
        author_kind=AuthorKind.system,
    )
    tickets.update_ticket(
        session,
        actor=SYSTEM,
        ticket=ticket,
        data=TicketUpdate(group_id=target, assignee_id=None),
        now=now,
        settings=settings,
    )
    status = Status(ticket.status)
    if Status.escalated in lifecycle.allowed(status, has_assignee=ticket.assignee_id is not None):
        tickets.transition(
            session, actor=SYSTEM, ticket=ticket, to=Status.escalated, now=now, settings=settings
        )
