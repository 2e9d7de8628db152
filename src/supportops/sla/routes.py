"""HTTP for SLAs: calendars and policies (admins), a ticket's clocks (staff), compliance (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from supportops.auth.deps import CurrentCtx
from supportops.kit.clock import utc
from supportops.kit.errors import NotFound
from supportops.sla import admin, service
from supportops.sla.policy import preset_targets
from supportops.sla.schemas import (
    CalendarIn,
    CalendarRead,
    ClockRead,
    ComplianceRow,
    MetricEventRead,
    PolicyIn,
    PolicyRead,
    Presets,
)
from supportops.tickets import repository as tickets

router = APIRouter(tags=["sla"])
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/sla/calendars")
def list_calendars(ctx: CurrentCtx) -> list[CalendarRead]:
    ctx.principal.require_staff("read SLA calendars")
    with ctx.read() as session:
        return admin.list_calendars(session)


@router.post("/sla/calendars", status_code=status.HTTP_201_CREATED)
def create_calendar(data: CalendarIn, ctx: CurrentCtx) -> CalendarRead:
    with ctx.write() as session:
        return admin.create_calendar(session, actor=ctx.principal, data=data, now=ctx.now)


@router.get("/sla/calendars/{calendar_id}")
def get_calendar(calendar_id: Id, ctx: CurrentCtx) -> CalendarRead:
    ctx.principal.require_staff("read SLA calendars")
    with ctx.read() as session:
        return admin.calendar_read(admin.get_calendar(session, calendar_id))


@router.put("/sla/calendars/{calendar_id}")
def replace_calendar(calendar_id: Id, data: CalendarIn, ctx: CurrentCtx) -> CalendarRead:
    with ctx.write() as session:
        return admin.replace_calendar(
            session, actor=ctx.principal, calendar_id=calendar_id, data=data, now=ctx.now
        )


@router.get("/sla/policies")
def list_policies(ctx: CurrentCtx) -> list[PolicyRead]:
    """Active and inactive policies in the order they are tried."""
    ctx.principal.require_staff("read SLA policies")
    with ctx.read() as session:
        return admin.list_policies(session)


@router.post("/sla/policies", status_code=status.HTTP_201_CREATED)
def create_policy(data: PolicyIn, ctx: CurrentCtx) -> PolicyRead:
    with ctx.write() as session:
        return admin.create_policy(
            session, actor=ctx.principal, data=data, now=ctx.now, settings=ctx.settings
        )


@router.get("/sla/policies/{policy_id}")
def get_policy(policy_id: Id, ctx: CurrentCtx) -> PolicyRead:
    ctx.principal.require_staff("read SLA policies")
    with ctx.read() as session:
        return admin.policy_read(admin.get_policy(session, policy_id))


@router.put("/sla/policies/{policy_id}")
def replace_policy(policy_id: Id, data: PolicyIn, ctx: CurrentCtx) -> PolicyRead:
    with ctx.write() as session:
        return admin.replace_policy(
            session, actor=ctx.principal, policy_id=policy_id, data=data, now=ctx.now, settings=ctx.settings
        )


@router.get("/sla/presets")
def presets(ctx: CurrentCtx) -> Presets:
    """The seed target tables, to copy into a policy; ``business`` is false (around the clock)."""
    ctx.principal.require_staff("read SLA presets")
    return Presets(presets={scheme: preset_targets(scheme) for scheme in ("p1-p5", "p0-p3")})


@router.get("/sla/compliance")
def compliance(
    ctx: CurrentCtx,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> list[ComplianceRow]:
    """met ÷ (met + breached) per metric, priority and group, for clocks activated in [since, until)."""
    ctx.principal.require_staff("read SLA compliance")
    with ctx.read() as session:
        return admin.compliance(
            session, since=utc(since) if since else None, until=utc(until) if until else None
        )


def _visible_ticket(ctx: CurrentCtx, ticket_id: int) -> None:
    ctx.principal.require_staff("read a ticket's SLA clocks")
    with ctx.read() as session:
        if tickets.get_row(session, ticket_id, principal=ctx.principal) is None:
            raise NotFound(f"Ticket {ticket_id} does not exist.")


@router.get("/tickets/{ticket_id}/sla")
def ticket_clocks(ticket_id: Id, ctx: CurrentCtx) -> list[ClockRead]:
    """Every clock of the ticket: due, warning and breach instants, time used and time left, in
    business and calendar minutes, as of now."""
    _visible_ticket(ctx, ticket_id)
    with ctx.read() as session:
        return admin.clocks_of(session, ticket_id, now=ctx.now)


@router.get("/tickets/{ticket_id}/sla/events")
def ticket_metric_events(ticket_id: Id, ctx: CurrentCtx) -> list[MetricEventRead]:
    """The append-only metric event log: activate, pause, resume, fulfil, warn, breach."""
    _visible_ticket(ctx, ticket_id)
    with ctx.read() as session:
        return [
            MetricEventRead.model_validate(e, from_attributes=True)
            for e in service.metric_events(session, ticket_id)
        ]
