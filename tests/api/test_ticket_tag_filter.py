"""The tag filter reads the database's own tag index, which follows every insert and tag change."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.tickets import repository
from tests.factories import Team, make_team


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def create(client: TestClient, team: Team, tags: list[str]) -> int:
    body = {"subject": "Cannot log in", "description": "The login page spins forever.", "tags": tags}
    response = client.post("/api/v1/tickets", json=body, headers=team.agent.headers)
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["id"]
    return ticket_id


def tagged(client: TestClient, team: Team, tag: str) -> list[int]:
    response = client.get("/api/v1/tickets", params={"tag": tag, "limit": 100}, headers=team.lead.headers)
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


def retag(client: TestClient, team: Team, ticket_id: int, tags: list[str]) -> None:
    response = client.patch(f"/api/v1/tickets/{ticket_id}", json={"tags": tags}, headers=team.agent.headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("rare_below", [repository.RARE_TAG, 1], ids=["rare-tag plan", "common-tag plan"])
def test_tag_filter_follows_creates_and_tag_changes(
    client: TestClient, team: Team, monkeypatch: pytest.MonkeyPatch, rare_below: int
) -> None:
    monkeypatch.setattr(repository, "RARE_TAG", rare_below)
    a = create(client, team, ["billing", "vip"])
    b = create(client, team, ["billing", "Billing"])
    c = create(client, team, [])
    assert tagged(client, team, "billing") == [b, a]
    assert tagged(client, team, "vip") == [a]
    assert tagged(client, team, "unknown") == []

    retag(client, team, a, ["vip", "refund"])
    retag(client, team, c, ["billing"])
    assert tagged(client, team, "billing") == [c, b]
    assert tagged(client, team, "refund") == [a]
    retag(client, team, b, [])
    assert tagged(client, team, "billing") == [c]
    assert tagged(client, team, "vip") == [a]


def test_tag_filter_combines_with_status_and_paging(client: TestClient, team: Team) -> None:
    ids = [create(client, team, ["export"]) for _ in range(5)]
    first: Any = client.get(
        "/api/v1/tickets", params={"tag": "export", "limit": 2}, headers=team.lead.headers
    ).json()
    assert [t["id"] for t in first["items"]] == ids[::-1][:2]
    nxt = client.get(
        "/api/v1/tickets",
        params={"tag": "export", "limit": 2, "cursor": first["next_cursor"]},
        headers=team.lead.headers,
    ).json()
    assert [t["id"] for t in nxt["items"]] == ids[::-1][2:4]
    assert tagged(client, team, "export") == ids[::-1]
