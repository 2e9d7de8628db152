"""Automatic assignment: a group that asks for it hands each new or re-grouped ticket to an agent.

Assignment runs as a durable job right after the change commits, so triage rules and the classifier
have had their say first, and two workers never assign one ticket twice (the job is claimed once and
re-checks the ticket). The group's members become an agent pool (skills, languages, capacity and open
load per channel, presence, shift, last assignment), the ticket's needs come from its channel and the
``required_skills`` and ``language`` triage left in its custom fields, and the group's strategy picks.
The decision and its reason are a ``routing`` event. When nobody qualifies, the job comes back when
the next widening step applies, then every few minutes, recording a new event only when the reason
changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportops.auth import service as accounts
from supportops.auth.models import Group, GroupMembership, User
from supportops.auth.principal import SYSTEM
from supportops.events.bus import subscribe
from supportops.jobs import service as jobs
from supportops.routing.models import AgentProfile
from supportops.routing.schemas import DEFAULT_CAPACITY
from supportops.routing.service import on_shift, open_load
from supportops.routing.strategies import (
    DEFAULT_WIDENING,
    AgentState,
    Decision,
    Presence,
    Strategy,
    TicketNeeds,
    route,
)
from supportops.tickets import lifecycle
from supportops.tickets import service as tickets
from supportops.tickets.enums import Status, StatusCategory
from supportops.tickets.events import TicketChanged, TicketCreated
from supportops.tickets.models import Ticket, TicketEvent
from supportops.tickets.schemas import TicketUpdate

ASSIGN_JOB = "routing.assign"
RETRY_AFTER = timedelta(minutes=5)


def _enqueue(session: Session, ticket_id: int, now: datetime, run_at: datetime | None = None) -> None:
    when = run_at or now
    jobs.enqueue(
        session,
        kind=ASSIGN_JOB,
        payload={"ticket_id": ticket_id},
        now=now,
        run_at=when,
        dedupe_key=f"{ASSIGN_JOB}:{ticket_id}:{when.isoformat()}",
    )


@subscribe(TicketCreated)
def _on_created(session: Session, e: TicketCreated) -> None:
    if e.fields.get("group_id") is not None and e.fields.get("assignee_id") is None:
        _enqueue(session, e.ticket_id, e.at)


@subscribe(TicketChanged)
def _on_changed(session: Session, e: TicketChanged) -> None:
    moved = "group_id" in e.changes and e.changes["group_id"][1] is not None
    released = "assignee_id" in e.changes and e.changes["assignee_id"][1] is None
    if moved or released:
        _enqueue(session, e.ticket_id, e.at)


def _needs(ticket: Ticket, now: datetime) -> TicketNeeds:
    custom = ticket.custom_fields or {}
    skills: dict[str, int] = {}
    for part in str(custom.get("required_skills") or "").split(","):
        name, _, level = part.partition(":")
        if name.strip() and level.strip().isdigit():
            skills[name.strip()] = min(max(int(level), 1), 5)
    language = custom.get("language")
    return TicketNeeds(
        id=ticket.id,
        channel=ticket.channel,
        skills=skills,
        language=str(language) if language else None,
        waited_seconds=max((now - ticket.created_at).total_seconds(), 0.0),
    )


def group_pool(session: Session, group_id: int, now: datetime) -> list[AgentState]:
    """The group's active staff as routing sees them right now."""
    members = list(
        session.scalars(
            select(User)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group_id, User.is_active.is_(True))
        )
    )
    ids = [u.id for u in members]
    profiles = {
        p.user_id: p for p in session.scalars(select(AgentProfile).where(AgentProfile.user_id.in_(ids)))
    }
    skills = accounts.skills_of_users(session, ids)
    load = open_load(session, ids)
    pool = []
    for user in members:
        profile = profiles.get(user.id)
        capacity: dict[str, int] = {str(c): n for c, n in DEFAULT_CAPACITY.items()}
        capacity.update(profile.capacity if profile else {})
        pool.append(
            AgentState(
                id=user.id,
                name=user.name,
                skills=skills.get(user.id, {}),
                languages=frozenset(profile.languages if profile else ()),
                capacity=capacity,
                open_tickets={str(channel): n for channel, n in load.get(user.id, {}).items()},
                presence=Presence(profile.presence) if profile else Presence.offline,
                on_shift=on_shift(session, profile, now),
                last_assigned_at=profile.last_assigned_at if profile else None,
            )
        )
    return pool


def _last_reason(session: Session, ticket_id: int) -> str | None:
    data = session.scalar(
        select(TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "routing")
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return str(data.get("reason")) if data else None


@jobs.handler(ASSIGN_JOB)
def run_assignment(session: Session, payload: dict[str, Any], now: datetime) -> None:
    ticket = tickets.get_ticket(session, actor=SYSTEM, ticket_id=int(payload["ticket_id"]), for_update=True)
    if ticket.assignee_id is not None or ticket.group_id is None:
        return
    if lifecycle.category(Status(ticket.status)) == StatusCategory.solved:
        return
    strategy = session.scalar(select(Group.auto_assign).where(Group.id == ticket.group_id))
    if strategy is None:
        return
    decision = route(
        _needs(ticket, now), group_pool(session, ticket.group_id, now), Strategy(strategy), DEFAULT_WIDENING
    )
    if decision.agent_id is None:
        _wait(session, ticket, decision, now)
        return
    tickets.record(
        session, actor=SYSTEM, ticket=ticket, now=now, kind="routing", data=_event(decision, ticket.group_id)
    )
    tickets.update_ticket(
        session, actor=SYSTEM, ticket=ticket, data=TicketUpdate(assignee_id=decision.agent_id), now=now
    )
    profile = session.get(AgentProfile, decision.agent_id)
    if profile is None:
        profile = AgentProfile(
            user_id=decision.agent_id, presence=Presence.offline, languages=[], capacity={}, updated_at=now
        )
        session.add(profile)
    profile.last_assigned_at = now


def _event(decision: Decision, group_id: int) -> dict[str, Any]:
    return {
        "strategy": decision.strategy.value,
        "agent_id": decision.agent_id,
        "reason": decision.reason,
        "step": decision.step,
        "group_id": group_id,
    }


def _wait(session: Session, ticket: Ticket, decision: Decision, now: datetime) -> None:
    """Nobody qualifies now: say why (once per reason) and come back when the requirement widens."""
    assert ticket.group_id is not None
    if _last_reason(session, ticket.id) != decision.reason:
        tickets.record(
            session,
            actor=SYSTEM,
            ticket=ticket,
            now=now,
            kind="routing",
            data=_event(decision, ticket.group_id),
        )
    waited = (now - ticket.created_at).total_seconds()
    later = [s.after_seconds for s in DEFAULT_WIDENING.steps if s.after_seconds > waited]
    run_at = ticket.created_at + timedelta(seconds=later[0]) if later else now + RETRY_AFTER
    _enqueue(session, ticket.id, now, run_at=run_at)
