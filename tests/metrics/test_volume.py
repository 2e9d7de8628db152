"""Ticket volume per 100 active customers: the customer base input, or the accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.metrics.costs import set_cost_inputs
from supportops.metrics.periods import Period
from supportops.metrics.report import build_report
from supportops.tickets import service as tickets
from supportops.tickets.schemas import TicketCreate
from tests.conftest import START
from tests.factories import make_team, principal


def test_volume_uses_the_customer_base_when_it_is_set(db: Database, clock: FrozenClock) -> None:
    team = make_team(db, clock.now())
    for _ in range(6):
        with db.unit_of_work() as session:
            tickets.create_ticket(
                session,
                actor=principal(db, team.customer.id),
                data=TicketCreate(subject="Where is my parcel?"),
                now=clock.now(),
            )
    period = Period.of(START, START + timedelta(days=15), START + timedelta(days=15))

    def volume() -> dict[str, object]:
        with db.unit_of_work(write=False) as session:
            return build_report(session, period, with_findings=False)["metrics"]["ticket_volume"]

    accounts = volume()  # three customer accounts in the team
    assert accounts["created"] == 6 and accounts["active_customers"] == 3
    assert accounts["value"] == pytest.approx(6 / 3 * 100 * 30 / 15)
    assert accounts["customer_base"] == "accounts"
    with db.unit_of_work() as session:
        set_cost_inputs(session, {"customer_base": 200}, now=clock.now())
    base = volume()
    assert base["active_customers"] == 200 and base["customer_base"] == "setting"
    assert base["value"] == pytest.approx(6 / 200 * 100 * 30 / 15)
