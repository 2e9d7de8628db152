"""Agents as routing sees them: presence, languages, capacity per channel, shift, and current load."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportops.auth import service as accounts
from supportops.auth.enums import STAFF_ROLES
from supportops.auth.models import User
from supportops.auth.principal import Principal
from supportops.kit.errors import Forbidden, InvalidInput, NotFound
from supportops.routing.models import AgentProfile, PresenceChange
from supportops.routing.schemas import DEFAULT_CAPACITY, AgentProfileUpdate, AgentRead
from supportops.routing.strategies import Presence
from supportops.sla import service as sla
from supportops.sla.models import SlaCalendar
from supportops.tickets.enums import Channel, Status
from supportops.tickets.models import Ticket

UNSOLVED = [s.value for s in Status if s not in (Status.resolved, Status.closed)]


def _agents(session: Session, ids: list[int] | None = None) -> list[User]:
    stmt = select(User).where(User.role.in_([r.value for r in STAFF_ROLES]), User.is_active.is_(True))
    if ids is not None:
        stmt = stmt.where(User.id.in_(ids))
    return list(session.scalars(stmt.order_by(User.id)))


def open_load(session: Session, user_ids: list[int]) -> dict[int, dict[Channel, int]]:
    """Unsolved tickets per assignee and channel."""
    rows = session.execute(
        select(Ticket.assignee_id, Ticket.channel, func.count())
        .where(Ticket.assignee_id.in_(user_ids), Ticket.status.in_(UNSOLVED))
        .group_by(Ticket.assignee_id, Ticket.channel)
    )
    load: dict[int, dict[Channel, int]] = defaultdict(dict)
    for assignee_id, channel, count in rows:
        if assignee_id is not None:
            load[assignee_id][Channel(channel)] = int(count)
    return load


def on_shift(session: Session, profile: AgentProfile | None, now: datetime) -> bool:
    if profile is None or profile.shift_calendar_id is None:
        return True
    calendar = session.get(SlaCalendar, profile.shift_calendar_id)
    if calendar is None:
        return True
    return sla.business_time(calendar.definition).add(now, 0) == now


def agents(
    session: Session, *, actor: Principal, now: datetime, ids: list[int] | None = None
) -> list[AgentRead]:
    actor.require_staff("see agents' routing profiles")
    users = _agents(session, ids)
    user_ids = [u.id for u in users]
    profiles = {
        p.user_id: p for p in session.scalars(select(AgentProfile).where(AgentProfile.user_id.in_(user_ids)))
    }
    skills = accounts.skills_of_users(session, user_ids)
    groups = accounts.group_ids_of_users(session, user_ids)
    load = open_load(session, user_ids)
    out = []
    for user in users:
        profile = profiles.get(user.id)
        capacity = {
            **DEFAULT_CAPACITY,
            **{Channel(k): v for k, v in (profile.capacity if profile else {}).items()},
        }
        out.append(
            AgentRead(
                id=user.id,
                name=user.name,
                email=user.email,
                role=user.role,
                presence=Presence(profile.presence) if profile else Presence.offline,
                presence_changed_at=profile.presence_changed_at if profile else None,
                languages=list(profile.languages) if profile else [],
                capacity=capacity,
                open_tickets=load.get(user.id, {}),
                skills=skills.get(user.id, {}),
                group_ids=groups.get(user.id, []),
                shift_calendar_id=profile.shift_calendar_id if profile else None,
                on_shift=on_shift(session, profile, now),
            )
        )
    return out


def agent(session: Session, *, actor: Principal, user_id: int, now: datetime) -> AgentRead:
    found = agents(session, actor=actor, now=now, ids=[user_id])
    if not found:
        raise NotFound(f"Agent {user_id} does not exist (or is not staff, or is deactivated).")
    return found[0]


def _profile(session: Session, user_id: int, now: datetime) -> AgentProfile:
    profile = session.get(AgentProfile, user_id)
    if profile is None:
        profile = AgentProfile(
            user_id=user_id, presence=Presence.offline, languages=[], capacity={}, updated_at=now
        )
        session.add(profile)
    return profile


def update_agent(
    session: Session, *, actor: Principal, user_id: int, data: AgentProfileUpdate, now: datetime
) -> AgentRead:
    """Leads and admins change languages, capacity and shift; an agent changes only their presence."""
    actor.require_staff("change routing profiles")
    agent(session, actor=actor, user_id=user_id, now=now)  # exists and is staff
    fields = data.model_fields_set
    managing = fields - {"presence"}
    if user_id != actor.user_id and not actor.is_manager:
        raise Forbidden("Only leads and admins change another agent's profile.")
    if managing and not actor.is_manager:
        raise Forbidden(
            f"Only leads and admins set {', '.join(sorted(managing))}.", field=sorted(managing)[0]
        )
    if data.shift_calendar_id is not None and session.get(SlaCalendar, data.shift_calendar_id) is None:
        raise InvalidInput(f"Calendar {data.shift_calendar_id} does not exist.", field="shift_calendar_id")
    profile = _profile(session, user_id, now)
    if "presence" in fields and data.presence is not None and data.presence != profile.presence:
        profile.presence, profile.presence_changed_at = data.presence.value, now
        session.add(PresenceChange(agent_id=user_id, state=data.presence.value, at=now))
    if "languages" in fields:
        profile.languages = sorted(set(data.languages or []))
    if "capacity" in fields:
        profile.capacity = {c.value: n for c, n in (data.capacity or {}).items()}
    if "shift_calendar_id" in fields:
        profile.shift_calendar_id = data.shift_calendar_id
    profile.updated_at = now
    session.flush()
    return agent(session, actor=actor, user_id=user_id, now=now)
