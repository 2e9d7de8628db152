"""Every query the import makes: what it has stored before, the tickets and people it continues, and
the batched writes of what it applies (one statement per table and chunk, never one per line)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from supportops.auth.models import Group, Organization, User
from supportops.imports.models import ImportRecord
from supportops.knowledge.models import SelfServiceEvent
from supportops.routing.models import AgentProfile, PresenceChange
from supportops.surveys.models import CsatSurvey, NpsSurvey
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.models import Message, Ticket, TicketEvent, TimeEntry

IN_BATCH = 500
"""Values per ``IN (...)``: well under every database's limit on bound parameters."""


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


RECORDS = _table(ImportRecord)
TICKETS = _table(Ticket)
EVENTS = _table(TicketEvent)
MESSAGES = _table(Message)
TIME_ENTRIES = _table(TimeEntry)
USERS = _table(User)
ORGANIZATIONS = _table(Organization)
GROUPS = _table(Group)
CSAT = _table(CsatSurvey)
NPS = _table(NpsSurvey)
PRESENCE = _table(PresenceChange)
PROFILES = _table(AgentProfile)
SELF_SERVICE = _table(SelfServiceEvent)


def _batches(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), IN_BATCH):
        yield items[start : start + IN_BATCH]


# --- what earlier imports stored --------------------------------------------------------------


def recorded(session: Session, *, source: str, kind: str, keys: Iterable[str]) -> dict[str, int | None]:
    """{key: ticket id} of the records of this source and kind among ``keys``."""
    out: dict[str, int | None] = {}
    for batch in _batches(keys):
        rows = session.execute(
            select(RECORDS.c.key, RECORDS.c.ticket_id).where(
                RECORDS.c.source == source, RECORDS.c.kind == kind, RECORDS.c.key.in_(batch)
            )
        )
        out.update({key: ticket_id for key, ticket_id in rows})
    return out


def add_records(session: Session, rows: list[dict[str, Any]]) -> None:
    """Record what a chunk applied. On PostgreSQL the table's statistics are refreshed too: a bulk
    load outgrows them at once, and with stale ones the planner filters the digests of the next
    chunk row by row instead of looking each up in the unique index."""
    if not rows:
        return
    session.execute(insert(RECORDS), rows)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE import_records"))


# --- the tickets an import continues ----------------------------------------------------------


def ticket_rows(session: Session, ids: Sequence[int]) -> dict[int, RowMapping]:
    """The tickets' rows, locked on PostgreSQL until the chunk commits (SQLite has one writer)."""
    out: dict[int, RowMapping] = {}
    for batch in _batches(ids):
        stmt = select(TICKETS).where(TICKETS.c.id.in_(batch))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        for row in session.execute(stmt).mappings():
            out[row["id"]] = row
    return out


def histories(session: Session, ids: Sequence[int]) -> dict[int, list[LoggedEvent]]:
    """Each ticket's stored event log, in the order it was written."""
    out: dict[int, list[LoggedEvent]] = defaultdict(list)
    for batch in _batches(ids):
        rows = session.execute(
            select(
                EVENTS.c.ticket_id,
                EVENTS.c.kind,
                EVENTS.c.at,
                EVENTS.c.field,
                EVENTS.c.old_value,
                EVENTS.c.new_value,
                EVENTS.c.data,
            )
            .where(EVENTS.c.ticket_id.in_(batch))
            .order_by(EVENTS.c.ticket_id, EVENTS.c.id)
        )
        for ticket_id, kind, at, field, old, new, data in rows:
            out[ticket_id].append(LoggedEvent(kind, at, field, old, new, data))
    return out


def csat_ids(session: Session, keys: Iterable[tuple[int, datetime]]) -> dict[tuple[int, datetime], int]:
    """{(ticket id, resolved at): survey id} of the surveys that exist among ``keys``."""
    out: dict[tuple[int, datetime], int] = {}
    wanted = list(keys)
    ticket_ids = {ticket_id for ticket_id, _ in wanted}
    for batch in _batches(ticket_ids):
        rows = session.execute(
            select(CSAT.c.id, CSAT.c.ticket_id, CSAT.c.resolved_at).where(CSAT.c.ticket_id.in_(batch))
        )
        out.update({(ticket_id, resolved_at): survey_id for survey_id, ticket_id, resolved_at in rows})
    return {key: out[key] for key in wanted if key in out}


# --- people, organizations, groups ------------------------------------------------------------


def users_by_email(session: Session, emails: Iterable[str]) -> dict[str, tuple[int, str, int | None]]:
    """{email: (id, role, organization id)}; services store emails in lower case."""
    out: dict[str, tuple[int, str, int | None]] = {}
    for batch in _batches(emails):
        rows = session.execute(
            select(USERS.c.email, USERS.c.id, USERS.c.role, USERS.c.organization_id).where(
                USERS.c.email.in_(batch)
            )
        )
        out.update({email.lower(): (user_id, role, org_id) for email, user_id, role, org_id in rows})
    return out


def organizations_by_name(session: Session, names: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for batch in _batches(names):
        rows = session.execute(
            select(ORGANIZATIONS.c.name, ORGANIZATIONS.c.id).where(ORGANIZATIONS.c.name.in_(batch))
        )
        out.update({key: value for key, value in rows})
    return out


def organization_by_domain(session: Session, domain: str) -> int | None:
    return session.scalar(
        select(ORGANIZATIONS.c.id)
        .where(ORGANIZATIONS.c.domain == domain)
        .order_by(ORGANIZATIONS.c.id)
        .limit(1)
    )


def groups_by_name(session: Session, names: Iterable[str]) -> dict[str, tuple[int, str]]:
    """{name: (id, tier)}."""
    out: dict[str, tuple[int, str]] = {}
    for batch in _batches(names):
        rows = session.execute(
            select(GROUPS.c.name, GROUPS.c.id, GROUPS.c.tier).where(GROUPS.c.name.in_(batch))
        )
        out.update({name: (group_id, tier) for name, group_id, tier in rows})
    return out


def insert_one(session: Session, table: Table, values: dict[str, Any]) -> int:
    key = session.execute(insert(table).returning(table.c.id), values).scalar_one()
    return int(key)


# --- batched writes ---------------------------------------------------------------------------


def insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one batched statement; their new ids, in the order of ``rows``."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in session.execute(stmt, rows).scalars()]


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table), rows)


TICKET_UPDATE_COLUMNS = (
    "status",
    "priority",
    "assignee_id",
    "group_id",
    "updated_at",
    "closed_at",
    "first_response_at",
    "first_resolved_at",
    "last_resolved_at",
    "reopen_count",
    "public_agent_replies",
    "agent_stations",
    "group_stations",
    "max_tier",
    "tier",
    "escalations",
    "handle_seconds",
)

_UPDATE_TICKET = (
    update(TICKETS)
    .where(TICKETS.c.id == bindparam("b_id"), TICKETS.c.version == bindparam("b_version"))
    .values(
        {**{name: bindparam(f"b_{name}") for name in TICKET_UPDATE_COLUMNS}, "version": TICKETS.c.version + 1}
    )
)


class ConcurrentChange(Exception):
    """A ticket the import continues was changed by someone else meanwhile."""


def update_tickets(session: Session, rows: list[dict[str, Any]]) -> None:
    """Each row: ``id``, ``version`` (as read) and the columns of TICKET_UPDATE_COLUMNS."""
    if not rows:
        return
    params = _bound(rows)
    # One statement per row: the version check needs each row's count, which executemany hides.
    for param in params:
        if session.execute(_UPDATE_TICKET, param).rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentChange(f"ticket {param['b_id']} changed while it was being imported")


def _bound(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as parameters of the ``b_``-prefixed bind names the update statements use."""
    return [{f"b_{k}": v for k, v in row.items()} for row in rows]


_UPDATE_CSAT = (
    update(CSAT)
    .where(CSAT.c.id == bindparam("b_id"))
    .values(
        score=bindparam("b_score"),
        comment=bindparam("b_comment"),
        sent_at=bindparam("b_sent_at"),
        answered_at=bindparam("b_answered_at"),
        source=bindparam("b_source"),
    )
)


def update_csat(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_UPDATE_CSAT, _bound(rows))


def profiles(session: Session, user_ids: Iterable[int]) -> dict[int, datetime | None]:
    """{agent id: when their presence last changed} of the agents that have a routing profile."""
    out: dict[int, datetime | None] = {}
    for batch in _batches(user_ids):
        rows = session.execute(
            select(PROFILES.c.user_id, PROFILES.c.presence_changed_at).where(PROFILES.c.user_id.in_(batch))
        )
        out.update({key: value for key, value in rows})
    return out


_UPDATE_PRESENCE = (
    update(PROFILES)
    .where(PROFILES.c.user_id == bindparam("b_user_id"))
    .values(
        presence=bindparam("b_presence"),
        presence_changed_at=bindparam("b_presence_changed_at"),
        updated_at=bindparam("b_updated_at"),
    )
)


def update_presence(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_UPDATE_PRESENCE, _bound(rows))
