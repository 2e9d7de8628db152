"""A new ticket's clocks are computed before its row is written, so the row is written once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.sla import service
from supportops.tickets import service as tickets
from supportops.tickets.models import Ticket
from supportops.tickets.schemas import TicketCreate, TicketUpdate
from tests.conftest import START
from tests.factories import Team, make_team, principal


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


class _TicketUpdates:
    """Counts the UPDATEs of the tickets table that reach the database in the current transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.seen: list[str] = []
        if self.dialect == "sqlite":
            raw = session.connection().connection.dbapi_connection
            raw.set_trace_callback(self.seen.append)  # type: ignore[union-attr]

    def count(self) -> int:
        if self.dialect == "sqlite":
            raw = self.session.connection().connection.dbapi_connection
            raw.set_trace_callback(None)  # type: ignore[union-attr]
            return sum(1 for sql in self.seen if sql.lstrip().upper().startswith("UPDATE TICKETS "))
        found = self.session.execute(
            text("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'tickets'")
        ).scalar_one()
        return int(found)


def _stored_and_recomputed(db: Database, ticket_id: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The summary on the row, and the one a recomputation from the ticket's log gives."""
    with db.unit_of_work(write=False) as session:
        row = session.get(Ticket, ticket_id)
        assert row is not None
        facts = service._facts(session, ticket_id)
        assert facts is not None
        found = service.evaluation(
            session, facts, service._history(session, ticket_id), now=START, settings=Settings()
        ).summary()
        stored = (row.sla_due_at, row.sla_warn_at, row.sla_breached)
        return stored, (found["sla_due_at"], found["sla_warn_at"], found["sla_breached"])


def test_a_new_ticket_is_written_once_with_its_sla_summary(db: Database, team: Team) -> None:
    actor = principal(db, team.agent.id)
    data = TicketCreate(subject="Checkout is down", priority="P1", requester_id=team.customer.id)
    with db.unit_of_work() as session:
        updates = _TicketUpdates(session)
        row = tickets.open_ticket(session, actor=actor, data=data, now=START, settings=Settings())
        service.refresh_marked(session)  # what the commit runs first: the clocks are written here
        assert updates.count() == 0
    stored, recomputed = _stored_and_recomputed(db, row["id"])
    assert stored == recomputed
    # P1's built-in first response target is 15 minutes around the clock, its warning at 75 %.
    assert stored[:2] == (START + timedelta(minutes=15), START + timedelta(minutes=15 * 0.75))
    assert (row["sla_due_at"], row["sla_warn_at"], row["sla_breached"]) == stored


def test_a_ticket_changed_in_the_transaction_that_opened_it_gets_the_summary_of_its_end_state(
    db: Database, team: Team
) -> None:
    actor = principal(db, team.agent.id)
    data = TicketCreate(subject="Checkout is down", priority="P1", requester_id=team.customer.id)
    with db.unit_of_work() as session:
        row = tickets.open_ticket(session, actor=actor, data=data, now=START, settings=Settings())
        ticket = session.get(Ticket, row["id"])
        assert ticket is not None
        tickets.update_ticket(
            session,
            actor=actor,
            ticket=ticket,
            data=TicketUpdate(priority="P4"),
            now=START,
            settings=Settings(),
        )
    stored, recomputed = _stored_and_recomputed(db, row["id"])
    assert stored == recomputed
    assert stored[0] == START + timedelta(hours=8)  # P4: 480 minutes to a first response
