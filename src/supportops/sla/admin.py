"""Managing calendars and policies, reading clocks, and compliance figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.config import Settings
from supportops.jobs import service as jobs
from supportops.kit.errors import Conflict, InvalidInput, NotFound
from supportops.sla import service
from supportops.sla.calendar import CalendarTime
from supportops.sla.clocks import ClockState, Metric
from supportops.sla.models import SlaCalendar, SlaClock, SlaPolicy
from supportops.sla.policy import unknown_priorities
from supportops.sla.schemas import (
    CalendarIn,
    CalendarRead,
    ClockRead,
    ComplianceRow,
    Minutes,
    PolicyIn,
    PolicyRead,
)
from supportops.tickets.models import Ticket

RECOMPUTE_JOB = "sla.recompute"
RECOMPUTE_CHUNK = 500
_WALL = CalendarTime()


# --- calendars --------------------------------------------------------------------------------


def calendar_read(row: SlaCalendar) -> CalendarRead:
    return CalendarRead.model_validate(
        {"id": row.id, "name": row.name, "definition": row.definition, "updated_at": row.updated_at}
    )


def _unique_name(
    session: Session, model: type[SlaCalendar] | type[SlaPolicy], name: str, own: int | None
) -> None:
    found = session.scalar(select(model.id).where(model.name == name))
    if found is not None and found != own:
        raise Conflict(f"The name {name!r} is taken; choose another.", field="name")


def create_calendar(session: Session, *, actor: Principal, data: CalendarIn, now: datetime) -> CalendarRead:
    actor.require_admin("manage SLA calendars")
    _unique_name(session, SlaCalendar, data.name, None)
    row = SlaCalendar(
        name=data.name, definition=data.definition.model_dump(mode="json"), created_at=now, updated_at=now
    )
    session.add(row)
    session.flush()
    return calendar_read(row)


def get_calendar(session: Session, calendar_id: int) -> SlaCalendar:
    row = session.get(SlaCalendar, calendar_id)
    if row is None:
        raise NotFound(f"Calendar {calendar_id} does not exist.")
    return row


def replace_calendar(
    session: Session, *, actor: Principal, calendar_id: int, data: CalendarIn, now: datetime
) -> CalendarRead:
    actor.require_admin("manage SLA calendars")
    row = get_calendar(session, calendar_id)
    _unique_name(session, SlaCalendar, data.name, row.id)
    row.name, row.definition, row.updated_at = data.name, data.definition.model_dump(mode="json"), now
    session.flush()
    schedule_recompute(session, now=now)
    return calendar_read(row)


def list_calendars(session: Session) -> list[CalendarRead]:
    return [calendar_read(r) for r in session.scalars(select(SlaCalendar).order_by(SlaCalendar.name))]


# --- policies ---------------------------------------------------------------------------------


def policy_read(row: SlaPolicy) -> PolicyRead:
    return PolicyRead.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "position": row.position,
            "active": row.active,
            "calendar_id": row.calendar_id,
            "conditions": row.conditions,
            "targets": row.targets,
            "pauses": row.pauses,
            "warn_share": row.warn_share,
            "breach_actions": row.breach_actions,
            "updated_at": row.updated_at,
        }
    )


def _check_policy(session: Session, data: PolicyIn, settings: Settings, own: int | None) -> None:
    unknown = unknown_priorities(data.targets, settings.priority_scheme)
    if unknown:
        raise InvalidInput(
            f"Priorities {', '.join(unknown)} are not in the {settings.priority_scheme} scheme.",
            field="targets",
        )
    if session.get(SlaCalendar, data.calendar_id) is None:
        raise InvalidInput(f"Calendar {data.calendar_id} does not exist.", field="calendar_id")
    _unique_name(session, SlaPolicy, data.name, own)
    taken = session.scalar(
        select(SlaPolicy.name).where(SlaPolicy.position == data.position, SlaPolicy.id != own)
    )
    if taken is not None:
        raise Conflict(
            f"Position {data.position} is held by policy {taken!r}; give each policy its own position.",
            field="position",
        )


def _stored(data: PolicyIn) -> dict[str, Any]:
    dumped = data.model_dump(mode="json")
    return {
        key: dumped[key]
        for key in (
            "name",
            "description",
            "position",
            "active",
            "calendar_id",
            "conditions",
            "targets",
            "pauses",
            "warn_share",
            "breach_actions",
        )
    }


def create_policy(
    session: Session, *, actor: Principal, data: PolicyIn, now: datetime, settings: Settings
) -> PolicyRead:
    actor.require_admin("manage SLA policies")
    _check_policy(session, data, settings, None)
    row = SlaPolicy(**_stored(data), created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    schedule_recompute(session, now=now)
    return policy_read(row)


def get_policy(session: Session, policy_id: int) -> SlaPolicy:
    row = session.get(SlaPolicy, policy_id)
    if row is None:
        raise NotFound(f"Policy {policy_id} does not exist.")
    return row


def replace_policy(
    session: Session, *, actor: Principal, policy_id: int, data: PolicyIn, now: datetime, settings: Settings
) -> PolicyRead:
    actor.require_admin("manage SLA policies")
    row = get_policy(session, policy_id)
    _check_policy(session, data, settings, row.id)
    for key, value in _stored(data).items():
        setattr(row, key, value)
    row.updated_at = now
    session.flush()
    schedule_recompute(session, now=now)
    return policy_read(row)


def list_policies(session: Session) -> list[PolicyRead]:
    return [policy_read(r) for r in session.scalars(select(SlaPolicy).order_by(SlaPolicy.position))]


# --- recomputation after a policy or calendar change ------------------------------------------


def schedule_recompute(session: Session, *, now: datetime) -> None:
    """Recompute every open ticket's clocks once other processes have seen the change."""
    service.policy_cache.forget(session)
    jobs.enqueue(
        session,
        kind=RECOMPUTE_JOB,
        payload={"after_id": 0, "run": uuid4().hex},
        now=now,
        run_at=now + timedelta(seconds=service.POLICY_CACHE_SECONDS),
    )


@jobs.handler(RECOMPUTE_JOB)
def _recompute(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Tickets that are not closed, a chunk per job run, so one run never holds the database long."""
    from supportops.config import get_settings

    after_id = int(payload["after_id"])
    ids = list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.id > after_id, Ticket.status != "closed")
            .order_by(Ticket.id)
            .limit(RECOMPUTE_CHUNK)
        )
    )
    settings = get_settings()
    for ticket_id in ids:
        service.refresh(session, ticket_id, now=now, settings=settings)
    if len(ids) == RECOMPUTE_CHUNK:
        jobs.enqueue(
            session,
            kind=RECOMPUTE_JOB,
            payload={"after_id": ids[-1], "run": payload["run"]},
            now=now,
            dedupe_key=f"{RECOMPUTE_JOB}:{payload['run']}:{ids[-1]}",
        )


# --- reading clocks ---------------------------------------------------------------------------


def clocks_of(session: Session, ticket_id: int, *, now: datetime) -> list[ClockRead]:
    """The stored clocks brought forward to ``now``: a running clock has used more since."""
    rows = service.clock_rows(session, ticket_id)
    policy_ids = {r.policy_id for r in rows if r.policy_id is not None}
    calendars = {
        policy_id: service.business_time(definition)
        for policy_id, definition in session.execute(
            select(SlaPolicy.id, SlaCalendar.definition)
            .join(SlaCalendar, SlaCalendar.id == SlaPolicy.calendar_id)
            .where(SlaPolicy.id.in_(policy_ids))
        )
    }
    out = []
    for r in rows:
        business = calendars.get(r.policy_id or 0, service.AROUND_THE_CLOCK_TIME)
        used_business, used_calendar = r.business_minutes, r.calendar_minutes
        left = None
        if r.state == ClockState.active and r.running_since is not None:
            since = max(r.evaluated_at, r.running_since)
            if now > since:
                used_business += business.between(since, now)
                used_calendar += _WALL.between(since, now)
        if (
            r.state in (ClockState.active, ClockState.breached)
            and r.due_at is not None
            and r.fulfilled_at is None
        ):
            sign = 1 if r.due_at >= now else -1
            lo, hi = sorted((now, r.due_at))
            left = Minutes(business=sign * business.between(lo, hi), calendar=sign * _WALL.between(lo, hi))
        out.append(
            ClockRead(
                metric=Metric(r.metric),
                cycle=r.cycle,
                state=r.state,
                policy_id=r.policy_id,
                target_minutes=r.target_minutes,
                business=r.business,
                activated_at=r.activated_at,
                due_at=r.due_at,
                warn_at=r.warn_at,
                breached_at=r.breached_at,
                fulfilled_at=r.fulfilled_at,
                used=Minutes(business=used_business, calendar=used_calendar),
                left=left,
            )
        )
    return out


# --- compliance -------------------------------------------------------------------------------


def compliance(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> list[ComplianceRow]:
    """met ÷ (met + breached) per metric, priority and group, over clocks activated in the window."""
    met = func.sum(case((SlaClock.state == ClockState.fulfilled, 1), else_=0))
    breached = func.sum(case((SlaClock.state == ClockState.breached, 1), else_=0))
    stmt = select(SlaClock.metric, SlaClock.priority, SlaClock.group_id, met, breached).group_by(
        SlaClock.metric, SlaClock.priority, SlaClock.group_id
    )
    if since is not None:
        stmt = stmt.where(SlaClock.activated_at >= since)
    if until is not None:
        stmt = stmt.where(SlaClock.activated_at < until)
    rows = []
    for metric, priority, group_id, n_met, n_breached in session.execute(
        stmt.order_by(SlaClock.metric, SlaClock.priority)
    ):
        n_met, n_breached = int(n_met or 0), int(n_breached or 0)
        total = n_met + n_breached
        rows.append(
            ComplianceRow(
                metric=Metric(metric),
                priority=priority,
                group_id=group_id,
                met=n_met,
                breached=n_breached,
                compliance=n_met / total if total else None,
            )
        )
    return rows
