"""Knowledge-base pages: the help center for visitors and customers, suggestions on the ticket form
without JavaScript, "this solved my problem", the staff editor with field errors, and the knowledge
panel of the agent's ticket page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from supportops.auth.enums import Role
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.knowledge.models import KbSearch, SelfServiceEvent
from supportops.tickets.models import Ticket
from tests.factories import Person, make_person
from tests.knowledge.conftest import create
from tests.web.test_pages import PASSWORD, csrf, sign_in


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> Person:
    return make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent, password=PASSWORD)


@pytest.fixture
def customer(db: Database, clock: FrozenClock) -> Person:
    return make_person(db, clock.now(), email="kim@shop.example.com", role=Role.customer, password=PASSWORD)


def test_visitors_search_and_read_public_articles_only(client: TestClient, staff: Person) -> None:
    public = create(
        client, staff, title="Reset your password", body="Choose *Forgot password* on the sign-in page."
    )
    create(
        client,
        staff,
        title="Password vault runbook",
        body="Rotate the password vault keys.",
        visibility="internal",
    )
    page = client.get("/kb", params={"q": "pasword"})
    assert page.status_code == 200
    assert "Showing results for <strong>password</strong>" in page.text
    assert "Reset your password" in page.text and "Password vault runbook" not in page.text
    article = client.get(f"/kb/{public['id']}")
    assert "<em>Forgot password</em>" in article.text and "Was this article helpful?" in article.text
    voted = client.post(f"/kb/{public['id']}/vote", data={"helpful": "yes"})
    assert "Thank you for your feedback." in voted.text
    assert client.get(f"/api/v1/kb/articles/{public['id']}").json()["helpful"] == 1
    assert client.get("/kb", params={"q": "zzzz qqqq"}).text.count("No article matches") == 1


def test_the_ticket_form_suggests_without_javascript_and_solved_creates_no_ticket(
    client: TestClient, staff: Person, customer: Person, db: Database
) -> None:
    article = create(
        client,
        staff,
        title="Track your delivery",
        body="Where is my parcel? Every order has a tracking number in the confirmation email.",
    )
    sign_in(client, customer.email)
    token = csrf(client.get("/portal/new").text)
    page = client.post(
        "/portal/new",
        data={"subject": "where is my parcel", "description": "", "csrf_token": token, "action": "suggest"},
    )
    assert page.status_code == 200
    assert "Track your delivery" in page.text and 'value="where is my parcel"' in page.text
    search_id = int(re.search(r'name="search_id" value="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    solved = client.post(
        "/portal/solved", data={"search_id": search_id, "article_id": article["id"], "csrf_token": token}
    )
    assert "No ticket was created" in solved.text
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert session.scalars(select(SelfServiceEvent.outcome)).all() == ["resolved"]


def test_submitting_after_suggestions_records_a_ticket_outcome(
    client: TestClient, staff: Person, customer: Person, db: Database
) -> None:
    create(client, staff, title="Track your delivery", body="Every order has a tracking number.")
    sign_in(client, customer.email)
    token = csrf(client.get("/portal/new").text)
    page = client.post(
        "/portal/new", data={"subject": "parcel late", "csrf_token": token, "action": "suggest"}
    )
    search_id = re.search(r'id="kb_search_id" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    created = client.post(
        "/portal/new",
        data={
            "subject": "parcel late",
            "description": "Still nothing.",
            "csrf_token": token,
            "kb_search_id": search_id,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    with db.unit_of_work() as session:
        row = session.get(KbSearch, int(search_id))
        assert row is not None and row.outcome == "ticket" and row.ticket_id is not None


def test_the_editor_shows_errors_next_to_fields_and_refuses_a_stale_save(
    client: TestClient, staff: Person
) -> None:
    sign_in(client, staff.email)
    token = csrf(client.get("/agent/kb/new").text)
    bad = client.post("/agent/kb/save", data={"title": "", "body": "", "csrf_token": token})
    assert bad.status_code == 422
    assert 'id="title-error"' in bad.text and 'id="body-error"' in bad.text
    saved = client.post(
        "/agent/kb/save",
        data={
            "title": "Refunds",
            "body": "Five days.",
            "visibility": "public",
            "status": "published",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    article_id = int(re.search(r"/agent/kb/(\d+)/edit", saved.headers["location"]).group(1))  # type: ignore[union-attr]
    fields = {
        "article_id": article_id,
        "title": "Refunds",
        "body": "Three days.",
        "status": "published",
        "csrf_token": token,
    }
    assert (
        client.post("/agent/kb/save", data=fields | {"version": 1}, follow_redirects=False).status_code == 303
    )
    stale = client.post("/agent/kb/save", data=fields | {"body": "Ten days.", "version": 1})
    assert stale.status_code == 409
    assert "changed since you loaded it" in stale.text
    assert (
        client.get(f"/api/v1/kb/articles/{article_id}", headers=staff.headers).json()["body"] == "Three days."
    )


def test_the_agent_ticket_page_suggests_and_replies_with_an_article(
    client: TestClient, staff: Person, customer: Person
) -> None:
    article = create(
        client, staff, title="Reset your password", body="Choose Forgot password on the sign-in page."
    )
    ticket = client.post(
        "/api/v1/tickets",
        json={"subject": "I forgot my password", "description": "Locked out."},
        headers=customer.headers,
    ).json()
    sign_in(client, staff.email)
    page = client.get(f"/agent/tickets/{ticket['id']}")
    assert "Reset your password" in page.text and "Reply with this article" in page.text
    replied = client.post(
        f"/agent/tickets/{ticket['id']}/kb",
        data={"action": "reply", "article_id": article["id"], "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert replied.status_code == 303
    messages = client.get(f"/api/v1/tickets/{ticket['id']}/messages", headers=customer.headers).json()[
        "items"
    ]
    assert f"/kb/{article['id']}" in messages[-1]["body"]
    drafted = client.post(
        f"/agent/tickets/{ticket['id']}/kb",
        data={"action": "draft", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert re.fullmatch(r"/agent/kb/\d+/edit", drafted.headers["location"])
