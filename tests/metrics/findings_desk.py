"""A help desk for the findings tests: tickets with histories written through the real services,
each step at the instant the test names (the clock never moves on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportops.auth.enums import Tier
from supportops.auth.principal import SYSTEM, Principal
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from supportops.metrics.findings import Finding, detect_all
from supportops.metrics.periods import Period
from supportops.routing.escalation import HandoffCreate, HandoffNote, hand_off
from supportops.surveys.models import CsatSurvey
from supportops.tickets import service as tickets
from supportops.tickets.enums import AuthorKind, Status
from supportops.tickets.schemas import MessageCreate, TicketCreate, TicketUpdate
from tests.factories import Person, Team, make_group, make_person, make_team, principal

NOTE = HandoffNote(
    summary="Customer cannot export the monthly report",
    steps_tried="Cleared the cache, tried two browsers",
    customer_impact="Finance cannot close the month",
    hypothesis="Export job times out",
)


@dataclass
class Desk:
    db: Database
    team: Team
    l3: int
    third_agent: Person
    _who: dict[int, Principal] = field(default_factory=dict)

    # --- who ----------------------------------------------------------------------------------

    def as_(self, person: Person | None) -> Principal:
        if person is None:
            return SYSTEM
        if person.id not in self._who:
            self._who[person.id] = principal(self.db, person.id)
        return self._who[person.id]

    @contextmanager
    def _ticket(self, ticket_id: int) -> Iterator[tuple[Session, Any]]:
        with self.db.unit_of_work() as session:
            yield session, tickets.get_ticket(session, actor=SYSTEM, ticket_id=ticket_id)

    # --- what happens -------------------------------------------------------------------------

    def open(
        self,
        at: datetime,
        subject: str = "Export fails",
        *,
        by: Person | None = None,
        group: int | None = None,
        assignee: Person | None = None,
        **fields: Any,
    ) -> int:
        """A customer's ticket, opened by an agent for the customer (or by the customer)."""
        by = by or self.team.agent
        data: dict[str, Any] = {"subject": subject, **fields}
        if by.id != self.team.customer.id:
            data["requester_id"] = self.team.customer.id
            data["group_id"] = group
            data["assignee_id"] = assignee.id if assignee else None
        with self.db.unit_of_work() as session:
            created = tickets.create_ticket(
                session, actor=self.as_(by), data=TicketCreate.model_validate(data), now=at
            )
            return created.id

    def reply(
        self,
        ticket_id: int,
        at: datetime,
        body: str,
        *,
        by: Person | None = None,
        public: bool = True,
        status: Status | None = None,
        bot: bool = False,
    ) -> None:
        """A message by ``by`` (the desk's agent by default, or its customer), or by a bot."""
        actor = SYSTEM if bot else self.as_(by or self.team.agent)
        kind = AuthorKind.system if bot else None
        with self._ticket(ticket_id) as (session, ticket):
            tickets.add_message(
                session,
                actor=actor,
                ticket=ticket,
                data=MessageCreate(body=body, public=public, status=status),
                now=at,
                author_kind=kind,
            )

    def customer_says(self, ticket_id: int, at: datetime, body: str = "It is broken again.") -> None:
        self.reply(ticket_id, at, body, by=self.team.customer)

    def bot_says(self, ticket_id: int, at: datetime, body: str) -> None:
        self.reply(ticket_id, at, body, bot=True)

    def move(self, ticket_id: int, at: datetime, to: Status, *, by: Person | None = None) -> None:
        with self._ticket(ticket_id) as (session, ticket):
            tickets.transition(session, actor=self.as_(by or self.team.agent), ticket=ticket, to=to, now=at)

    def resolve(self, ticket_id: int, at: datetime, *, by: Person | None = None) -> None:
        self.move(ticket_id, at, Status.resolved, by=by)

    def system_resolves(self, ticket_id: int, at: datetime) -> None:
        with self._ticket(ticket_id) as (session, ticket):
            tickets.transition(session, actor=SYSTEM, ticket=ticket, to=Status.resolved, now=at)

    def hand(self, ticket_id: int, at: datetime, *, group: int | None, assignee: Person | None) -> None:
        """Move the ticket to a group and an assignee, as a lead would."""
        with self._ticket(ticket_id) as (session, ticket):
            tickets.update_ticket(
                session,
                actor=self.as_(self.team.lead),
                ticket=ticket,
                data=TicketUpdate.model_validate(
                    {"group_id": group, "assignee_id": assignee.id if assignee else None}
                ),
                now=at,
            )

    def escalate(self, ticket_id: int, at: datetime, *, by: Person | None = None) -> None:
        with self._ticket(ticket_id) as (session, ticket):
            hand_off(
                session,
                actor=self.as_(by or self.team.agent),
                ticket=ticket,
                data=HandoffCreate(note=NOTE),
                direction="up",
                now=at,
            )

    def tag(self, ticket_id: int, at: datetime, **fields: Any) -> None:
        with self._ticket(ticket_id) as (session, ticket):
            tickets.update_ticket(
                session,
                actor=self.as_(self.team.lead),
                ticket=ticket,
                data=TicketUpdate.model_validate(fields),
                now=at,
            )

    def rate(self, ticket_id: int, at: datetime, score: int) -> None:
        """The requester answers the survey of the ticket's latest resolution."""
        with self.db.unit_of_work() as session:
            survey = session.scalar(
                select(CsatSurvey)
                .where(CsatSurvey.ticket_id == ticket_id)
                .order_by(CsatSurvey.resolved_at.desc())
                .limit(1)
            )
            assert survey is not None, "resolving a customer's ticket sends its survey"
            survey.score, survey.answered_at = score, at

    def run_jobs(self, at: datetime) -> None:
        """Every job due by ``at`` (SLA alarms, severity paths), as the worker would run them."""
        clock = FrozenClock(at)
        for _ in range(100):
            report = jobs.run_due(self.db, clock=clock, worker="findings")
            if report.done + report.failed + report.lost == 0:
                return

    # --- what the findings say ----------------------------------------------------------------

    def findings(
        self, period: Period, thresholds: dict[str, dict[str, Any]] | None = None, **kw: Any
    ) -> dict[str, Finding]:
        with self.db.unit_of_work(write=False) as session:
            return {f.pattern: f for f in detect_all(session, period, thresholds, **kw)}


def make_desk(db: Database, now: datetime) -> Desk:
    team = make_team(db, now)
    third = make_person(db, now, email="third@support.example.com", role=team.agent.role, group_ids=[team.l1])
    l3 = make_group(db, now, name="L3 Engineering", tier=Tier.L3, members=[team.lead.id])
    return Desk(db=db, team=team, l3=l3, third_agent=third)


def day(start: datetime, n: float) -> datetime:
    return start + timedelta(days=n)
