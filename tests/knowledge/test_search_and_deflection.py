"""Search, suggestions, the no-match answer, and what follows a suggestion: clicks, votes,
self-service resolutions, indirect deflections and tickets."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.knowledge.models import SelfServiceEvent
from tests.factories import Team
from tests.knowledge.conftest import create, suggest

ARTICLES = [
    (
        "Reset your password",
        "Forgot your password? Choose Forgot password on the sign-in page and follow the emailed link.",
    ),
    (
        "Track your delivery",
        "Where is my parcel? Every order has a tracking number in the confirmation email.",
    ),
    (
        "Request a refund",
        "To get your money back, open the order and choose Request refund. Refunds take 5 days.",
    ),
    ("Change your card", "Update the payment card on your account under Billing, then Payment methods."),
]


def _kb(client: TestClient, team: Team) -> dict[str, int]:
    return {title: create(client, team.agent, title=title, body=body)["id"] for title, body in ARTICLES}


def test_suggest_finds_the_right_article_for_the_customers_words(client: TestClient, team: Team) -> None:
    ids = _kb(client, team)
    result = suggest(client, "I forgot my password", "cannot sign in since yesterday")
    assert result["no_match"] is False
    assert result["suggestions"][0]["article_id"] == ids["Reset your password"]
    assert len(result["suggestions"]) <= 3
    assert "<mark>" in result["suggestions"][0]["snippet"]
    typo = suggest(client, "wher is my parcell", who=team.customer)
    assert typo["suggestions"][0]["article_id"] == ids["Track your delivery"]


def test_unrelated_text_is_no_match(client: TestClient, team: Team) -> None:
    _kb(client, team)
    result = suggest(client, "What is the weather in Lisbon tomorrow", "planning a picnic")
    assert result["no_match"] is True
    assert result["search_id"] is not None


def test_a_publish_is_suggested_at_once_and_an_archive_disappears(client: TestClient, team: Team) -> None:
    _kb(client, team)
    assert suggest(client, "export my invoices as pdf")["no_match"] is True
    invoice = create(
        client,
        team.agent,
        title="Export invoices as PDF",
        body="Download every invoice as a PDF from Billing.",
    )
    found = suggest(client, "export my invoices as pdf")
    assert found["suggestions"][0]["article_id"] == invoice["id"]
    client.post(f"/api/v1/kb/articles/{invoice['id']}/archive", headers=team.agent.headers)
    assert invoice["id"] not in [
        s["article_id"] for s in suggest(client, "export my invoices as pdf")["suggestions"]
    ]


def test_internal_articles_are_suggested_to_staff_only(client: TestClient, team: Team) -> None:
    internal = create(
        client,
        team.agent,
        title="Escalate a database outage",
        body="Page the database on-call engineer.",
        visibility="internal",
    )
    assert internal["id"] not in [
        s["article_id"] for s in suggest(client, "database outage escalate")["suggestions"]
    ]
    assert (
        suggest(client, "database outage escalate", who=team.agent)["suggestions"][0]["article_id"]
        == internal["id"]
    )


def test_search_ranks_with_snippets_typos_and_synonyms(client: TestClient, team: Team) -> None:
    ids = _kb(client, team)
    plain = client.get("/api/v1/kb/search", params={"q": "refund"}).json()
    assert plain["results"][0]["article_id"] == ids["Request a refund"]
    assert "<mark>" in plain["results"][0]["snippet"]
    typo = client.get("/api/v1/kb/search", params={"q": "pasword"}).json()
    assert typo["corrected"] == "password"
    assert typo["results"][0]["article_id"] == ids["Reset your password"]
    synonym = client.get("/api/v1/kb/search", params={"q": "reimbursement"}).json()
    assert synonym["results"][0]["article_id"] == ids["Request a refund"]


def test_hostile_queries_are_handled_safely(client: TestClient, team: Team) -> None:
    _kb(client, team)
    control = "".join(chr(c) for c in range(32)) * 10
    for body in ({"subject": control, "description": control}, {"subject": "x" * 90_000, "description": ""}):
        response = client.post("/api/v1/kb/suggest", json=body)
        assert response.status_code == 200, response.text
    too_big = client.post("/api/v1/kb/suggest", json={"subject": "", "description": "y" * 102_400})
    assert too_big.status_code == 422
    assert "description" in too_big.text
    assert client.get("/api/v1/kb/search", params={"q": control}).status_code == 200
    assert client.get("/api/v1/kb/search", params={"q": 'AND OR NOT "( * :'}).status_code == 200
    assert client.get("/api/v1/kb/search", params={"q": "z" * 600}).status_code == 422


def test_solved_by_an_article_records_self_service_and_no_ticket(
    client: TestClient, team: Team, db: Database
) -> None:
    ids = _kb(client, team)
    result = suggest(client, "I forgot my password", who=team.customer)
    search_id, article = result["search_id"], ids["Reset your password"]
    assert (
        client.post(
            f"/api/v1/kb/searches/{search_id}/click",
            json={"article_id": article},
            headers=team.customer.headers,
        ).status_code
        == 204
    )
    solved = client.post(
        f"/api/v1/kb/searches/{search_id}/outcome",
        json={"outcome": "self_service", "article_id": article},
        headers=team.customer.headers,
    )
    assert solved.json() == {"search_id": search_id, "outcome": "self_service", "recorded": True}
    again = client.post(
        f"/api/v1/kb/searches/{search_id}/outcome",
        json={"outcome": "ticket", "ticket_id": 1},
        headers=team.customer.headers,
    )
    assert again.status_code in (200, 404)
    with db.unit_of_work() as session:
        events = session.execute(
            select(SelfServiceEvent.outcome, SelfServiceEvent.article_id, SelfServiceEvent.customer_id)
        ).all()
    assert [tuple(e) for e in events] == [("resolved", article, team.customer.id)]
    assert client.get("/api/v1/tickets", headers=team.customer.headers).json()["items"] == []
    other = client.post(
        f"/api/v1/kb/searches/{search_id}/click",
        json={"article_id": article},
        headers=team.other_customer.headers,
    )
    assert other.status_code == 404


def test_indirect_deflection_needs_a_read_suggestion(client: TestClient, team: Team, db: Database) -> None:
    _kb(client, team)
    result = suggest(client, "where is my parcel")
    unread = client.post(f"/api/v1/kb/searches/{result['search_id']}/outcome", json={"outcome": "indirect"})
    assert unread.status_code == 422
    client.post(
        f"/api/v1/kb/searches/{result['search_id']}/click",
        json={"article_id": result["suggestions"][0]["article_id"]},
    )
    read = client.post(f"/api/v1/kb/searches/{result['search_id']}/outcome", json={"outcome": "indirect"})
    assert read.json()["recorded"] is True
    with db.unit_of_work() as session:
        assert session.scalars(select(SelfServiceEvent.outcome)).all() == ["indirect"]


def test_votes_feed_effectiveness_one_per_reader(client: TestClient, team: Team) -> None:
    article = create(client, team.agent, title="Vote me", body="Some help.")
    url = f"/api/v1/kb/articles/{article['id']}/vote"
    client.post(url, json={"helpful": True}, headers=team.customer.headers)
    client.post(url, json={"helpful": False}, headers=team.customer.headers)  # changes the same vote
    client.post(url, json={"helpful": True}, headers=team.other_customer.headers)
    final = client.post(url, json={"helpful": True})  # an anonymous visitor
    assert final.json() == {
        "article_id": article["id"],
        "helpful": 2,
        "not_helpful": 1,
        "effectiveness": 0.6667,
    }


def test_analytics_counts_success_failures_and_deflecting_articles(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    ids = _kb(client, team)
    start = clock.now()
    hit = suggest(client, "forgot password", who=team.customer)
    client.post(
        f"/api/v1/kb/searches/{hit['search_id']}/outcome",
        json={"outcome": "self_service", "article_id": ids["Reset your password"]},
        headers=team.customer.headers,
    )
    for _ in range(2):
        suggest(client, "weather in lisbon", who=team.customer)
    clicked = client.get("/api/v1/kb/search", params={"q": "refund"}, headers=team.customer.headers).json()
    client.post(
        f"/api/v1/kb/searches/{clicked['search_id']}/click",
        json={"article_id": ids["Request a refund"]},
        headers=team.customer.headers,
    )
    report = client.get(
        "/api/v1/kb/analytics",
        params={"from": start.isoformat(), "to": (start + timedelta(hours=1)).isoformat()},
        headers=team.lead.headers,
    ).json()
    assert report["searches"] == 4
    assert report["successful"] == 2
    assert report["search_success_rate"] == 0.5
    assert report["top_failed"] == [{"query": "weather in lisbon", "searches": 2}]
    assert report["top_deflecting"][0]["article_id"] == ids["Reset your password"]
    assert report["published"] == 4 and report["fresh"] == 4
    assert (
        client.get(
            "/api/v1/kb/analytics",
            params={"from": start.isoformat(), "to": start.isoformat()},
            headers=team.lead.headers,
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/kb/analytics",
            params={"from": start.isoformat(), "to": start.isoformat()},
            headers=team.customer.headers,
        ).status_code
        == 403
    )


def test_an_article_committed_with_an_older_timestamp_still_reaches_the_index(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    """Two writers can commit out of order: the later commit carrying the earlier ``updated_at``.
    The index reads articles by their own stamps, not by one watermark, so neither is lost."""
    from supportops.auth.principal import SYSTEM
    from supportops.knowledge import service as kb
    from supportops.knowledge.schemas import ArticleCreate

    _kb(client, team)
    early = clock.now()
    clock.advance(timedelta(minutes=5))
    late = create(client, team.agent, title="Close your account", body="Ask us to close the account.")
    assert suggest(client, "close my account")["suggestions"][0]["article_id"] == late["id"]
    with db.unit_of_work() as session:  # a slow writer that read its clock before the other one
        slow = kb.create_article(
            session,
            actor=SYSTEM,
            data=ArticleCreate(
                title="Export your invoices",
                body="Download invoices as PDF from Billing.",
                status="published",
            ),
            now=early,
        )
    found = suggest(client, "download my invoices as pdf")
    assert found["suggestions"][0]["article_id"] == slow.id
