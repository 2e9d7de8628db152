"""Escalation with context: handoff notes, tiers, the tennis guard, ping-pong, severity paths."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Tier
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from tests.factories import Team, make_group, make_team

NOTE = {
    "summary": "Login fails for every user of the tenant since 09:00",
    "steps_tried": "Cleared sessions, checked status page",
    "customer_impact": "Nobody at Acme can sign in",
    "hypothesis": "SSO certificate expired",
}


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


@pytest.fixture
def l3(db: Database, clock: FrozenClock, team: Team) -> int:
    return make_group(db, clock.now(), name="Engineering", tier=Tier.L3, members=[team.lead.id])


def _ticket(client: TestClient, team: Team, **extra: Any) -> str:
    body = {"subject": "Cannot sign in", "group_id": team.l1, "assignee_id": team.agent.id, **extra}
    resp = client.post("/api/v1/tickets", json=body, headers=team.lead.headers)
    assert resp.status_code == 201, resp.text
    return f"/api/v1/tickets/{resp.json()['id']}"


def test_escalation_carries_the_handoff_note_to_the_next_tier(client: TestClient, team: Team) -> None:
    url = _ticket(client, team)
    resp = client.post(f"{url}/escalations", json={"note": NOTE}, headers=team.agent.headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["to_tier"] == "L2" and resp.json()["from_tier"] == "L1"
    ticket = client.get(url, headers=team.specialist.headers).json()
    assert ticket["group_id"] == team.l2 and ticket["assignee_id"] is None and ticket["status"] == "escalated"
    notes = client.get(f"{url}/messages", headers=team.specialist.headers).json()["items"]
    handoff = [m for m in notes if not m["public"]][-1]
    assert "SSO certificate expired" in handoff["body"] and "Escalated to L2 Specialists" in handoff["body"]
    timeline = client.get(f"{url}/timeline", headers=team.specialist.headers).json()["items"]
    assert any(e.get("kind") == "escalation" for e in timeline)
    assert client.get(url, headers=team.customer.headers).status_code in (403, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "note"),
        ({"note": {**NOTE, "hypothesis": ""}}, "hypothesis"),
        ({"note": NOTE, "to_group_id": 999}, "to_group_id"),
    ],
)
def test_bad_escalations_are_refused_and_nothing_moves(
    client: TestClient, team: Team, body: dict[str, Any], field: str
) -> None:
    url = _ticket(client, team)
    before = client.get(url, headers=team.agent.headers).json()
    resp = client.post(f"{url}/escalations", json=body, headers=team.agent.headers)
    assert resp.status_code == 422 and field in resp.text
    after = client.get(url, headers=team.agent.headers).json()
    assert (after["group_id"], after["version"]) == (before["group_id"], before["version"])


def test_escalating_to_a_lower_group_is_refused(client: TestClient, team: Team) -> None:
    url = _ticket(client, team, group_id=team.l2, assignee_id=team.specialist.id)
    resp = client.post(
        f"{url}/escalations", json={"note": NOTE, "to_group_id": team.l1}, headers=team.agent.headers
    )
    assert resp.status_code == 422 and "de-escalate" in resp.text


def test_tennis_needs_a_lead_and_bounces_are_recorded(client: TestClient, team: Team, l3: int) -> None:
    url = _ticket(client, team)
    assert (
        client.post(f"{url}/escalations", json={"note": NOTE}, headers=team.agent.headers).status_code == 201
    )
    down = client.post(f"{url}/deescalations", json={"note": NOTE}, headers=team.specialist.headers)
    assert down.status_code == 201 and down.json()["to_tier"] == "L1"
    third = client.post(f"{url}/escalations", json={"note": NOTE}, headers=team.agent.headers)
    assert third.status_code == 403 and "lead" in third.text
    approved = client.post(f"{url}/escalations", json={"note": NOTE}, headers=team.lead.headers)
    assert approved.status_code == 201
    timeline = client.get(f"{url}/timeline?limit=200", headers=team.lead.headers).json()["items"]
    assert sum(1 for e in timeline if e.get("kind") == "ping_pong") == 2  # L1→L2→L1 and L2→L1→L2


def test_severity_paths_move_tickets_on_time(
    client: TestClient, team: Team, db: Database, clock: FrozenClock, l3: int
) -> None:
    sev1 = _ticket(client, team, severity="SEV1")
    sev2 = _ticket(client, team, severity="SEV2")
    sev3 = _ticket(client, team, severity="SEV3")
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(sev1, headers=team.lead.headers).json()["group_id"] == l3
    assert client.get(sev2, headers=team.lead.headers).json()["group_id"] == team.l1
    inbox = client.get("/api/v1/notifications", headers=team.admin.headers).json()
    assert [n["kind"] for n in inbox] == ["sev1"]
    clock.advance(timedelta(hours=1, seconds=1))
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(sev2, headers=team.lead.headers).json()["group_id"] == l3
    assert client.get(sev3, headers=team.lead.headers).json()["group_id"] == team.l1
    clock.advance(timedelta(hours=3))
    jobs.run_due(db, clock=clock, worker="w")
    assert client.get(sev3, headers=team.lead.headers).json()["group_id"] == team.l2


def test_the_tier_report_counts_resolutions_by_the_highest_tier_reached(
    client: TestClient, team: Team, db: Database
) -> None:
    for escalate in (False, False, False, True):
        url = _ticket(client, team)
        if escalate:
            client.post(f"{url}/escalations", json={"note": NOTE}, headers=team.agent.headers)
            client.patch(url, json={"assignee_id": team.specialist.id}, headers=team.lead.headers)
        client.post(f"{url}/transitions", json={"to": "resolved"}, headers=team.lead.headers)
    _ticket(client, team)  # not resolved: not counted
    rows = {r["tier"]: r for r in client.get("/api/v1/reports/tiers", headers=team.lead.headers).json()}
    assert (rows["L1"]["resolved"], rows["L2"]["resolved"], rows["L3"]["resolved"]) == (3, 1, 0)
    assert rows["L1"]["share"] == 0.75 and rows["L1"]["within_target"] is True
    assert rows["L2"]["share"] == 0.25 and rows["L2"]["within_target"] is True
    assert client.get("/api/v1/reports/tiers", headers=team.customer.headers).status_code == 403
