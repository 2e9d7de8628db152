"""Escalation and de-escalation between tiers, always with a handoff note, and the severity paths.

Every handoff posts the note as an internal message (the receiving tier reads it above the whole
history), records an ``escalation`` event with where it came from and went, and moves the ticket.
Ticket tennis is held back: past ``handoffs_before_approval`` handoffs only a lead or an admin may
hand the ticket on, and every A → B → A bounce is recorded as ``ping_pong``. Severity paths from
DOMAIN.md run as durable jobs: SEV1 goes to engineering (L3) at once and notifies admins and leads,
SEV2 to L3 after an hour, SEV3 to L2 after four hours, unless the ticket got there or was solved.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportops.auth.enums import Role, Tier
from supportops.auth.models import Group, GroupMembership, User
from supportops.auth.principal import SYSTEM, Principal
from supportops.config import Settings, get_settings
from supportops.events.bus import subscribe
from supportops.jobs import service as jobs
from supportops.kit.errors import Conflict, Forbidden, InvalidInput
from supportops.kit.text import DbId
from supportops.notifications import service as notifications
from supportops.sla.events import SlaBreached
from supportops.tickets import lifecycle
from supportops.tickets import service as tickets
from supportops.tickets.counters import TIER_RANK
from supportops.tickets.enums import AuthorKind, Severity, Status
from supportops.tickets.events import TicketChanged, TicketCreated
from supportops.tickets.models import Ticket, TicketEvent
from supportops.tickets.schemas import MessageCreate, TicketUpdate

SEVERITY_JOB = "routing.severity"
# (tier the severity needs, how long a ticket may stay below it)
SEVERITY_PATHS: dict[Severity, tuple[Tier, timedelta]] = {
    Severity.SEV1: (Tier.L3, timedelta(0)),
    Severity.SEV2: (Tier.L3, timedelta(hours=1)),
    Severity.SEV3: (Tier.L2, timedelta(hours=4)),
}


class HandoffNote(BaseModel):
    """What the receiving tier needs to carry on without asking again."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=10, max_length=4000)
    steps_tried: str = Field(min_length=3, max_length=4000)
    customer_impact: str = Field(min_length=3, max_length=2000)
    hypothesis: str = Field(min_length=3, max_length=2000)

    def render(self, heading: str) -> str:
        return (
            f"{heading}\n\nSummary: {self.summary}\nSteps tried: {self.steps_tried}\n"
            f"Customer impact: {self.customer_impact}\nHypothesis: {self.hypothesis}"
        )


class HandoffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_group_id: DbId | None = None
    """A named group; by default the least loaded group of the next tier (up) or the previous (down)."""
    note: HandoffNote


Direction = Literal["up", "down"]


def _tier_of(session: Session, group_id: int | None) -> Tier:
    if group_id is None:
        return Tier.L0
    tier = session.scalar(select(Group.tier).where(Group.id == group_id))
    return Tier(tier) if tier else Tier.L0


def least_loaded_group(session: Session, tier: Tier) -> int | None:
    unsolved = (
        select(func.count(Ticket.id))
        .where(Ticket.group_id == Group.id, Ticket.status.not_in([Status.resolved, Status.closed]))
        .scalar_subquery()
    )
    return session.scalar(select(Group.id).where(Group.tier == tier).order_by(unsolved, Group.id).limit(1))


def _target(
    session: Session, ticket: Ticket, to_group_id: int | None, direction: Direction
) -> tuple[int, Tier]:
    here = TIER_RANK[_tier_of(session, ticket.group_id)]
    if to_group_id is not None:
        tier = session.scalar(select(Group.tier).where(Group.id == to_group_id))
        if tier is None:
            raise InvalidInput(f"Group {to_group_id} does not exist.", field="to_group_id")
        rank = TIER_RANK[tier]
        if direction == "up" and rank <= here:
            raise InvalidInput(
                f"Group {to_group_id} is tier {tier}, not above the ticket's tier; de-escalate instead.",
                field="to_group_id",
            )
        if direction == "down" and rank >= here:
            raise InvalidInput(
                f"Group {to_group_id} is tier {tier}, not below the ticket's tier; escalate instead.",
                field="to_group_id",
            )
        return to_group_id, Tier(tier)
    wanted = [t for t in Tier if TIER_RANK[t] == here + (1 if direction == "up" else -1)]
    group_id = least_loaded_group(session, wanted[0]) if wanted else None
    if group_id is None:
        raise Conflict(
            "There is no tier above this ticket's."
            if direction == "up"
            else "There is no tier below this ticket's.",
            field="to_group_id",
        )
    return group_id, wanted[0]


def _group_history(session: Session, ticket_id: int) -> list[int | None]:
    """The groups the ticket has been in, in order."""
    rows = session.execute(
        select(TicketEvent.kind, TicketEvent.field, TicketEvent.new_value, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.id)
    )
    groups: list[int | None] = []
    for kind, field, new_value, data in rows:
        if kind == "created" and data and data.get("group_id") is not None:
            groups.append(data["group_id"])
        elif kind == "change" and field == "group_id":
            groups.append(new_value)
    return groups


def _check_tennis(actor: Principal, handoffs: int, settings: Settings) -> None:
    limit = settings.handoffs_before_approval
    lead = actor.is_manager
    if limit and handoffs >= limit and not lead:
        raise Forbidden(
            f"This ticket has been handed off {handoffs} times; another handoff needs a lead or an admin.",
            field="to_group_id",
        )


def hand_off(
    session: Session,
    *,
    actor: Principal,
    ticket: Ticket,
    data: HandoffCreate,
    direction: Direction,
    now: datetime,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Escalate (up) or de-escalate (down) with the handoff note; returns the recorded event data."""
    settings = settings or get_settings()
    actor.require_staff("hand a ticket to another tier")
    if ticket.status == Status.closed:
        raise Conflict(f"Ticket {ticket.id} is closed; reply to it to open a follow-up.")
    group_id, tier = _target(session, ticket, data.to_group_id, direction)
    groups = _group_history(session, ticket.id)
    _check_tennis(actor, max(len(groups) - 1, 0), settings)
    from_group, from_tier = ticket.group_id, _tier_of(session, ticket.group_id)
    verb = "Escalated" if direction == "up" else "De-escalated"
    group_name = session.scalar(select(Group.name).where(Group.id == group_id))
    tickets.add_message(
        session,
        actor=actor,
        ticket=ticket,
        data=MessageCreate(
            body=data.note.render(f"{verb} to {group_name} ({tier}) by {actor.name}."), public=False
        ),
        now=now,
        settings=settings,
        author_kind=AuthorKind.system if actor.is_system else None,
    )
    keep = ticket.assignee_id is not None and session.scalar(
        select(GroupMembership.user_id).where(
            GroupMembership.group_id == group_id, GroupMembership.user_id == ticket.assignee_id
        )
    )
    update = {"group_id": group_id} if keep else {"group_id": group_id, "assignee_id": None}
    tickets.update_ticket(
        session,
        actor=actor,
        ticket=ticket,
        data=TicketUpdate.model_validate(update),
        now=now,
        settings=settings,
    )
    record = {
        "direction": direction,
        "from_group_id": from_group,
        "to_group_id": group_id,
        "from_tier": from_tier.value,
        "to_tier": tier.value,
        **data.note.model_dump(),
    }
    tickets.record(session, actor=actor, ticket=ticket, now=now, kind="escalation", data=record)
    if len(groups) >= 2 and groups[-2] == group_id and from_group != group_id:
        tickets.record(
            session,
            actor=actor,
            ticket=ticket,
            now=now,
            kind="ping_pong",
            data={"between": [group_id, from_group]},
        )
    target_status = Status.escalated if direction == "up" else Status.triaged
    allowed = lifecycle.allowed(Status(ticket.status), has_assignee=ticket.assignee_id is not None)
    if target_status in allowed:
        tickets.transition(session, actor=actor, ticket=ticket, to=target_status, now=now, settings=settings)
    return record


# --- SLA breaches -----------------------------------------------------------------------------


@subscribe(SlaBreached)
def _on_breach(session: Session, e: SlaBreached) -> None:
    """The policy asks a breach to escalate: up one tier, with a note that says why."""
    if not e.escalate:
        return
    ticket = tickets.get_ticket(session, actor=SYSTEM, ticket_id=e.ticket_id, for_update=True)
    if lifecycle.category(Status(ticket.status)).value == "solved":
        return
    note = HandoffNote(
        summary=f"Escalated automatically because {e.description}.",
        steps_tried="See the history above.",
        customer_impact=f"The {e.metric.replace('_', ' ')} commitment to the customer was missed.",
        hypothesis="Not stated; the receiving tier assesses.",
    )
    try:
        hand_off(
            session, actor=SYSTEM, ticket=ticket, data=HandoffCreate(note=note), direction="up", now=e.at
        )
    except Conflict:
        return  # already at the top tier


# --- severity paths ---------------------------------------------------------------------------


def _schedule_severity(session: Session, ticket_id: int, severity: str | None, now: datetime) -> None:
    if severity is None or Severity(severity) not in SEVERITY_PATHS:
        return
    _, within = SEVERITY_PATHS[Severity(severity)]
    jobs.enqueue(
        session,
        kind=SEVERITY_JOB,
        payload={"ticket_id": ticket_id, "severity": severity},
        now=now,
        run_at=now + within,
        dedupe_key=f"{SEVERITY_JOB}:{ticket_id}:{severity}:{now.isoformat()}",
    )


@subscribe(TicketCreated)
def _on_created(session: Session, e: TicketCreated) -> None:
    _schedule_severity(session, e.ticket_id, e.fields.get("severity"), e.at)


@subscribe(TicketChanged)
def _on_changed(session: Session, e: TicketChanged) -> None:
    if "severity" in e.changes:
        _schedule_severity(session, e.ticket_id, e.changes["severity"][1], e.at)


@jobs.handler(SEVERITY_JOB)
def run_severity_path(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Move a ticket whose severity needs a higher tier there, if it is not there or solved yet."""
    ticket = tickets.get_ticket(session, actor=SYSTEM, ticket_id=int(payload["ticket_id"]), for_update=True)
    severity = Severity(payload["severity"])
    if ticket.severity != severity or lifecycle.category(Status(ticket.status)).value == "solved":
        return
    needed, within = SEVERITY_PATHS[severity]
    if TIER_RANK[_tier_of(session, ticket.group_id)] >= TIER_RANK[needed]:
        return
    group_id = least_loaded_group(session, needed)
    if group_id is None:
        return
    waited = "at once" if not within else f"after {int(within.total_seconds() // 3600)} h below {needed}"
    note = HandoffNote(
        summary=f"{severity} ticket escalated {waited}, as the severity policy requires.",
        steps_tried="See the history above.",
        customer_impact=f"{severity}: see the severity definitions.",
        hypothesis="Not stated; the receiving tier assesses.",
    )
    data = HandoffCreate(to_group_id=group_id, note=note)
    hand_off(session, actor=SYSTEM, ticket=ticket, data=data, direction="up", now=now)
    if severity == Severity.SEV1:
        people = session.scalars(
            select(User.id).where(User.role.in_([Role.admin, Role.lead]), User.is_active.is_(True))
        )
        notifications.notify(
            session,
            list(people),
            kind="sev1",
            text=f"Ticket #{ticket.id} is SEV1 (system-wide outage) and went to engineering.",
            now=now,
            ticket_id=ticket.id,
        )
