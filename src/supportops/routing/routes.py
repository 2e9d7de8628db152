"""HTTP for agents' routing profiles and presence, and for handing tickets between tiers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from supportops.auth.deps import CurrentCtx
from supportops.kit.clock import utc
from supportops.kit.errors import InvalidInput
from supportops.routing import escalation, reports, service
from supportops.routing.escalation import Direction, HandoffCreate
from supportops.routing.reports import TierRow
from supportops.routing.schemas import AgentProfileUpdate, AgentRead, PresenceUpdate
from supportops.tickets import service as tickets

router = APIRouter(prefix="/agents", tags=["routing"])
handoffs = APIRouter(prefix="/tickets", tags=["routing"])
reports_router = APIRouter(prefix="/reports", tags=["routing"])
AgentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TicketId = AgentId


@router.get("")
def list_agents(ctx: CurrentCtx) -> list[AgentRead]:
    """Every active agent, lead and admin: presence, shift, languages, capacity, load, skills, groups."""
    with ctx.read() as session:
        return service.agents(session, actor=ctx.principal, now=ctx.now)


@router.put("/me/presence")
def set_my_presence(data: PresenceUpdate, ctx: CurrentCtx) -> AgentRead:
    if ctx.principal.user_id is None:
        raise InvalidInput("Only a person has a presence.", field="presence")
    with ctx.write() as session:
        return service.update_agent(
            session,
            actor=ctx.principal,
            user_id=ctx.principal.user_id,
            data=AgentProfileUpdate(presence=data.presence),
            now=ctx.now,
        )


@router.get("/{agent_id}")
def get_agent(agent_id: AgentId, ctx: CurrentCtx) -> AgentRead:
    with ctx.read() as session:
        return service.agent(session, actor=ctx.principal, user_id=agent_id, now=ctx.now)


@router.patch("/{agent_id}")
def update_agent(agent_id: AgentId, data: AgentProfileUpdate, ctx: CurrentCtx) -> AgentRead:
    """Leads and admins set languages, capacity per channel (>= 0) and the shift calendar; agents set
    their own presence."""
    with ctx.write() as session:
        return service.update_agent(session, actor=ctx.principal, user_id=agent_id, data=data, now=ctx.now)


@handoffs.post("/{ticket_id}/escalations", status_code=201)
def escalate(ticket_id: TicketId, data: HandoffCreate, ctx: CurrentCtx) -> dict[str, Any]:
    """Hand the ticket to the next tier (or a named higher group) with a handoff note: summary,
    steps tried, customer impact, hypothesis. Past the handoff limit only a lead or admin may."""
    return _hand_off(ticket_id, data, ctx, "up")


@handoffs.post("/{ticket_id}/deescalations", status_code=201)
def deescalate(ticket_id: TicketId, data: HandoffCreate, ctx: CurrentCtx) -> dict[str, Any]:
    """Hand the ticket back to the previous tier (or a named lower group), with a handoff note."""
    return _hand_off(ticket_id, data, ctx, "down")


def _hand_off(ticket_id: int, data: HandoffCreate, ctx: CurrentCtx, direction: Direction) -> dict[str, Any]:
    with ctx.write() as session:
        ticket = tickets.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id, for_update=True)
        return escalation.hand_off(
            session,
            actor=ctx.principal,
            ticket=ticket,
            data=data,
            direction=direction,
            now=ctx.now,
            settings=ctx.settings,
        )


@reports_router.get("/tiers")
def tiers(
    ctx: CurrentCtx,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> list[TierRow]:
    """Tickets first resolved in [since, until), by the highest tier they reached, against the
    target bands (L1 60-80 %, L2 15-25 %, L3 under 5 %)."""
    with ctx.read() as session:
        return reports.tier_report(
            session,
            actor=ctx.principal,
            since=utc(since) if since else None,
            until=utc(until) if until else None,
        )
