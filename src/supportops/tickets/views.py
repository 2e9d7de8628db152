"""The agent workspace's own records: saved queue views, who has a ticket open, and changes made to
many tickets at once.

Saved views keep an agent's queue filters under a name, per user. Ticket viewers are one row per
(ticket, agent), refreshed by the open ticket page every few seconds; they live in the database
because several app processes serve one help desk and each must see the others' viewers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from supportops.auth import service as accounts
from supportops.auth.principal import Principal
from supportops.config import Settings
from supportops.db.base import Base, BigId, JSONType, UTCDateTime
from supportops.kit.errors import Forbidden, InvalidInput, NotFound
from supportops.kit.pagination import Page, encode_cursor
from supportops.kit.text import DbId, Tag
from supportops.tickets import service as tickets
from supportops.tickets.enums import Status
from supportops.tickets.repository import TicketFilter, TicketOrder
from supportops.tickets.schemas import Priority, TicketRead, TicketUpdate

MAX_VIEWS = 50
VIEWER_WINDOW = timedelta(seconds=60)
"""A viewer not heard from for this long has left the ticket."""
FORGET_VIEWERS_AFTER = timedelta(hours=1)
MAX_BULK = 100
_LATEST = datetime.max.replace(tzinfo=UTC)

# --- models -----------------------------------------------------------------------------------


class SavedView(Base):
    """A named set of queue filters of one agent."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_id_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketViewer(Base):
    """An agent who has a ticket open: when the page last checked in, and whether they are typing
    a reply."""

    __tablename__ = "ticket_viewers"
    __table_args__ = (Index("ix_ticket_viewers_seen_at", "seen_at"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    typing: Mapped[bool] = mapped_column(Boolean, default=False)


VIEWERS: Table = TicketViewer.__table__  # type: ignore[assignment]

# --- schemas ----------------------------------------------------------------------------------

STATUS_CHOICES = ("open", "any", *(s.value for s in Status))
"""A queue's status refinement: one status, every unsolved one (``open``) or none at all (``any``)."""


def _status_choice(value: str) -> str:
    if value not in STATUS_CHOICES:
        raise ValueError(f"use one of {', '.join(STATUS_CHOICES)}")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


StatusChoice = Annotated[str, AfterValidator(_status_choice)]
AssigneeChoice = Annotated[str, StringConstraints(pattern=r"^(me|none|[1-9][0-9]{0,17})$")]
QueueKey = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,20}$")]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)]
ViewName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AfterValidator(_no_nul)
]


class ViewFilters(BaseModel):
    """A queue and its refinements; a field left empty keeps what the queue itself selects."""

    model_config = ConfigDict(extra="forbid")
    queue: QueueKey = "mine"
    status: StatusChoice | None = None
    priority: Priority | None = None
    group_id: DbId | None = None
    assignee: AssigneeChoice | None = Field(
        default=None, description="me, none (unassigned) or an agent's id."
    )
    tag: Tag | None = None
    q: SearchText | None = None
    sort: TicketOrder | None = None

    def refined(self) -> bool:
        return any(getattr(self, name) for name in type(self).model_fields if name != "queue")


class SavedViewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ViewName
    filters: ViewFilters


class SavedViewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    filters: ViewFilters
    created_at: datetime
    updated_at: datetime


class ViewerRead(BaseModel):
    user_id: int
    name: str
    typing: bool
    seen_at: datetime


class BulkChange(BaseModel):
    """What one bulk action does to each selected ticket; empty fields change nothing."""

    model_config = ConfigDict(extra="forbid")
    assignee_id: DbId | None = None
    status: Status | None = None
    priority: Priority | None = None
    add_tag: Tag | None = None

    def is_empty(self) -> bool:
        return not (self.assignee_id or self.status or self.priority or self.add_tag)


# --- saved views ------------------------------------------------------------------------------


def _owner(actor: Principal, action: str) -> int:
    actor.require_staff(action)
    if actor.user_id is None:
        raise Forbidden(f"Only a signed-in agent can {action}.")
    return actor.user_id


def list_views(session: Session, *, actor: Principal) -> list[SavedViewRead]:
    """The actor's own saved views, by name."""
    user_id = _owner(actor, "use saved views")
    rows = session.scalars(
        select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name).limit(MAX_VIEWS)
    )
    return [SavedViewRead.model_validate(r) for r in rows]


def get_view(session: Session, *, actor: Principal, view_id: int) -> SavedViewRead:
    user_id = _owner(actor, "use saved views")
    row = session.scalar(select(SavedView).where(SavedView.id == view_id, SavedView.user_id == user_id))
    if row is None:
        raise NotFound(f"Saved view {view_id} does not exist or is not yours.")
    return SavedViewRead.model_validate(row)


def save_view(session: Session, *, actor: Principal, data: SavedViewCreate, now: datetime) -> SavedViewRead:
    """Save the filters under a name; saving under a name in use replaces that view's filters."""
    user_id = _owner(actor, "save views")
    existing = session.scalar(
        select(SavedView).where(SavedView.user_id == user_id, SavedView.name == data.name)
    )
    filters = data.filters.model_dump(mode="json", exclude_none=True)
    if existing is not None:
        existing.filters = filters
        existing.updated_at = now
        session.flush()
        return SavedViewRead.model_validate(existing)
    count = (
        session.scalar(select(func.count()).select_from(SavedView).where(SavedView.user_id == user_id)) or 0
    )
    if count >= MAX_VIEWS:
        raise InvalidInput(f"You have {MAX_VIEWS} saved views; delete one first.", field="name")
    view = SavedView(user_id=user_id, name=data.name, filters=filters, created_at=now, updated_at=now)
    session.add(view)
    session.flush()
    return SavedViewRead.model_validate(view)


def delete_view(session: Session, *, actor: Principal, view_id: int) -> None:
    user_id = _owner(actor, "delete saved views")
    result = session.execute(delete(SavedView).where(SavedView.id == view_id, SavedView.user_id == user_id))
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"Saved view {view_id} does not exist or is not yours.")


# --- lists over several groups ----------------------------------------------------------------


def list_in_groups(
    session: Session,
    *,
    actor: Principal,
    filters: TicketFilter,
    group_ids: Sequence[int],
    cursor: str | None,
    limit: int,
) -> Page[TicketRead]:
    """Tickets of any of these groups: one indexed page per group, merged in the list's order.

    Both orders page on a key every group's page shares (the id, or the due instant and id), so the
    same cursor continues each group's page and the merge is exact."""
    pages = [
        tickets.list_tickets(
            session, actor=actor, filters=replace(filters, group_id=g), cursor=cursor, limit=limit
        )
        for g in sorted(set(group_ids))
    ]
    rows = [row for page in pages for row in page.items]
    more = any(page.next_cursor for page in pages) or len(rows) > limit
    if filters.order == TicketOrder.sla_due:
        rows.sort(key=lambda r: (r.sla_due_at or _LATEST, r.id))
    else:
        rows.sort(key=lambda r: r.id, reverse=True)
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        if filters.order == TicketOrder.sla_due and last.sla_due_at is not None:
            next_cursor = encode_cursor({"due": last.sla_due_at.isoformat(), "after": last.id})
        else:
            next_cursor = encode_cursor({"before": last.id})
    return Page(items=rows, next_cursor=next_cursor)


# --- bulk changes -----------------------------------------------------------------------------


def apply_change(
    session: Session,
    *,
    actor: Principal,
    ticket_id: int,
    change: BulkChange,
    now: datetime,
    settings: Settings | None = None,
) -> None:
    """One ticket's share of a bulk action, through the same rules as a change made on its page:
    fields first (assigning may move a new ticket on), then the status."""
    ticket = tickets.get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    fields: dict[str, Any] = {}
    if change.assignee_id is not None and change.assignee_id != ticket.assignee_id:
        fields["assignee_id"] = change.assignee_id
    if change.priority is not None and change.priority != ticket.priority:
        fields["priority"] = change.priority
    if change.add_tag is not None and change.add_tag not in ticket.tags:
        fields["tags"] = [*ticket.tags, change.add_tag]
    if fields:
        tickets.update_ticket(
            session,
            actor=actor,
            ticket=ticket,
            data=TicketUpdate.model_validate(fields),
            now=now,
            settings=settings,
        )
    if change.status is not None and change.status != ticket.status:
        tickets.transition(session, actor=actor, ticket=ticket, to=change.status, now=now, settings=settings)


# --- who has a ticket open ----------------------------------------------------------------------


def touch_viewer(session: Session, *, actor: Principal, ticket_id: int, typing: bool, now: datetime) -> None:
    """Record that the actor has the ticket open now (and whether they are typing a reply)."""
    user_id = _owner(actor, "show that they work on a ticket")
    tickets.read_ticket(session, actor=actor, ticket_id=ticket_id)
    values = {"ticket_id": ticket_id, "user_id": user_id, "seen_at": now, "typing": typing}
    keys = ["ticket_id", "user_id"]
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(VIEWERS).values(values)
        upsert: Any = pg.on_conflict_do_update(
            index_elements=keys, set_={"seen_at": pg.excluded.seen_at, "typing": pg.excluded.typing}
        )
    else:
        lite = sqlite_insert(VIEWERS).values(values)
        upsert = lite.on_conflict_do_update(
            index_elements=keys, set_={"seen_at": lite.excluded.seen_at, "typing": lite.excluded.typing}
        )
    session.execute(upsert)
    session.execute(delete(TicketViewer).where(TicketViewer.seen_at < now - FORGET_VIEWERS_AFTER))


def viewers(session: Session, *, actor: Principal, ticket_id: int, now: datetime) -> list[ViewerRead]:
    """The other agents who had the ticket open within the last minute, most recent first."""
    actor.require_staff("see who works on a ticket")
    rows = list(
        session.scalars(
            select(TicketViewer)
            .where(
                TicketViewer.ticket_id == ticket_id,
                TicketViewer.seen_at >= now - VIEWER_WINDOW,
                TicketViewer.user_id != (actor.user_id or 0),
            )
            .order_by(TicketViewer.seen_at.desc())
            .limit(20)
        )
    )
    people = accounts.users_by_id(session, [r.user_id for r in rows])
    return [
        ViewerRead(
            user_id=r.user_id,
            name=people[r.user_id].name if r.user_id in people else f"User {r.user_id}",
            typing=r.typing,
            seen_at=r.seen_at,
        )
        for r in rows
    ]
