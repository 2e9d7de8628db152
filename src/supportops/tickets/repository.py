"""Every query on the ticket tables. ``visibility`` is the one place customer visibility is decided."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    Table,
    and_,
    bindparam,
    column,
    event,
    exists,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from supportops.auth.principal import Principal
from supportops.db.statements import Write
from supportops.tickets.enums import SOLVED_STATUSES
from supportops.tickets.models import Message, Ticket, TicketEvent, TimeEntry

TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
TICKET_EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]

_WORD = re.compile(r"\w+", re.UNICODE)


Visibility = Literal["all", "none", "own", "own_or_organization"]


def visibility(principal: Principal) -> Visibility:
    """Which tickets this principal may see: staff all; customers their own and, where their
    organization shares tickets, their organization's; a principal who is no user none."""
    if principal.is_staff:
        return "all"
    if principal.user_id is None:
        return "none"
    if principal.sees_organization_tickets and principal.organization_id is not None:
        return "own_or_organization"
    return "own"


Reader = Session | Connection
"""Where the read paths run their statements: a reading session, or a plain reading connection
(``Database.rows``) for the hottest reads."""


def _dialect(source: Reader) -> str:
    return source.get_bind().dialect.name if isinstance(source, Session) else source.dialect.name


def visible_sets(principal: Principal) -> list[ColumnElement[bool]]:
    """The tickets this principal may see, as conditions whose union is the answer. Each condition
    matches one index, so a page can be read from each and merged."""
    shape = visibility(principal)
    if shape == "all":
        return [true()]
    if shape == "none":
        return [false()]
    own = Ticket.requester_id == principal.user_id
    if shape == "own_or_organization":
        return [own, Ticket.organization_id == principal.organization_id]
    return [own]


def readable(principal: Principal) -> ColumnElement[bool]:
    """The tickets this principal may see, as one condition."""
    sets = visible_sets(principal)
    return sets[0] if len(sets) == 1 else or_(*sets)


def get(session: Session, ticket_id: int, *, principal: Principal, for_update: bool = False) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.id == ticket_id, readable(principal))
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


_BY_ID = select(TICKETS).where(TICKETS.c.id == bindparam("ticket_id"))
_ROW_FOR: dict[Visibility, Select[Any]] = {
    "all": _BY_ID,
    "own": _BY_ID.where(TICKETS.c.requester_id == bindparam("user_id")),
    "own_or_organization": _BY_ID.where(
        or_(TICKETS.c.requester_id == bindparam("user_id"), TICKETS.c.organization_id == bindparam("org_id"))
    ),
}
"""``get_row``'s statement for each ``visibility`` but none, built once: SQLAlchemy then finds the
compiled form without building and hashing a new statement per request."""


def get_row(source: Reader, ticket_id: int, *, principal: Principal) -> RowMapping | None:
    """The ticket as a plain row: the read path skips the ORM's identity map and change tracking,
    and with a plain connection (``Database.rows``) the session as well."""
    shape = visibility(principal)
    if shape == "none":
        return None
    params = {"ticket_id": ticket_id, "user_id": principal.user_id, "org_id": principal.organization_id}
    connection = source.connection() if isinstance(source, Session) else source
    return connection.execute(_ROW_FOR[shape], params).mappings().first()


_HANDED_OUT = "supportops_ticket_rows_handed_out"


def handed_out(session: Session, row: dict[str, Any]) -> dict[str, Any]:
    """A ticket row written in this transaction and about to be answered with: kept current by
    :func:`written_later` until the transaction ends."""
    session.info.setdefault(_HANDED_OUT, {})[row["id"]] = row
    return row


def written_later(session: Session, ticket_id: int, values: dict[str, Any]) -> None:
    """Columns of a ticket that a later step of this transaction wrote with a statement of its own
    (the SLA summary, computed just before the commit): the ticket's object in the session and a
    row handed out for it take them too, so that a create or an update answers what it commits."""
    row = session.info.get(_HANDED_OUT, {}).get(ticket_id)
    if row is not None:
        row.update(values)
    ticket = session.identity_map.get(identity_key(Ticket, ticket_id))
    if ticket is not None:
        for name, value in values.items():
            set_committed_value(ticket, name, value)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_handed_out(session: Session, *_: Any) -> None:
    session.info.pop(_HANDED_OUT, None)


def get_unchecked(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


class SlaFilter(StrEnum):
    at_risk = "at_risk"
    breached = "breached"


class TicketOrder(StrEnum):
    newest = "newest"
    sla_due = "sla_due"
    """Next SLA due instant first; only tickets with a running clock."""


@dataclass(frozen=True)
class DuePosition:
    """Where a page in ``sla_due`` order ends."""

    due: datetime
    id: int


@dataclass(frozen=True)
class TicketFilter:
    status: Sequence[str] = ()
    priority: Sequence[str] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    group_id: int | None = None
    requester_id: int | None = None
    organization_id: int | None = None
    updated_since: datetime | None = None
    q: str | None = None
    sla: SlaFilter | None = None
    now: datetime | None = None
    tag: str | None = None
    order: TicketOrder = TicketOrder.newest


def search_terms(q: str) -> list[str]:
    return _WORD.findall(q.lower())[:12]


def _full_text(source: Reader, terms: list[str]) -> ColumnElement[bool]:
    if _dialect(source) == "postgresql":
        query = " & ".join(f"{t}:*" for t in terms)
        return literal_column("tickets.search_vector").op("@@")(func.to_tsquery("simple", query))
    match = " ".join('"' + t.replace('"', "") + '"*' for t in terms)
    return Ticket.id.in_(
        text("SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :fts").bindparams(fts=match)
    )


def list_page(
    source: Reader,
    *,
    principal: Principal,
    filters: TicketFilter,
    before_id: int | None,
    limit: int,
    after_due: DuePosition | None = None,
) -> list[RowMapping]:
    """Newest first, keyset-paginated on id; fetches ``limit`` plain rows.

    With several visible sets, each is paged on its own index and the pages are merged: an OR
    would make the database walk the whole table in id order looking for the rare matches."""
    if filters.order == TicketOrder.sla_due:
        return _due_page(source, visible_sets(principal), filters, after_due, limit)
    branches = [_page(source, where, filters, before_id, limit) for where in visible_sets(principal)]
    if len(branches) == 1:
        return list(source.execute(branches[0]).mappings())
    merged = union_all(*(b.subquery().select() for b in branches)).subquery()
    stmt = select(merged).order_by(merged.c.id.desc()).limit(limit * len(branches))
    rows: dict[int, RowMapping] = {}
    for row in source.execute(stmt).mappings():  # a ticket in several sets comes once per set
        rows.setdefault(row["id"], row)
    return list(rows.values())[:limit]


def _due_page(
    source: Reader,
    visible: list[ColumnElement[bool]],
    filters: TicketFilter,
    after: DuePosition | None,
    limit: int,
) -> list[RowMapping]:
    """Soonest due first, on the (sla_due_at, id) index; staff only, so one visible set."""
    stmt = _filtered(source, select(TICKETS).where(or_(*visible)), filters).where(
        Ticket.sla_due_at.is_not(None)
    )
    if after is not None:
        stmt = stmt.where(
            or_(Ticket.sla_due_at > after.due, and_(Ticket.sla_due_at == after.due, Ticket.id > after.id))
        )
    return list(source.execute(stmt.order_by(Ticket.sla_due_at, Ticket.id).limit(limit)).mappings())


def _page(
    source: Reader, where: ColumnElement[bool], filters: TicketFilter, before_id: int | None, limit: int
) -> Select[Any]:
    stmt = _filtered(source, select(TICKETS).where(where), filters)
    if before_id is not None:
        stmt = stmt.where(Ticket.id < before_id)
    return stmt.order_by(Ticket.id.desc()).limit(limit)


_WORKING_SET = aliased(Ticket, name="working")


def _working_set(filters: TicketFilter) -> tuple[ColumnElement[bool] | None, str]:
    """An agent's or a group's tickets in several unfinished statuses, as ids read from the
    (assignee|group, status, id) index alone, and which of the two it narrowed on. Asked as plain
    conditions, the planner walks the (assignee|group, id) index in page order through every
    finished ticket of theirs, which is most of a long history, to fill a page of their few open
    ones."""
    if len(filters.status) < 2 or SOLVED_STATUSES.intersection(filters.status):
        return None, ""
    if filters.assignee_id is not None and not filters.unassigned:
        narrow, on = _WORKING_SET.assignee_id == filters.assignee_id, "assignee"
    elif filters.group_id is not None:
        narrow, on = _WORKING_SET.group_id == filters.group_id, "group"
    else:
        return None, ""
    ids = select(_WORKING_SET.id).where(narrow, _WORKING_SET.status.in_(filters.status))
    return Ticket.id.in_(ids), on


def _filtered(source: Reader, stmt: Select[Any], filters: TicketFilter) -> Select[Any]:
    working, on = _working_set(filters)
    if working is not None:  # it holds the status condition and the one it narrowed on
        stmt = stmt.where(working)
    elif filters.status:
        stmt = stmt.where(Ticket.status.in_(filters.status))
    if filters.unassigned:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif filters.assignee_id is not None and on != "assignee":
        stmt = stmt.where(Ticket.assignee_id == filters.assignee_id)
    if filters.group_id is not None and on != "group":
        stmt = stmt.where(Ticket.group_id == filters.group_id)
    if filters.priority:
        stmt = stmt.where(Ticket.priority.in_(filters.priority))
    if filters.requester_id is not None:
        stmt = stmt.where(Ticket.requester_id == filters.requester_id)
    if filters.organization_id is not None:
        stmt = stmt.where(Ticket.organization_id == filters.organization_id)
    if filters.updated_since is not None:
        stmt = stmt.where(Ticket.updated_at >= filters.updated_since)
    if filters.sla is not None:
        stmt = stmt.where(_sla(filters.sla, filters.now))
    if filters.tag is not None:
        stmt = stmt.where(_has_tag(source, filters.tag))
    if filters.q:
        terms = search_terms(filters.q)
        stmt = stmt.where(_full_text(source, terms) if terms else false())
    return stmt


TICKET_TAGS = table("ticket_tags", column("tag"), column("ticket_id"))
"""SQLite only, kept by the database itself (not in the ORM metadata)."""
RARE_TAG = 2000
"""A tag on fewer tickets than this is read from its index entries first; a commoner one is tested
ticket by ticket along the page's own order, where matches come soon."""


def _has_tag(source: Reader, tag: str) -> ColumnElement[bool]:
    """Tags are a JSON list on the ticket. PostgreSQL tests containment on a GIN index; SQLite reads
    the ``ticket_tags`` side table its triggers keep (migration 0012)."""
    if _dialect(source) == "postgresql":
        return literal_column("tickets.tags").op("@>")(func.jsonb_build_array(tag))
    entries = source.execute(
        select(func.count()).select_from(
            select(literal_column("1")).where(TICKET_TAGS.c.tag == tag).limit(RARE_TAG).subquery()
        )
    ).scalar_one()
    if entries < RARE_TAG:
        return Ticket.id.in_(select(TICKET_TAGS.c.ticket_id).where(TICKET_TAGS.c.tag == tag))
    return exists().where(TICKET_TAGS.c.tag == tag, TICKET_TAGS.c.ticket_id == Ticket.id)


def _sla(wanted: SlaFilter, now: datetime | None) -> ColumnElement[bool]:
    """On the summary the SLA domain keeps on each ticket (see supportops.sla)."""
    assert now is not None
    if wanted == SlaFilter.breached:
        return or_(Ticket.sla_breached.is_(True), Ticket.sla_due_at <= now)
    # "Not breached" excludes; as an equality it would lead the planner to the breached index, whose
    # false side is nearly every ticket.
    return and_(Ticket.sla_warn_at <= now, Ticket.sla_due_at > now, Ticket.sla_breached.is_not(True))


# Creation is the hottest write path: its plain table inserts go straight to the driver, in the
# session's transaction (see supportops.db.statements).
_INSERT_TICKET = Write(insert(TICKETS))
_INSERT_EVENTS = Write(insert(TICKET_EVENTS))


def insert_ticket(session: Session, values: dict[str, Any]) -> int:
    return _INSERT_TICKET.insert_one(session.connection(), values)


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    _INSERT_EVENTS.run(session.connection(), rows)


def add_event(session: Session, event: TicketEvent) -> None:
    session.add(event)


def list_events(
    session: Session, ticket_id: int, *, customer_view: bool, after_id: int | None, limit: int
) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if customer_view:
        stmt = stmt.where(TicketEvent.public.is_(True))
    if after_id is not None:
        stmt = stmt.where(TicketEvent.id > after_id)
    return list(session.scalars(stmt.order_by(TicketEvent.id).limit(limit)))


def all_events(session: Session, ticket_id: int) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return list(session.scalars(stmt))


def list_messages(
    session: Session, ticket_id: int, *, customer_view: bool, after_id: int | None, limit: int
) -> list[Message]:
    stmt = select(Message).where(Message.ticket_id == ticket_id)
    if customer_view:
        stmt = stmt.where(Message.public.is_(True))
    if after_id is not None:
        stmt = stmt.where(Message.id > after_id)
    return list(session.scalars(stmt.order_by(Message.id).limit(limit)))


def messages_by_id(session: Session, ids: Sequence[int]) -> dict[int, Message]:
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(ids)))}


def list_time_entries(session: Session, ticket_id: int) -> list[TimeEntry]:
    stmt = select(TimeEntry).where(TimeEntry.ticket_id == ticket_id).order_by(TimeEntry.id).limit(1000)
    return list(session.scalars(stmt))
