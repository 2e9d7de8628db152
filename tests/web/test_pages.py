"""The web UI through its forms: sessions, CSRF, the agent workspace and the customer portal."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Role
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import make_org, make_person

PASSWORD = "correct horse battery"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def people(db: Database, clock: FrozenClock) -> dict[str, int]:
    org = make_org(db, clock.now(), name="Initech", domain="initech.example.com")
    agent = make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent, password=PASSWORD)
    customer = make_person(
        db,
        clock.now(),
        email="pat@initech.example.com",
        role=Role.customer,
        organization_id=org,
        password=PASSWORD,
    )
    return {"agent": agent.id, "customer": customer.id}


def test_pages_need_a_session(client: TestClient) -> None:
    response = client.get("/agent", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_wrong_password_is_shown_next_to_the_field(client: TestClient, people: dict[str, int]) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": "agent@help.example.com", "password": "nope-nope", "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 401
    assert 'id="password-error"' in response.text and "Wrong email or password" in response.text


def test_login_without_the_form_token_is_refused(client: TestClient, people: dict[str, int]) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"email": "agent@help.example.com", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert client.get("/agent", follow_redirects=False).status_code == 303


def test_agent_and_customer_work_a_ticket_through_the_pages(
    client: TestClient, people: dict[str, int], db: Database, clock: FrozenClock
) -> None:
    sign_in(client, "pat@initech.example.com")
    form = client.get("/portal/new")
    empty = client.post("/portal/new", data={"subject": "  ", "csrf_token": csrf(form.text)})
    assert empty.status_code == 422 and 'id="subject-error"' in empty.text
    created = client.post(
        "/portal/new",
        data={"subject": "Printer on fire", "description": "Smoke!", "csrf_token": csrf(form.text)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    ticket_url = created.headers["location"]
    ticket_id = int(ticket_url.rsplit("/", 1)[1])
    client.post("/logout", data={"csrf_token": csrf(client.get(ticket_url).text)})

    sign_in(client, "agent@help.example.com")
    page = client.get(f"/agent/tickets/{ticket_id}")
    assert "Printer on fire" in page.text
    token = csrf(page.text)
    forged = client.post(f"/agent/tickets/{ticket_id}/reply", data={"body": "x", "csrf_token": "forged"})
    assert forged.status_code == 422 and "form expired" in forged.text
    client.post(
        f"/agent/tickets/{ticket_id}/reply",
        data={"body": "Customer sounds stressed", "visibility": "internal", "csrf_token": token},
    )
    client.post(
        f"/agent/tickets/{ticket_id}/reply",
        data={"body": "Please step away from the printer.", "visibility": "public", "csrf_token": token},
    )
    client.post(
        f"/agent/tickets/{ticket_id}/reply",
        data={"body": "Fire is out.", "visibility": "public", "status": "resolved", "csrf_token": token},
    )
    page = client.get(f"/agent/tickets/{ticket_id}").text
    assert "Customer sounds stressed" in page and "Internal note" in page
    assert "status-solved" in page
    queue = client.get("/agent?queue=resolved").text
    assert f"/agent/tickets/{ticket_id}" in queue
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "pat@initech.example.com")
    seen = client.get(f"/portal/tickets/{ticket_id}").text
    assert "Please step away" in seen and "Fire is out." in seen
    assert "Customer sounds stressed" not in seen and "Internal note" not in seen


def test_stale_properties_form_is_refused_with_a_message(client: TestClient, people: dict[str, int]) -> None:
    sign_in(client, "agent@help.example.com")
    form = client.get("/portal/new")
    created = client.post(
        "/portal/new", data={"subject": "Slow", "csrf_token": csrf(form.text)}, follow_redirects=False
    )
    ticket_id = int(created.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/agent/tickets/{ticket_id}").text
    token = csrf(page)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    first = client.post(
        f"/agent/tickets/{ticket_id}/update",
        data={"priority": "P2", "version": version.group(1), "csrf_token": token},
    )
    assert first.status_code == 200  # redirected back to the page
    stale = client.post(
        f"/agent/tickets/{ticket_id}/update",
        data={"priority": "P4", "version": version.group(1), "csrf_token": token},
    )
    assert stale.status_code == 422
    assert "changed since you read it" in stale.text


def test_session_cookie_on_the_api_needs_the_csrf_header(client: TestClient, people: dict[str, int]) -> None:
    sign_in(client, "pat@initech.example.com")
    assert client.get("/api/v1/tickets").status_code == 200
    refused = client.post("/api/v1/tickets", json={"subject": "x"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = csrf(client.get("/portal/new").text)
    assert (
        client.post("/api/v1/tickets", json={"subject": "x"}, headers={"X-CSRF-Token": token}).status_code
        == 201
    )


def test_logout_ends_the_session(client: TestClient, people: dict[str, int]) -> None:
    sign_in(client, "pat@initech.example.com")
    token = csrf(client.get("/portal").text)
    old_cookie = client.cookies.get("supportops_session")
    client.post("/logout", data={"csrf_token": token})
    client.cookies.set("supportops_session", old_cookie or "")
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    client: TestClient, people: dict[str, int]
) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": "nobody@help.example.com", "password": "whatever-pass", "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
