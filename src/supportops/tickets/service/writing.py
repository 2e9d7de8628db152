"""Ticket use cases that change state: create, update, transition, reply, log time, auto-close."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from supportops.auth import service as accounts
from supportops.auth.enums import Scope
from supportops.auth.principal import SYSTEM, Principal
from supportops.config import Settings, get_settings
from supportops.events.bus import publish
from supportops.jobs import service as jobs
from supportops.kit.errors import Forbidden, IllegalTransition, InvalidInput
from supportops.tickets import counters, lifecycle, repository
from supportops.tickets.enums import DEFAULT_PRIORITY, AuthorKind, Status
from supportops.tickets.events import (
    SLA_SUMMARY,
    MessagePosted,
    TicketChanged,
    TicketCreated,
    TicketPrepared,
    TicketStatusChanged,
)
from supportops.tickets.models import Message, Ticket, TimeEntry
from supportops.tickets.schemas import (
    MessageCreate,
    TicketCreate,
    TicketRead,
    TicketUpdate,
    TimeEntryCreate,
)
from supportops.tickets.service.history import (
    AUTO_CLOSE_JOB,
    _change,
    _check_assignee_in_group,
    _check_priority,
    _check_version,
    _group_tier,
    _log,
    _set_status,
    _staff_user,
)
from supportops.tickets.service.reading import COUNTER_FIELDS, to_read

# --- creating ---------------------------------------------------------------------------------


def _requester(
    session: Session, *, actor: Principal, data: TicketCreate, now: datetime
) -> tuple[int, int | None]:
    """(requester id, organization id) of a new ticket."""
    if not actor.is_staff:
        for name in ("requester_id", "requester_email", "assignee_id", "group_id"):
            if getattr(data, name) is not None:
                raise Forbidden(f"Customers cannot set {name} on a ticket.", field=name)
        assert actor.user_id is not None
        return actor.user_id, actor.organization_id
    if data.requester_id is not None:
        user = accounts.users_by_id(session, [data.requester_id]).get(data.requester_id)
        if user is None:
            raise InvalidInput(f"User {data.requester_id} does not exist.", field="requester_id")
        return user.id, user.organization_id
    if data.requester_email is not None:
        user = accounts.customer_for_email(
            session, email=str(data.requester_email), name=data.requester_name, now=now
        )
        return user.id, user.organization_id
    if actor.user_id is None:
        raise InvalidInput("Name the requester with requester_id or requester_email.", field="requester_id")
    return actor.user_id, actor.organization_id


def create_ticket(
    session: Session,
    *,
    actor: Principal,
    data: TicketCreate,
    now: datetime,
    settings: Settings | None = None,
    follow_up_of: Ticket | None = None,
) -> TicketRead:
    """Open a ticket (see :func:`open_ticket`) and return its view."""
    row = open_ticket(session, actor=actor, data=data, now=now, settings=settings, follow_up_of=follow_up_of)
    return to_read(row, staff=actor.is_staff)


def open_ticket(
    session: Session,
    *,
    actor: Principal,
    data: TicketCreate,
    now: datetime,
    settings: Settings | None = None,
    follow_up_of: Ticket | None = None,
) -> dict[str, Any]:
    """Open a ticket and return its row as written. Its first events and counters are computed here
    and written with two inserts: creation is the hottest write path, so it skips the ORM's unit of
    work. The API builds the view from the row after the commit, outside the writer."""
    settings = settings or get_settings()
    actor.require(Scope.tickets_write)
    requester_id, organization_id = _requester(session, actor=actor, data=data, now=now)
    priority = _check_priority(data.priority or DEFAULT_PRIORITY[settings.priority_scheme], settings)
    group_tier = _group_tier(session, data.group_id, "group_id")
    if data.assignee_id is not None:
        _staff_user(session, data.assignee_id, "assignee_id")
        _check_assignee_in_group(session, data.assignee_id, data.group_id, "assignee_id")
    follow_up_of_id = follow_up_of.id if follow_up_of else None
    events = [
        counters.LoggedEvent(
            "created",
            now,
            data={
                "channel": data.channel.value,
                "priority": priority,
                "assignee_id": data.assignee_id,
                "group_id": data.group_id,
                "group_tier": group_tier,
                "follow_up_of_id": follow_up_of_id,
            },
        )
    ]
    status = Status.new
    if data.assignee_id is not None:
        status = Status.assigned
        events.append(counters.LoggedEvent("change", now, "status", Status.new.value, status.value))
    derived = counters.recompute(events)
    values: dict[str, Any] = {
        "subject": data.subject,
        "description": data.description,
        "status": status.value,
        "priority": priority,
        "severity": data.severity.value if data.severity else None,
        "channel": data.channel.value,
        "category": data.category,
        "tags": sorted(set(data.tags)),
        "custom_fields": dict(data.custom_fields),
        "requester_id": requester_id,
        "organization_id": organization_id,
        "assignee_id": data.assignee_id,
        "group_id": data.group_id,
        "follow_up_of_id": follow_up_of_id,
        "created_by_id": actor.user_id,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "version": 1,
        **{name: getattr(derived, name) for name in COUNTER_FIELDS},
    }
    history = tuple(events)
    prepared = TicketPrepared(at=now, fields=values, history=history)
    publish(session, prepared)
    unknown = prepared.columns.keys() - set(SLA_SUMMARY)
    if unknown:
        raise TypeError(f"a TicketPrepared subscriber set columns it does not keep: {sorted(unknown)}")
    values.update(prepared.columns)
    ticket_id = repository.insert_ticket(session, values)
    repository.insert_events(
        session,
        [
            {
                "ticket_id": ticket_id,
                "at": e.at,
                "actor_id": actor.user_id,
                "kind": e.kind,
                "public": True,
                "field": e.field,
                "old_value": e.old_value,
                "new_value": e.new_value,
                "data": e.data,
            }
            for e in events
        ],
    )
    publish(
        session,
        TicketCreated(
            ticket_id=ticket_id,
            at=now,
            follow_up_of_id=follow_up_of_id,
            fields=values,
            history=history,
            notes=prepared.notes,
        ),
    )
    if status != Status.new:
        publish(
            session,
            TicketStatusChanged(
                ticket_id=ticket_id,
                at=now,
                actor_id=actor.user_id,
                old=Status.new.value,
                new=status.value,
                reopened=False,
            ),
        )
    return repository.handed_out(session, {**values, "id": ticket_id})


# --- changing ---------------------------------------------------------------------------------


def record(
    session: Session,
    *,
    actor: Principal,
    ticket: Ticket,
    now: datetime,
    kind: str,
    data: dict[str, Any],
) -> None:
    """Append an event that another domain owns (an escalation, a routing decision) to the ticket's
    log, so the history shows it beside every other change; it moves no counter."""
    _log(session, ticket, actor=actor, now=now, kind=kind, data=data)


def update_ticket(
    session: Session,
    *,
    actor: Principal,
    ticket: Ticket,
    data: TicketUpdate,
    now: datetime,
    expected_version: int | None = None,
    settings: Settings | None = None,
) -> Ticket:
    settings = settings or get_settings()
    actor.require(Scope.tickets_write)
    actor.require_staff("change a ticket's fields")
    _check_version(ticket, expected_version)
    if ticket.status == Status.closed:
        raise IllegalTransition(
            f"Ticket {ticket.id} is closed and cannot change; reply to it to open a follow-up.",
            allowed=[],
        )
    fields = data.model_fields_set
    for name in ("subject", "priority", "tags", "custom_fields"):
        if name in fields and getattr(data, name) is None:
            raise InvalidInput(f"{name} cannot be null.", field=name)
    changes: dict[str, tuple[Any, Any]] = {}
    new_group = data.group_id if "group_id" in fields else ticket.group_id
    new_assignee = data.assignee_id if "assignee_id" in fields else ticket.assignee_id
    group_tier = _group_tier(session, new_group, "group_id") if "group_id" in fields else None
    if "assignee_id" in fields and new_assignee is not None:
        _staff_user(session, new_assignee, "assignee_id")
    if new_assignee is not None and ("assignee_id" in fields or "group_id" in fields):
        _check_assignee_in_group(session, new_assignee, new_group, "assignee_id")
    if "assignee_id" in fields and new_assignee is None and Status(ticket.status) == Status.resolved:
        raise InvalidInput("A resolved ticket keeps its assignee; reopen it first.", field="assignee_id")

    simple: dict[str, Any] = {}
    if "subject" in fields:
        simple["subject"] = data.subject
    if "priority" in fields and data.priority is not None:
        simple["priority"] = _check_priority(data.priority, settings)
    if "severity" in fields:
        simple["severity"] = data.severity.value if data.severity else None
    if "category" in fields:
        simple["category"] = data.category
    if "tags" in fields and data.tags is not None:
        simple["tags"] = sorted(set(data.tags))
    if "custom_fields" in fields and data.custom_fields is not None:
        simple["custom_fields"] = {**ticket.custom_fields, **data.custom_fields}
    for name, value in simple.items():
        _change(
            session,
            ticket,
            name,
            value,
            actor=actor,
            now=now,
            changes=changes,
            public=name in ("subject", "priority"),
        )
    if "group_id" in fields:
        _change(
            session,
            ticket,
            "group_id",
            new_group,
            actor=actor,
            now=now,
            changes=changes,
            data={"group_tier": group_tier},
        )
    if "assignee_id" in fields and _change(
        session, ticket, "assignee_id", new_assignee, actor=actor, now=now, changes=changes
    ):
        move = lifecycle.after_assignment(Status(ticket.status), has_assignee=new_assignee is not None)
        if move is not None:
            _set_status(session, ticket, move, actor=actor, now=now, settings=settings)
    if changes:
        publish(
            session,
            TicketChanged(ticket_id=ticket.id, at=now, actor_id=actor.user_id, changes=changes),
        )
    session.flush()
    return ticket


def transition(
    session: Session,
    *,
    actor: Principal,
    ticket: Ticket,
    to: Status,
    now: datetime,
    expected_version: int | None = None,
    settings: Settings | None = None,
) -> Ticket:
    settings = settings or get_settings()
    actor.require(Scope.tickets_write)
    _check_version(ticket, expected_version)
    if not actor.is_staff and to != Status.resolved:
        raise Forbidden("Customers can only mark their ticket as resolved.")
    _set_status(session, ticket, to, actor=actor, now=now, settings=settings)
    session.flush()
    return ticket


def add_message(
    session: Session,
    *,
    actor: Principal,
    ticket: Ticket,
    data: MessageCreate,
    now: datetime,
    settings: Settings | None = None,
    author_kind: AuthorKind | None = None,
) -> tuple[Message, Ticket, bool]:
    """Post a reply or note. A reply to a closed ticket opens a linked follow-up ticket instead;
    returns (message, the ticket it landed on, whether a follow-up was created)."""
    settings = settings or get_settings()
    actor.require(Scope.tickets_write)
    kind = author_kind or (
        AuthorKind.system if actor.is_system else AuthorKind.agent if actor.is_staff else AuthorKind.customer
    )
    if kind == AuthorKind.customer:
        if not data.public:
            raise Forbidden("Customers cannot write internal notes.", field="public")
        if data.status is not None:
            raise Forbidden("Customers cannot set the status with a reply.", field="status")

    follow_up = False
    if ticket.status == Status.closed:
        original = ticket
        subject = f"Follow-up: {original.subject}"[:255]
        created = create_ticket(
            session,
            actor=SYSTEM,
            data=TicketCreate(
                subject=subject,
                description=f"Follow-up to closed ticket #{original.id}.",
                priority=original.priority,
                channel=data.channel or original.channel,
                category=original.category,
                tags=original.tags,
                requester_id=original.requester_id,
                group_id=original.group_id,
            ),
            now=now,
            settings=settings,
            follow_up_of=original,
        )
        landed = repository.get_unchecked(session, created.id)
        assert landed is not None
        ticket = landed
        follow_up = True

    message = Message(
        ticket_id=ticket.id,
        author_id=actor.user_id,
        author_kind=kind.value,
        public=data.public,
        channel=(data.channel or ticket.channel),
        body=data.body,
        created_at=now,
    )
    session.add(message)
    session.flush()
    _log(
        session,
        ticket,
        actor=actor,
        now=now,
        kind="message",
        new=message.id,
        public=data.public,
        data={"public": data.public, "author_kind": kind.value},
    )

    current = Status(ticket.status)
    if data.public and kind == AuthorKind.customer:
        move = lifecycle.after_customer_reply(current, has_assignee=ticket.assignee_id is not None)
        if move is not None:
            _set_status(session, ticket, move, actor=actor, now=now, settings=settings)
    elif data.public and kind == AuthorKind.agent:
        if ticket.assignee_id is None and actor.user_id is not None and _may_take(session, actor, ticket):
            taken: dict[str, tuple[Any, Any]] = {}
            _change(session, ticket, "assignee_id", actor.user_id, actor=actor, now=now, changes=taken)
            publish(
                session, TicketChanged(ticket_id=ticket.id, at=now, actor_id=actor.user_id, changes=taken)
            )
        move = lifecycle.after_agent_reply(current) if ticket.assignee_id is not None else None
        if move is not None and data.status is None:
            _set_status(session, ticket, move, actor=actor, now=now, settings=settings)
    if data.status is not None and data.status != Status(ticket.status):
        _set_status(session, ticket, data.status, actor=actor, now=now, settings=settings)
    publish(
        session,
        MessagePosted(
            ticket_id=ticket.id,
            message_id=message.id,
            at=now,
            public=data.public,
            author_kind=kind.value,
        ),
    )
    session.flush()
    return message, ticket, follow_up


def _may_take(session: Session, actor: Principal, ticket: Ticket) -> bool:
    """An agent who answers an unassigned ticket takes it, if they may work in its group."""
    if ticket.group_id is None:
        return True
    return actor.user_id in accounts.member_ids_of_groups(session, [ticket.group_id])[ticket.group_id]


def log_time(
    session: Session, *, actor: Principal, ticket: Ticket, data: TimeEntryCreate, now: datetime
) -> TimeEntry:
    actor.require(Scope.tickets_write)
    actor.require_staff("log handle time")
    if actor.user_id is None:
        raise Forbidden("Handle time belongs to an agent; the system cannot log it.")
    entry = TimeEntry(
        ticket_id=ticket.id,
        agent_id=actor.user_id,
        started_at=data.started_at or now - timedelta(seconds=data.seconds),
        seconds=data.seconds,
        source=data.source,
        note=data.note,
    )
    session.add(entry)
    session.flush()
    _log(
        session,
        ticket,
        actor=actor,
        now=now,
        kind="time",
        new=entry.id,
        data={"seconds": data.seconds, "agent_id": actor.user_id},
    )
    session.flush()
    return entry


# --- jobs -------------------------------------------------------------------------------------


@jobs.handler(AUTO_CLOSE_JOB)
def auto_close(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Close a resolved ticket N days after its resolution, unless it was reopened meanwhile."""
    ticket = repository.get_unchecked(session, int(payload["ticket_id"]))
    if ticket is None or ticket.status != Status.resolved or ticket.last_resolved_at is None:
        return
    if ticket.last_resolved_at.isoformat() != payload["resolved_at"]:
        return
    _set_status(session, ticket, Status.closed, actor=SYSTEM, now=now, settings=get_settings())
    session.flush()
