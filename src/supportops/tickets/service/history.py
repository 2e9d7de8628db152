"""The one way a ticket changes: append the event, apply it to the counters, check the rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from supportops.auth import service as accounts
from supportops.auth.enums import STAFF_ROLES, Role
from supportops.auth.models import User
from supportops.auth.principal import Principal
from supportops.config import Settings
from supportops.events.bus import publish
from supportops.jobs import service as jobs
from supportops.kit.errors import IllegalTransition, InvalidInput
from supportops.tickets import counters, lifecycle, repository
from supportops.tickets.enums import PRIORITIES, Status
from supportops.tickets.errors import StaleTicket
from supportops.tickets.events import TicketStatusChanged
from supportops.tickets.models import Ticket, TicketEvent
from supportops.tickets.service.reading import COUNTER_FIELDS, counters_of

AUTO_CLOSE_JOB = "tickets.auto_close"


def _log(
    session: Session,
    ticket: Ticket,
    *,
    actor: Principal,
    now: datetime,
    kind: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    data: dict[str, Any] | None = None,
    public: bool = False,
) -> None:
    repository.add_event(
        session,
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor.user_id,
            kind=kind,
            public=public,
            field=field,
            old_value=old,
            new_value=new,
            data=data,
        ),
    )
    updated = counters.apply(counters_of(ticket), counters.LoggedEvent(kind, now, field, old, new, data))
    for name in COUNTER_FIELDS:
        value = getattr(updated, name)
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
    ticket.updated_at = now


def _set_status(
    session: Session,
    ticket: Ticket,
    target: Status,
    *,
    actor: Principal,
    now: datetime,
    settings: Settings,
) -> None:
    current = Status(ticket.status)
    problem = lifecycle.why_not(current, target, has_assignee=ticket.assignee_id is not None)
    if problem is not None:
        options = lifecycle.allowed(current, has_assignee=ticket.assignee_id is not None)
        raise IllegalTransition(problem, allowed=[o.value for o in options])
    ticket.status = target.value
    _log(
        session,
        ticket,
        actor=actor,
        now=now,
        kind="change",
        field="status",
        old=current.value,
        new=target.value,
        public=True,
    )
    if target == Status.closed:
        ticket.closed_at = now
    if target == Status.resolved:
        jobs.enqueue(
            session,
            kind=AUTO_CLOSE_JOB,
            payload={"ticket_id": ticket.id, "resolved_at": now.isoformat()},
            now=now,
            run_at=now + timedelta(days=settings.auto_close_days),
            dedupe_key=f"{AUTO_CLOSE_JOB}:{ticket.id}:{now.isoformat()}",
        )
    publish(
        session,
        TicketStatusChanged(
            ticket_id=ticket.id,
            at=now,
            actor_id=actor.user_id,
            old=current.value,
            new=target.value,
            reopened=lifecycle.is_reopen(current, target),
        ),
    )


def _staff_user(session: Session, user_id: int, field: str) -> User:
    user = accounts.users_by_id(session, [user_id]).get(user_id)
    if user is None or not user.is_active:
        raise InvalidInput(f"User {user_id} does not exist or is deactivated.", field=field)
    if Role(user.role) not in STAFF_ROLES:
        raise InvalidInput(f"User {user_id} is a customer; only agents can be assigned.", field=field)
    return user


def _check_assignee_in_group(session: Session, assignee_id: int, group_id: int | None, field: str) -> None:
    if group_id is None:
        return
    if assignee_id not in accounts.member_ids_of_groups(session, [group_id])[group_id]:
        raise InvalidInput(
            f"User {assignee_id} is not a member of group {group_id}; pick a member or change the group.",
            field=field,
        )


def _group_tier(session: Session, group_id: int | None, field: str) -> str | None:
    if group_id is None:
        return None
    tier = accounts.group_tier(session, group_id)
    if tier is None:
        raise InvalidInput(f"Group {group_id} does not exist.", field=field)
    return tier.value


def _check_priority(priority: str, settings: Settings, field: str = "priority") -> str:
    allowed = PRIORITIES[settings.priority_scheme]
    if priority not in allowed:
        raise InvalidInput(
            f"{priority} is not a priority in the {settings.priority_scheme.upper()} scheme; "
            f"use one of {', '.join(allowed)}.",
            field=field,
        )
    return priority


def _change(
    session: Session,
    ticket: Ticket,
    field: str,
    value: Any,
    *,
    actor: Principal,
    now: datetime,
    changes: dict[str, tuple[Any, Any]],
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> bool:
    """Set one field and log it; False when it already had that value."""
    old = getattr(ticket, field)
    if old == value:
        return False
    setattr(ticket, field, value)
    _log(
        session,
        ticket,
        actor=actor,
        now=now,
        kind="change",
        field=field,
        old=old,
        new=value,
        public=public,
        data=data,
    )
    changes[field] = (old, value)
    return True


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ticket.version:
        raise StaleTicket(ticket.id, expected=expected_version, current=ticket.version)
