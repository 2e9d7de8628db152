"""Who hears about a ticket, and their inbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from supportops.auth.enums import Role
from supportops.auth.models import GroupMembership, User
from supportops.auth.principal import Principal
from supportops.kit.errors import NotFound
from supportops.notifications.models import Notification
from supportops.tickets.models import Ticket


class NotificationRead(BaseModel):
    id: int
    ticket_id: int | None
    kind: str
    text: str
    data: dict[str, Any] | None
    created_at: datetime
    read_at: datetime | None


def assignee_and_leads(session: Session, ticket_id: int) -> list[int]:
    """The ticket's assignee and the leads of its group; without a group, every lead."""
    row = session.execute(select(Ticket.assignee_id, Ticket.group_id).where(Ticket.id == ticket_id)).first()
    if row is None:
        return []
    leads = select(User.id).where(User.role == Role.lead, User.is_active.is_(True))
    if row.group_id is not None:
        leads = leads.join(GroupMembership, GroupMembership.user_id == User.id).where(
            GroupMembership.group_id == row.group_id
        )
    people = list(session.scalars(leads))
    if row.group_id is not None and not people:
        people = list(
            session.scalars(select(User.id).where(User.role == Role.lead, User.is_active.is_(True)))
        )
    if row.assignee_id is not None:
        people.insert(0, row.assignee_id)
    return list(dict.fromkeys(people))


def notify(
    session: Session,
    user_ids: Iterable[int],
    *,
    kind: str,
    text: str,
    now: datetime,
    ticket_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    rows = [
        {
            "user_id": u,
            "ticket_id": ticket_id,
            "kind": kind,
            "text": text,
            "data": data,
            "created_at": now,
            "read_at": None,
        }
        for u in dict.fromkeys(user_ids)
    ]
    if rows:
        session.execute(insert(Notification), rows)
    return len(rows)


def inbox(session: Session, *, actor: Principal, unread_only: bool, limit: int) -> list[NotificationRead]:
    if actor.user_id is None:
        return []
    stmt = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = session.scalars(stmt.order_by(Notification.id.desc()).limit(limit))
    return [NotificationRead.model_validate(r, from_attributes=True) for r in rows]


def mark_read(session: Session, *, actor: Principal, notification_id: int, now: datetime) -> NotificationRead:
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"Notification {notification_id} does not exist.")
    if row.read_at is None:
        session.execute(update(Notification).where(Notification.id == row.id).values(read_at=now))
        row.read_at = now
    return NotificationRead.model_validate(row, from_attributes=True)
