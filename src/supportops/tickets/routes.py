"""HTTP for tickets: create, get, list, partial update, transitions, messages, timeline, time."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from supportops.auth.deps import CurrentCtx
from supportops.kit.clock import utc
from supportops.kit.etag import parse_if_match
from supportops.kit.pagination import MAX_LIMIT
from supportops.tickets import service
from supportops.tickets.enums import Status
from supportops.tickets.repository import SlaFilter, TicketFilter, TicketOrder
from supportops.tickets.schemas import (
    MessageCreate,
    MessagePage,
    MessagePosted,
    MessageRead,
    TicketCreate,
    TicketPage,
    TicketRead,
    TicketUpdate,
    TimeEntryCreate,
    TimeEntryRead,
    TimelineEvent,
    TimelineMessage,
    TimelinePage,
    TransitionCreate,
)

router = APIRouter(prefix="/tickets", tags=["tickets"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OptionalId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


IfMatch = Annotated[str | None, Header(alias="If-Match")]


def _with_etag(response: Response, read: TicketRead) -> TicketRead:
    """The version a client sends back as If-Match."""
    response.headers["ETag"] = f'"{read.version}"'
    return read


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_ticket(data: TicketCreate, ctx: CurrentCtx, response: Response) -> TicketRead:
    # Group commit: concurrent creates share one transaction (see supportops.db.batching).
    row = await ctx.state.writer.run(
        partial(service.open_ticket, actor=ctx.principal, data=data, now=ctx.now, settings=ctx.settings)
    )
    read = service.to_read(row, staff=ctx.principal.is_staff)
    response.headers["Location"] = f"/api/v1/tickets/{read.id}"
    return _with_etag(response, read)


@router.get("")
async def list_tickets(
    ctx: CurrentCtx,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    priority: Annotated[list[str] | None, Query(max_length=10)] = None,
    assignee_id: OptionalId = None,
    unassigned: bool = False,
    group_id: OptionalId = None,
    requester_id: OptionalId = None,
    organization_id: OptionalId = None,
    updated_since: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sla: Annotated[SlaFilter | None, Query()] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    order: TicketOrder = TicketOrder.newest,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 25,
) -> TicketPage:
    """Newest first, or with ``order=sla_due`` soonest SLA due first (tickets with a running clock).
    Filters combine with AND; ``q`` matches words (and word prefixes) in the
    subject and description; ``sla=at_risk`` keeps tickets past a warning but not yet due,
    ``sla=breached`` those with a clock past due that still runs."""
    filters = TicketFilter(
        status=[s.value for s in status_ or []],
        priority=[p.upper() for p in priority or []],
        assignee_id=assignee_id,
        unassigned=unassigned,
        group_id=group_id,
        requester_id=requester_id,
        organization_id=organization_id,
        updated_since=utc(updated_since) if updated_since else None,
        q=q,
        sla=sla,
        now=ctx.now,
        order=order,
        tag=tag,
    )

    def run() -> TicketPage:
        with ctx.rows() as connection:
            page = service.list_tickets(
                connection, actor=ctx.principal, filters=filters, cursor=cursor, limit=limit
            )
            return TicketPage(items=list(page.items), next_cursor=page.next_cursor)

    # Index-driven pages take microseconds and run on the event loop; a full-text search can take
    # longer on a big table, so it goes to the thread pool and never stalls other requests.
    return await run_in_threadpool(run) if q else run()


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: TicketId, ctx: CurrentCtx, response: Response) -> TicketRead:
    with ctx.rows() as connection:
        read = service.read_ticket(connection, actor=ctx.principal, ticket_id=ticket_id)
    return _with_etag(response, read)


@router.patch("/{ticket_id}")
def update_ticket(
    ticket_id: TicketId,
    data: TicketUpdate,
    ctx: CurrentCtx,
    response: Response,
    if_match: IfMatch = None,
) -> TicketRead:
    """Change fields. Send the ETag you read as If-Match: a stale version gets 412."""
    expected = parse_if_match(if_match)
    with ctx.write() as session:
        ticket = service.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id, for_update=True)
        service.update_ticket(
            session,
            actor=ctx.principal,
            ticket=ticket,
            data=data,
            now=ctx.now,
            expected_version=expected,
            settings=ctx.settings,
        )
    # Built after the commit: the SLA summary is computed just before it.
    return _with_etag(response, service.to_read(ticket, staff=ctx.principal.is_staff))


@router.post("/{ticket_id}/transitions")
def transition(
    ticket_id: TicketId,
    data: TransitionCreate,
    ctx: CurrentCtx,
    response: Response,
    if_match: IfMatch = None,
) -> TicketRead:
    """Move the ticket to another status; an illegal move gets 409 naming the allowed ones."""
    expected = parse_if_match(if_match)
    with ctx.write() as session:
        ticket = service.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id, for_update=True)
        service.transition(
            session,
            actor=ctx.principal,
            ticket=ticket,
            to=data.to,
            now=ctx.now,
            expected_version=expected,
            settings=ctx.settings,
        )
    # Built after the commit: the SLA summary is computed just before it.
    return _with_etag(response, service.to_read(ticket, staff=ctx.principal.is_staff))


@router.get("/{ticket_id}/messages")
def list_messages(
    ticket_id: TicketId,
    ctx: CurrentCtx,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
) -> MessagePage:
    with ctx.read() as session:
        ticket = service.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id)
        page = service.list_messages(session, actor=ctx.principal, ticket=ticket, cursor=cursor, limit=limit)
        return MessagePage(
            items=[MessageRead.model_validate(m) for m in page.items], next_cursor=page.next_cursor
        )


@router.post("/{ticket_id}/messages", status_code=status.HTTP_201_CREATED)
def post_message(ticket_id: TicketId, data: MessageCreate, ctx: CurrentCtx) -> MessagePosted:
    """A public reply or an internal note. On a closed ticket this opens a linked follow-up."""
    with ctx.write() as session:
        ticket = service.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id, for_update=True)
        message, landed, follow_up = service.add_message(
            session,
            actor=ctx.principal,
            ticket=ticket,
            data=data,
            now=ctx.now,
            settings=ctx.settings,
        )
    return MessagePosted(  # built after the commit, as the SLA summary is computed just before it
        message=MessageRead.model_validate(message),
        ticket=service.to_read(landed, staff=ctx.principal.is_staff),
        follow_up_created=follow_up,
    )


@router.get("/{ticket_id}/timeline")
def timeline(
    ticket_id: TicketId,
    ctx: CurrentCtx,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 100,
) -> TimelinePage:
    """Every event in order, with messages inline. Customers see public entries only."""
    with ctx.read() as session:
        ticket = service.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id)
        entries, next_cursor = service.timeline(
            session, actor=ctx.principal, ticket=ticket, cursor=cursor, limit=limit
        )
        items: list[TimelineEvent | TimelineMessage] = []
        for event, message in entries:
            if message is not None:
                items.append(
                    TimelineMessage(id=event.id, at=event.at, message=MessageRead.model_validate(message))
                )
            else:
                items.append(
                    TimelineEvent(
                        id=event.id,
                        at=event.at,
                        actor_id=event.actor_id,
                        kind=event.kind,
                        field=event.field,
                        old_value=event.old_value,
                        new_value=event.new_value,
                        data=event.data if ctx.principal.is_staff else None,
                    )
                )
        return TimelinePage(items=items, next_cursor=next_cursor)


@router.post("/{ticket_id}/time", status_code=status.HTTP_201_CREATED)
def log_time(ticket_id: TicketId, data: TimeEntryCreate, ctx: CurrentCtx) -> TimeEntryRead:
    """Record handle time on this ticket (a timer stop or a manual entry)."""
    with ctx.write() as session:
        ticket = service.get_ticket(session, actor=ctx.principal, ticket_id=ticket_id, for_update=True)
        return TimeEntryRead.model_validate(
            service.log_time(session, actor=ctx.principal, ticket=ticket, data=data, now=ctx.now)
        )
