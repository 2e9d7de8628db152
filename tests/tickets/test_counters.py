"""Stored counters always equal the fold of the event log, whatever happens to the ticket."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from supportops.tickets import service
from supportops.tickets.enums import Status
from supportops.tickets.service.history import AUTO_CLOSE_JOB
from tests.factories import make_team


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_the_fold_of_the_event_log(
    client: TestClient, db: Database, clock: FrozenClock, seed: int
) -> None:
    rng = random.Random(seed)
    team = make_team(db, clock.now())
    staff = [team.agent, team.specialist, team.lead]
    people = [*staff, team.customer]
    ids = [
        client.post("/api/v1/tickets", json={"subject": f"t{i}"}, headers=team.customer.headers).json()["id"]
        for i in range(3)
    ]
    for _ in range(60):
        clock.advance(timedelta(minutes=rng.randint(1, 300)))
        ticket_id = rng.choice(ids)
        url = f"/api/v1/tickets/{ticket_id}"
        who = rng.choice(people)
        action = rng.random()
        if action < 0.35:
            public = who is team.customer or rng.random() < 0.7
            client.post(f"{url}/messages", json={"body": "hi", "public": public}, headers=who.headers)
        elif action < 0.65:
            target = rng.choice(list(Status))
            client.post(f"{url}/transitions", json={"to": target.value}, headers=who.headers)
        elif action < 0.85:
            choice = rng.choice([(team.l1, team.agent.id), (team.l2, team.specialist.id), (None, None)])
            client.patch(url, json={"group_id": choice[0], "assignee_id": choice[1]}, headers=who.headers)
        else:
            client.post(f"{url}/time", json={"seconds": rng.randint(30, 900)}, headers=who.headers)
    with db.unit_of_work(write=False) as session:
        for ticket_id in ids:
            ticket = service.get_ticket(session, actor=SYSTEM, ticket_id=ticket_id)
            assert service.counters_of(ticket) == service.recompute_counters(session, ticket_id=ticket_id)


def test_resolved_ticket_closes_after_the_configured_days(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    team = make_team(db, clock.now())
    ticket = client.post("/api/v1/tickets", json={"subject": "x"}, headers=team.customer.headers).json()
    url = f"/api/v1/tickets/{ticket['id']}"
    client.post(f"{url}/messages", json={"body": "fixed", "status": "resolved"}, headers=team.agent.headers)
    clock.advance(timedelta(days=4) - timedelta(seconds=1))
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(url, headers=team.agent.headers).json()["status"] == "resolved"
    clock.advance(timedelta(seconds=1))
    jobs.run_due(db, clock=clock, worker="w")
    closed = client.get(url, headers=team.agent.headers).json()
    assert closed["status"] == "closed"
    assert closed["closed_at"] == clock.now().isoformat().replace("+00:00", "Z")


def test_reopened_ticket_is_not_auto_closed_by_the_old_timer(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    team = make_team(db, clock.now())
    ticket = client.post("/api/v1/tickets", json={"subject": "x"}, headers=team.customer.headers).json()
    url = f"/api/v1/tickets/{ticket['id']}"
    client.post(f"{url}/messages", json={"body": "fixed", "status": "resolved"}, headers=team.agent.headers)
    clock.advance(timedelta(days=1))
    client.post(f"{url}/messages", json={"body": "not fixed"}, headers=team.customer.headers)
    clock.advance(timedelta(hours=1))
    client.post(f"{url}/messages", json={"body": "now?", "status": "resolved"}, headers=team.agent.headers)
    second_resolution = clock.now()
    clock.advance(timedelta(days=3))  # the first timer is past due, the second not yet
    jobs.run_due(db, clock=clock, worker="w")
    with db.unit_of_work(write=False) as session:
        timers = sorted(job.status for job in jobs.jobs_of_kind(session, AUTO_CLOSE_JOB))
    assert timers == ["done", "queued"]  # the first timer ran and found the ticket reopened since
    assert client.get(url, headers=team.agent.headers).json()["status"] == "resolved"
    clock.set(second_resolution + timedelta(days=4))
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(url, headers=team.agent.headers).json()["status"] == "closed"


def test_event_log_is_append_only(db: Database, clock: FrozenClock, client: TestClient) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    team = make_team(db, clock.now())
    client.post("/api/v1/tickets", json={"subject": "x"}, headers=team.customer.headers)
    for statement in ("UPDATE ticket_events SET kind = 'forged'", "DELETE FROM ticket_events"):
        with pytest.raises(DatabaseError, match="append-only"), db.unit_of_work() as session:
            session.execute(text(statement))
