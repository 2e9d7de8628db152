"""Every query on the survey tables, and the few reads of tickets and users the surveys need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supportops.auth.enums import Role
from supportops.auth.models import User
from supportops.surveys.models import CsatSurvey, NpsSurvey
from supportops.tickets.models import Ticket

CSAT: Table = CsatSurvey.__table__  # type: ignore[assignment]
_CSAT_ONCE = {
    "postgresql": pg_insert(CSAT).on_conflict_do_nothing(index_elements=["ticket_id", "resolved_at"]),
    "sqlite": sqlite_insert(CSAT).on_conflict_do_nothing(index_elements=["ticket_id", "resolved_at"]),
}
# One constant key for the NPS run, so that two runs on PostgreSQL take turns (SQLite writers
# already do: a writing transaction begins IMMEDIATE).
NPS_LOCK_KEY = 0x5375_7276_4E50_53  # "SurvNPS"


@dataclass(frozen=True)
class Requester:
    id: int
    is_customer: bool
    subject: str


def requester_of(session: Session, ticket_id: int) -> Requester | None:
    row = session.execute(
        select(Ticket.requester_id, Ticket.subject, User.role, User.is_active)
        .join(User, User.id == Ticket.requester_id)
        .where(Ticket.id == ticket_id)
    ).first()
    if row is None:
        return None
    return Requester(
        id=row.requester_id,
        is_customer=row.role == Role.customer and bool(row.is_active),
        subject=row.subject,
    )


def insert_csat_once(session: Session, values: dict[str, Any]) -> int | None:
    """The new survey's id, or None when this resolution has one already."""
    stmt = _CSAT_ONCE[session.get_bind().dialect.name].returning(CSAT.c.id)
    return session.execute(stmt, values).scalar_one_or_none()


def latest_csat(session: Session, ticket_id: int) -> CsatSurvey | None:
    return session.scalar(
        select(CsatSurvey)
        .where(CsatSurvey.ticket_id == ticket_id)
        .order_by(CsatSurvey.resolved_at.desc(), CsatSurvey.id.desc())
        .limit(1)
    )


def csat_of_ticket(session: Session, ticket_id: int) -> list[CsatSurvey]:
    return list(session.scalars(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id)))


def answered_csat_of_requester(session: Session, requester_id: int, limit: int) -> list[CsatSurvey]:
    """The customer's latest answered CSAT surveys, newest first (on the requester index)."""
    return list(
        session.scalars(
            select(CsatSurvey)
            .where(CsatSurvey.requester_id == requester_id, CsatSurvey.answered_at.is_not(None))
            .order_by(CsatSurvey.answered_at.desc(), CsatSurvey.id.desc())
            .limit(limit)
        )
    )


def csat_average_of_requester(session: Session, requester_id: int) -> tuple[int, float | None]:
    """(answered surveys, their mean score) of one customer, read from the requester index alone."""
    row = session.execute(
        select(func.count(CsatSurvey.score), func.avg(CsatSurvey.score)).where(
            CsatSurvey.requester_id == requester_id, CsatSurvey.answered_at.is_not(None)
        )
    ).one()
    return int(row[0]), None if row[1] is None else float(row[1])


def csat_with_subject(session: Session, survey_id: int) -> tuple[CsatSurvey, str] | None:
    row = session.execute(
        select(CsatSurvey, Ticket.subject)
        .join(Ticket, Ticket.id == CsatSurvey.ticket_id)
        .where(CsatSurvey.id == survey_id)
    ).first()
    return None if row is None else (row[0], row[1])


def get_nps(session: Session, survey_id: int) -> NpsSurvey | None:
    return session.get(NpsSurvey, survey_id)


def answer(
    session: Session,
    model: type[CsatSurvey] | type[NpsSurvey],
    *,
    survey_id: int,
    score: int,
    comment: str,
    now: datetime,
) -> bool:
    """Record the answer unless there is one; False when another answer got there first. One
    conditional UPDATE, so two submissions at once cannot both win."""
    result = session.execute(
        update(model)
        .where(model.id == survey_id, model.answered_at.is_(None))
        .values(score=score, comment=comment, answered_at=now),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def lock_nps_run(session: Session) -> None:
    """Hold the NPS run's lock until the transaction ends (PostgreSQL; SQLite needs none)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NPS_LOCK_KEY})


def nps_due_customers(session: Session, *, since: datetime, after_id: int, limit: int) -> list[int]:
    """Active customers, in id order after ``after_id``, with a ticket created after ``since`` and
    no NPS survey sent after it."""
    had_ticket = exists().where(Ticket.requester_id == User.id, Ticket.created_at > since)
    surveyed = exists().where(NpsSurvey.customer_id == User.id, NpsSurvey.sent_at > since)
    return list(
        session.scalars(
            select(User.id)
            .where(
                User.role == Role.customer,
                User.is_active.is_(True),
                User.id > after_id,
                had_ticket,
                ~surveyed,
            )
            .order_by(User.id)
            .limit(limit)
        )
    )


def insert_nps(session: Session, *, customer_ids: list[int], now: datetime) -> list[tuple[int, int]]:
    """(survey id, customer id) of the new surveys."""
    if not customer_ids:
        return []
    rows = session.execute(
        NpsSurvey.__table__.insert().returning(NpsSurvey.id, NpsSurvey.customer_id),  # type: ignore[attr-defined]
        [
            {
                "customer_id": c,
                "sent_at": now,
                "answered_at": None,
                "score": None,
                "comment": "",
                "source": "survey",
            }
            for c in customer_ids
        ],
    ).all()
    return [(row[0], row[1]) for row in rows]
