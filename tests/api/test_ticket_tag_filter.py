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


def test_several_statuses_of_one_agent_page_in_id_order(client: TestClient, team: Team) -> None:
    """An agent's list in several statuses is read a status at a time and merged: every page is in id
    order and each ticket comes exactly once."""
    wanted: list[int] = []
    for n in range(12):
        ticket_id = create(client, team, [])
        assignee = team.agent.id if n % 4 else team.specialist.id
        group = team.l1 if assignee == team.agent.id else team.l2
        patched = client.patch(
            f"/api/v1/tickets/{ticket_id}",
            json={"group_id": group, "assignee_id": assignee},
            headers=team.lead.headers,
        )
        assert patched.status_code == 200, patched.text
        to = ("pending", "on_hold", "triaged")[n % 3]
        moved = client.post(
            f"/api/v1/tickets/{ticket_id}/transitions", json={"to": to}, headers=team.lead.headers
        )
        assert moved.status_code == 200, moved.text
        if assignee == team.agent.id and to in ("pending", "on_hold"):
            wanted.append(ticket_id)

    def every_page(**params: Any) -> list[int]:
        seen: list[int] = []
        cursor = None
        while True:
            query = {"status": ["pending", "on_hold"], "limit": 2, **params}
            if cursor:
                query["cursor"] = cursor
            page = client.get("/api/v1/tickets", params=query, headers=team.lead.headers).json()
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    assert len(wanted) == 6
    assert every_page(assignee_id=team.agent.id) == sorted(wanted, reverse=True)
    assert every_page(group_id=team.l1) == sorted(wanted, reverse=True)  # the agent's group
    assert every_page(group_id=team.l1, assignee_id=team.agent.id) == sorted(wanted, reverse=True)
    assert every_page(group_id=team.l2, assignee_id=team.agent.id) == []
    assert every_page(group_id=team.l1, unassigned=True) == []
