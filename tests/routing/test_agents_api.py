"""Agents' routing profiles through the API: presence, languages, capacity, shift, load, rights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import Team, make_team

WEEKDAYS_9_TO_5 = {
    "timezone": "UTC",
    "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def test_agents_list_their_profile_load_skills_and_groups(client: TestClient, team: Team) -> None:
    body = {"subject": "Help", "channel": "email", "assignee_id": team.agent.id, "group_id": team.l1}
    assert client.post("/api/v1/tickets", json=body, headers=team.lead.headers).status_code == 201
    agents = {a["id"]: a for a in client.get("/api/v1/agents", headers=team.agent.headers).json()}
    assert set(agents) == {team.admin.id, team.lead.id, team.agent.id, team.specialist.id}
    me = agents[team.agent.id]
    assert me["presence"] == "offline" and me["on_shift"] is True
    assert me["open_tickets"] == {"email": 1}
    assert me["capacity"]["email"] == 8 and me["group_ids"] == [team.l1]
    assert client.get("/api/v1/agents", headers=team.customer.headers).status_code == 403


def test_an_agent_sets_their_presence_and_only_that(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    resp = client.put("/api/v1/agents/me/presence", json={"presence": "online"}, headers=team.agent.headers)
    assert resp.status_code == 200 and resp.json()["presence"] == "online"
    assert resp.json()["presence_changed_at"].startswith("2026-03-02T09:00")
    own_capacity = client.patch(
        f"/api/v1/agents/{team.agent.id}", json={"capacity": {"chat": 9}}, headers=team.agent.headers
    )
    assert own_capacity.status_code == 403 and "capacity" in own_capacity.text
    other = client.patch(
        f"/api/v1/agents/{team.specialist.id}", json={"presence": "online"}, headers=team.agent.headers
    )
    assert other.status_code == 403


def test_leads_set_languages_capacity_and_a_shift(client: TestClient, team: Team, clock: FrozenClock) -> None:
    cal = client.post(
        "/api/v1/sla/calendars",
        json={"name": "Day shift", "definition": WEEKDAYS_9_TO_5},
        headers=team.admin.headers,
    ).json()
    body = {
        "languages": ["en", "de", "en"],
        "capacity": {"email": 5, "chat": 2},
        "shift_calendar_id": cal["id"],
    }
    resp = client.patch(f"/api/v1/agents/{team.agent.id}", json=body, headers=team.lead.headers)
    assert resp.status_code == 200, resp.text
    agent = resp.json()
    assert agent["languages"] == ["de", "en"]
    assert (
        agent["capacity"]["email"] == 5 and agent["capacity"]["chat"] == 2 and agent["capacity"]["phone"] == 1
    )
    assert agent["on_shift"] is True  # Monday 09:00
    clock.advance(timedelta(hours=9))  # 18:00
    assert (
        client.get(f"/api/v1/agents/{team.agent.id}", headers=team.lead.headers).json()["on_shift"] is False
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"capacity": {"email": -1}}, "capacity"),
        ({"capacity": {"fax": 3}}, "capacity"),
        ({"languages": ["English"]}, "languages"),
        ({"shift_calendar_id": 999}, "shift_calendar_id"),
        ({"presence": "asleep"}, "presence"),
    ],
)
def test_bad_profiles_are_refused_and_nothing_changes(
    client: TestClient, team: Team, body: dict[str, object], field: str
) -> None:
    before = client.get(f"/api/v1/agents/{team.agent.id}", headers=team.lead.headers).json()
    resp = client.patch(f"/api/v1/agents/{team.agent.id}", json=body, headers=team.lead.headers)
    assert resp.status_code == 422, resp.text
    assert field in resp.text
    assert client.get(f"/api/v1/agents/{team.agent.id}", headers=team.lead.headers).json() == before


def test_unknown_and_non_staff_agents_are_404(client: TestClient, team: Team) -> None:
    for user_id in (999, team.customer.id):
        resp = client.patch(
            f"/api/v1/agents/{user_id}", json={"languages": ["en"]}, headers=team.lead.headers
        )
        assert resp.status_code == 404
