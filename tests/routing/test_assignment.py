"""Automatic assignment: a group's strategy hands new tickets to its agents, with the reason on record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from tests.factories import Team, make_team


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def _online(client: TestClient, person: Any) -> None:
    resp = client.put("/api/v1/agents/me/presence", json={"presence": "online"}, headers=person.headers)
    assert resp.status_code == 200


def _open(client: TestClient, team: Team, **body: Any) -> str:
    resp = client.post(
        "/api/v1/tickets", json={"subject": "Help", "group_id": team.l1, **body}, headers=team.lead.headers
    )
    assert resp.status_code == 201, resp.text
    return f"/api/v1/tickets/{resp.json()['id']}"


def _routing(client: TestClient, team: Team, url: str) -> list[dict[str, Any]]:
    items = client.get(f"{url}/timeline", headers=team.lead.headers).json()["items"]
    return [e["data"] for e in items if e.get("kind") == "routing"]


def test_a_group_without_a_strategy_leaves_tickets_alone(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    _online(client, team.agent)
    url = _open(client, team)
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(url, headers=team.lead.headers).json()["assignee_id"] is None


def test_least_loaded_spreads_tickets_and_records_why(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    assert (
        client.patch(
            f"/api/v1/groups/{team.l1}", json={"auto_assign": "least-loaded"}, headers=team.admin.headers
        ).status_code
        == 200
    )
    for person in (team.agent, team.lead):
        _online(client, person)
    urls = [_open(client, team) for _ in range(4)]
    jobs.run_due(db, clock=clock, worker="w")
    assignees = [client.get(u, headers=team.lead.headers).json()["assignee_id"] for u in urls]
    assert sorted(assignees) == sorted([team.agent.id, team.lead.id] * 2)
    event = _routing(client, team, urls[0])[0]
    assert (
        event["strategy"] == "least-loaded"
        and "assigned to" in event["reason"]
        and "web slots used" in event["reason"]
    )
    assert client.get(urls[0], headers=team.lead.headers).json()["status"] == "assigned"


def test_skills_from_triage_decide_and_widen_when_nobody_qualifies(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    client.patch(f"/api/v1/groups/{team.l1}", json={"auto_assign": "skills"}, headers=team.admin.headers)
    client.patch(
        f"/api/v1/users/{team.agent.id}", json={"skills": {"billing": 3}}, headers=team.admin.headers
    )
    _online(client, team.agent)
    _online(client, team.lead)
    url = _open(client, team, custom_fields={"required_skills": "billing:4"})
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(url, headers=team.lead.headers).json()["assignee_id"] is None
    waiting = _routing(client, team, url)
    assert len(waiting) == 1 and waiting[0]["agent_id"] is None and "billing" in waiting[0]["reason"]
    clock.advance(timedelta(minutes=5, seconds=1))  # the minimum widens to billing>=3
    jobs.run_due(db, clock=clock, worker="w")
    ticket = client.get(url, headers=team.lead.headers).json()
    assert ticket["assignee_id"] == team.agent.id
    assert _routing(client, team, url)[-1]["step"] == 2


def test_offline_agents_get_nothing_and_a_released_ticket_is_routed_again(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    client.patch(f"/api/v1/groups/{team.l1}", json={"auto_assign": "round-robin"}, headers=team.admin.headers)
    url = _open(client, team)
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(url, headers=team.lead.headers).json()["assignee_id"] is None
    _online(client, team.agent)
    clock.advance(timedelta(minutes=5, seconds=1))
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(url, headers=team.lead.headers).json()["assignee_id"] == team.agent.id
    assert (
        client.patch(
            f"/api/v1/groups/{team.l1}", json={"auto_assign": "fastest"}, headers=team.admin.headers
        ).status_code
        == 422
    )
