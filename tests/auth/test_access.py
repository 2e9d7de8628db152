"""Tokens, scopes and roles: what each caller may do, and that secrets are never stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from supportops.auth.models import ApiToken
from supportops.auth.passwords import digest
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import Team, make_team


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def test_token_secret_is_stored_only_as_a_hash(client: TestClient, team: Team, db: Database) -> None:
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=team.agent.headers)
    assert created.status_code == 201
    secret = created.json()["token"]
    with db.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(ApiToken)))
    assert all(secret not in (r.token_hash, r.prefix) for r in rows)
    assert digest(secret) in {r.token_hash for r in rows}
    assert (
        client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).json()["id"]
        == team.agent.id
    )
    assert "token" not in client.get("/api/v1/tokens", headers=team.agent.headers).json()[0]


def test_read_only_token_cannot_write(client: TestClient, team: Team) -> None:
    token = client.post(
        "/api/v1/tokens", json={"name": "ro", "scopes": ["tickets:read"]}, headers=team.agent.headers
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    refused = client.post("/api/v1/tickets", json={"subject": "x"}, headers=headers)
    assert refused.status_code == 403
    assert "tickets:write" in refused.json()["detail"]


def test_role_caps_the_scopes_a_token_can_hold(client: TestClient, team: Team) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["admin"]}, headers=team.agent.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes"


def test_revoked_and_expired_tokens_are_refused(client: TestClient, team: Team, clock: FrozenClock) -> None:
    expires = (clock.now() + timedelta(hours=1)).isoformat()
    created = client.post(
        "/api/v1/tokens", json={"name": "short", "expires_at": expires}, headers=team.agent.headers
    )
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    clock.advance(timedelta(hours=1))
    assert "expired" in client.get("/api/v1/users/me", headers=headers).json()["detail"]
    other = client.post("/api/v1/tokens", json={"name": "x"}, headers=team.agent.headers).json()
    client.delete(f"/api/v1/tokens/{other['id']}", headers=team.agent.headers)
    revoked = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {other['token']}"})
    assert revoked.status_code == 401


def test_configuration_is_admin_only(client: TestClient, team: Team) -> None:
    group = {"name": "Billing", "tier": "L2"}
    for who in (team.agent, team.lead, team.customer):
        assert client.post("/api/v1/groups", json=group, headers=who.headers).status_code == 403
        assert (
            client.post("/api/v1/organizations", json={"name": "X"}, headers=who.headers).status_code == 403
        )
    created = client.post(
        "/api/v1/groups", json={**group, "member_ids": [team.agent.id]}, headers=team.admin.headers
    )
    assert created.status_code == 201 and created.json()["member_ids"] == [team.agent.id]
    dup = client.post("/api/v1/groups", json=group, headers=team.admin.headers)
    assert dup.status_code == 409
    bad_member = client.patch(
        f"/api/v1/groups/{created.json()['id']}",
        json={"member_ids": [team.customer.id]},
        headers=team.admin.headers,
    )
    assert bad_member.status_code == 422 and "customer" in bad_member.json()["detail"]


def test_customers_cannot_list_people(client: TestClient, team: Team) -> None:
    assert client.get("/api/v1/users", headers=team.customer.headers).status_code == 403
    assert client.get(f"/api/v1/users/{team.agent.id}", headers=team.customer.headers).status_code == 404
    assert (
        client.get("/api/v1/users/me", headers=team.customer.headers).json()["email"] == team.customer.email
    )


def test_user_endpoints_validate_and_paginate(client: TestClient, team: Team) -> None:
    bad = client.post(
        "/api/v1/users", json={"email": "not-an-email", "name": "X"}, headers=team.admin.headers
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"
    tz = client.post(
        "/api/v1/users",
        json={"email": "z@zz.example.com", "name": "Z", "timezone": "Mars/Base"},
        headers=team.admin.headers,
    )
    assert tz.status_code == 422 and tz.json()["errors"][0]["field"] == "timezone"
    dup = client.post(
        "/api/v1/users", json={"email": team.agent.email, "name": "Dup"}, headers=team.admin.headers
    )
    assert dup.status_code == 409
    first = client.get("/api/v1/users?limit=3", headers=team.lead.headers).json()
    second = client.get(
        f"/api/v1/users?limit=3&cursor={first['next_cursor']}", headers=team.lead.headers
    ).json()
    ids = [u["id"] for u in first["items"] + second["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 6
    agents = client.get("/api/v1/users?role=agent", headers=team.lead.headers).json()["items"]
    assert {u["email"] for u in agents} == {team.agent.email, team.specialist.email}


def test_deactivating_a_user_stops_their_token_at_once(client: TestClient, team: Team) -> None:
    assert client.get("/api/v1/users/me", headers=team.agent.headers).status_code == 200
    client.patch(f"/api/v1/users/{team.agent.id}", json={"is_active": False}, headers=team.admin.headers)
    refused = client.get("/api/v1/users/me", headers=team.agent.headers)
    assert refused.status_code == 401 and "deactivated" in refused.json()["detail"]


def test_demoting_an_agent_to_customer_narrows_what_the_token_sees(client: TestClient, team: Team) -> None:
    client.post("/api/v1/tickets", json={"subject": "someone else's"}, headers=team.customer.headers)
    assert len(client.get("/api/v1/tickets", headers=team.agent.headers).json()["items"]) == 1
    client.patch(
        f"/api/v1/users/{team.agent.id}",
        json={"role": "customer", "group_ids": []},
        headers=team.admin.headers,
    )
    assert client.get("/api/v1/tickets", headers=team.agent.headers).json()["items"] == []


def test_agent_skills_are_set_validated_and_cleared_for_customers(client: TestClient, team: Team) -> None:
    url = f"/api/v1/users/{team.agent.id}"
    set_ = client.patch(url, json={"skills": {"Billing": 4, "how-to": 2}}, headers=team.admin.headers)
    assert set_.status_code == 200 and set_.json()["skills"] == {"billing": 4, "how-to": 2}
    for bad in ({"billing": 6}, {"billing": 0}, {"bad skill": 3}):
        refused = client.patch(url, json={"skills": bad}, headers=team.admin.headers)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"].startswith("skills")
    assert client.get(url, headers=team.lead.headers).json()["skills"] == {"billing": 4, "how-to": 2}
    customer = client.patch(
        f"/api/v1/users/{team.customer.id}", json={"skills": {"billing": 3}}, headers=team.admin.headers
    )
    assert customer.status_code == 422 and customer.json()["errors"][0]["field"] == "skills"
    demoted = client.patch(url, json={"role": "customer", "group_ids": []}, headers=team.admin.headers)
    assert demoted.json()["skills"] == {}
