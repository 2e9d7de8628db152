"""Bulk recomputation, which reads raw rows, gives exactly the clocks of the per-ticket path, and
adds no metric event twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.sla import service
from supportops.sla.bulk import CLOCK_COLUMNS, recompute_all
from supportops.sla.models import SlaClock
from tests.factories import make_team


def _clocks(db: Database) -> dict[tuple[int, str, int], dict[str, Any]]:
    with db.unit_of_work(write=False) as session:
        rows = session.scalars(select(SlaClock)).all()
        return {
            (r.ticket_id, r.metric, r.cycle): {name: getattr(r, name) for name in CLOCK_COLUMNS} for r in rows
        }


@pytest.mark.parametrize("workers", [1, 2])
def test_recomputing_everything_gives_the_clocks_of_the_per_ticket_path(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings, workers: int
) -> None:
    team = make_team(db, clock.now())
    ids = []
    for n, priority in enumerate(["P1", "P2", "P3", "P4", "P5", "P2"]):
        body = {"subject": f"case {n}", "priority": priority, "requester_id": team.customer.id}
        ids.append(client.post("/api/v1/tickets", json=body, headers=team.agent.headers).json()["id"])
        clock.advance(timedelta(minutes=7))
    for n, ticket_id in enumerate(ids):
        url = f"/api/v1/tickets/{ticket_id}"
        client.patch(url, json={"group_id": team.l1, "assignee_id": team.agent.id}, headers=team.lead.headers)
        if n % 2 == 0:
            client.post(f"{url}/messages", json={"body": "On it"}, headers=team.agent.headers)
        clock.advance(timedelta(minutes=40))
        if n % 3 == 0:
            client.post(
                f"{url}/messages", json={"body": "Waiting", "status": "pending"}, headers=team.agent.headers
            )
            clock.advance(timedelta(hours=2))
            client.post(f"{url}/messages", json={"body": "Here it is"}, headers=team.customer.headers)
        if n % 2 == 1:
            client.post(
                f"{url}/messages", json={"body": "Fixed", "status": "resolved"}, headers=team.agent.headers
            )
    clock.advance(timedelta(hours=3))  # some clocks breach in between, without a change
    with db.unit_of_work() as session:
        for ticket_id in ids:
            service.refresh(session, ticket_id, now=clock.now(), settings=settings)
    kept = _clocks(db)
    assert len(kept) >= 2 * len(ids)
    assert {c["state"] for c in kept.values()} >= {"active", "fulfilled", "breached"}
    report = recompute_all(db, now=clock.now(), settings=settings, chunk=4, workers=workers)
    assert report.tickets == len(ids)
    assert report.metric_events == 0  # every transition was recorded as it happened
    assert _clocks(db) == kept
