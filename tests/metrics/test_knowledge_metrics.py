"""The knowledge metrics of the ops report: article effectiveness (votes cast in the period), search
success (searches of the period followed by an opened article and no ticket) and content freshness
(published articles reviewed within 90 days of the period's end), with their status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import Team, make_team
from tests.knowledge.conftest import create, suggest


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def _report(client: TestClient, team: Team, start: str, end: str) -> dict[str, Any]:
    response = client.get(
        "/api/v1/reports/ops",
        params={"from": start, "to": end, "findings": "false"},
        headers=team.lead.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_knowledge_metrics_count_their_period_and_get_a_status(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    # 2026-03-02: an article written, then left unreviewed; another written and edited on 03-20.
    old = create(
        client, team.agent, title="Reset your password", body="Use Forgot password on the sign-in page."
    )
    kept = create(
        client, team.agent, title="Track your parcel", body="Where is my parcel? See the tracking link."
    )
    clock.advance(timedelta(days=18))
    client.patch(
        f"/api/v1/kb/articles/{kept['id']}",
        json={"body": "Where is my parcel? Open the tracking link."},
        headers=team.agent.headers,
    )
    # March: 3 helpful votes and 1 not helpful; one vote in April that March must not count.
    for who, helpful in (
        (team.customer, True),
        (team.other_customer, True),
        (team.colleague, False),
        (team.agent, True),
    ):
        client.post(f"/api/v1/kb/articles/{old['id']}/vote", json={"helpful": helpful}, headers=who.headers)
    # March: 4 searches: one opened and solved, one opened then a ticket, one opened, one failed.
    solved = suggest(client, "forgot my password", who=team.customer)
    client.post(
        f"/api/v1/kb/searches/{solved['search_id']}/outcome",
        json={"outcome": "self_service", "article_id": old["id"]},
        headers=team.customer.headers,
    )
    ticketed = suggest(client, "where is my parcel", who=team.customer)
    client.post(
        f"/api/v1/kb/searches/{ticketed['search_id']}/click",
        json={"article_id": kept["id"]},
        headers=team.customer.headers,
    )
    ticket = client.post(
        "/api/v1/tickets",
        json={"subject": "Parcel lost", "description": "Still nothing."},
        headers=team.customer.headers,
    ).json()
    client.post(
        f"/api/v1/kb/searches/{ticketed['search_id']}/outcome",
        json={"outcome": "ticket", "ticket_id": ticket["id"]},
        headers=team.customer.headers,
    )
    opened = client.get("/api/v1/kb/search", params={"q": "parcel"}, headers=team.customer.headers).json()
    client.post(
        f"/api/v1/kb/searches/{opened['search_id']}/click",
        json={"article_id": kept["id"]},
        headers=team.customer.headers,
    )
    suggest(client, "weather in lisbon", who=team.customer)
    clock.advance(timedelta(days=20))  # 2026-04-09
    client.post(f"/api/v1/kb/articles/{old['id']}/vote", json={"helpful": False}, headers=team.lead.headers)

    march = _report(client, team, "2026-03-01", "2026-04-01")
    metrics, status = march["metrics"], march["status"]
    assert metrics["article_effectiveness"] == {"value": 0.75, "count": 4, "helpful": 3}
    assert status["article_effectiveness"] == "amber"  # green from 80 %, red below 60 %
    assert metrics["search_success"] == {"value": 0.5, "count": 4, "successful": 2}
    assert status["search_success"] == "amber"
    assert metrics["content_freshness"]["count"] == 2 and metrics["content_freshness"]["fresh"] == 2
    # By the end of June the first article is past its review date; the edited one (03-20) too
    # (it needs a review within 90 days of 07-01, i.e. after 04-02).
    june = _report(client, team, "2026-06-01", "2026-07-01")
    assert june["metrics"]["content_freshness"] == {"value": 0.0, "count": 2, "fresh": 0, "days": 90}
    assert june["status"]["content_freshness"] == "red"
    assert june["metrics"]["article_effectiveness"]["count"] == 0
    assert june["status"]["article_effectiveness"] == "none"
    may = _report(client, team, "2026-05-01", "2026-06-01")
    assert may["metrics"]["content_freshness"]["fresh"] == 1  # 03-20 + 90 days = 06-18 ≥ 06-01
