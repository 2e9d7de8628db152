"""Two agents on one ticket: each sees that the other is viewing or replying (kept in the database,
so every app process sees it), the warning ends a minute after the other left, and a save made on
a page that went stale is refused with what changed instead of overwriting it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Role, Tier
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import make_group, make_org, make_person
from tests.web.test_pages import PASSWORD, csrf, sign_in


@pytest.fixture
def ticket_id(client: TestClient, db: Database, clock: FrozenClock) -> int:
    org = make_org(db, clock.now(), name="Initech", domain="initech.example.com")
    alex = make_person(db, clock.now(), email="alex@help.example.com", role=Role.agent, password=PASSWORD)
    sam = make_person(db, clock.now(), email="sam@help.example.com", role=Role.agent, password=PASSWORD)
    make_group(db, clock.now(), name="Front line", tier=Tier.L1, members=[alex.id, sam.id])
    make_person(
        db,
        clock.now(),
        email="pat@initech.example.com",
        role=Role.customer,
        organization_id=org,
        password=PASSWORD,
    )
    sign_in(client, "pat@initech.example.com")
    form = client.get("/portal/new")
    created = client.post(
        "/portal/new",
        data={"subject": "Invoices missing", "description": "Since Monday", "csrf_token": csrf(form.text)},
        follow_redirects=False,
    )
    client.post("/logout", data={"csrf_token": csrf(form.text)})
    return int(created.headers["location"].rsplit("/", 1)[1])


@pytest.fixture
def second(client: TestClient) -> Iterator[TestClient]:
    """Another browser on the same app: a session of its own."""
    with TestClient(client.app, raise_server_exceptions=False) as other:
        yield other


def viewers(client: TestClient, ticket_id: int) -> list[tuple[str, bool]]:
    response = client.get(f"/agent/tickets/{ticket_id}/viewers")
    assert response.status_code == 200, response.text
    return [(v["name"], v["typing"]) for v in response.json()["viewers"]]


def ping(client: TestClient, ticket_id: int, token: str, *, typing: bool) -> int:
    return client.post(
        f"/agent/tickets/{ticket_id}/viewers", json={"typing": typing}, headers={"X-CSRF-Token": token}
    ).status_code


def test_an_agent_sees_who_else_is_viewing_or_replying_until_they_leave(
    client: TestClient, second: TestClient, clock: FrozenClock, ticket_id: int
) -> None:
    assert client.get(f"/agent/tickets/{ticket_id}/viewers").status_code == 401
    sign_in(client, "alex@help.example.com")
    sign_in(second, "sam@help.example.com")
    assert viewers(client, ticket_id) == []

    sam_page = second.get(f"/agent/tickets/{ticket_id}")  # opening the page counts as viewing
    assert sam_page.status_code == 200 and "</strong> is viewing" not in sam_page.text
    assert viewers(client, ticket_id) == [("Sam", False)]
    page = client.get(f"/agent/tickets/{ticket_id}").text
    assert "<strong>Sam</strong> is viewing this ticket" in page
    assert viewers(second, ticket_id) == [("Alex", False)]  # and never oneself

    sam_token = csrf(sam_page.text)
    clock.advance(timedelta(seconds=30))
    assert ping(second, ticket_id, sam_token, typing=True) == 200
    assert viewers(client, ticket_id) == [("Sam", True)]
    assert "<strong>Sam</strong> is replying to this ticket" in client.get(f"/agent/tickets/{ticket_id}").text
    assert ping(second, ticket_id, "forged", typing=False) == 403
    assert second.post(f"/agent/tickets/{ticket_id}/viewers", json={"typing": True}).status_code == 403
    assert viewers(client, ticket_id) == [("Sam", True)]

    clock.advance(timedelta(seconds=60))  # Sam checked in 60 s ago: still there
    assert viewers(client, ticket_id) == [("Sam", True)]
    clock.advance(timedelta(seconds=1))  # ... and gone a second later
    assert viewers(client, ticket_id) == []
    assert "this ticket</p>" not in client.get(f"/agent/tickets/{ticket_id}").text
    assert ping(second, ticket_id, sam_token, typing=False) == 200
    assert viewers(client, ticket_id) == [("Sam", False)]

    assert client.get("/agent/tickets/999999/viewers").status_code == 404
    assert ping(second, 999999, sam_token, typing=False) == 404


def test_customers_cannot_see_or_join_the_viewers(client: TestClient, ticket_id: int) -> None:
    sign_in(client, "pat@initech.example.com")
    token = csrf(client.get(f"/portal/tickets/{ticket_id}").text)
    assert client.get(f"/agent/tickets/{ticket_id}/viewers").status_code == 403
    assert ping(client, ticket_id, token, typing=True) == 403


def test_a_stale_save_is_refused_with_what_changed(
    client: TestClient, second: TestClient, ticket_id: int
) -> None:
    sign_in(client, "alex@help.example.com")
    sign_in(second, "sam@help.example.com")
    alex_page = client.get(f"/agent/tickets/{ticket_id}").text
    sam_page = second.get(f"/agent/tickets/{ticket_id}").text

    def form(page: str, **changes: str) -> dict[str, str]:
        version = re.search(r'name="version" value="(\d+)"', page)
        seen = re.search(r'name="seen_event" value="(\d+)"', page)
        assert version and seen
        return {
            "csrf_token": csrf(page),
            "version": version.group(1),
            "seen_event": seen.group(1),
            "status": "new",
            "priority": "P3",
            "group_id": "",
            "assignee_id": "",
            **changes,
        }

    saved = second.post(f"/agent/tickets/{ticket_id}/update", data=form(sam_page, priority="P1"))
    assert saved.status_code == 200 and saved.url.path == f"/agent/tickets/{ticket_id}"
    second.post(
        f"/agent/tickets/{ticket_id}/reply",
        data={"body": "Checking the billing run", "visibility": "internal", "csrf_token": csrf(sam_page)},
    )
    # The JSON check-in tells Alex's open page that the ticket moved on.
    assert client.get(f"/agent/tickets/{ticket_id}/viewers").json()["version"] > int(
        form(alex_page)["version"]
    )

    stale = client.post(f"/agent/tickets/{ticket_id}/update", data=form(alex_page, priority="P4"))
    assert stale.status_code == 422
    assert (
        "This ticket changed since you opened it (Sam changed priority, added an internal note); "
        "reload to see the change." in stale.text
    )
    assert 'id="stale-error"' in stale.text and "changed since you read it" in stale.text
    assert "<option selected>P1</option>" in stale.text  # the page now shows Sam's change

    reloaded = client.get(f"/agent/tickets/{ticket_id}").text
    again = client.post(f"/agent/tickets/{ticket_id}/update", data=form(reloaded, priority="P4"))
    assert again.status_code == 200 and "stale-error" not in again.text
    assert "<option selected>P4</option>" in again.text


def test_time_logged_or_a_note_since_opening_does_not_block_a_save(
    client: TestClient, second: TestClient, ticket_id: int
) -> None:
    sign_in(client, "alex@help.example.com")
    sign_in(second, "sam@help.example.com")
    page = client.get(f"/agent/tickets/{ticket_id}").text
    version = re.search(r'name="version" value="(\d+)"', page)
    seen = re.search(r'name="seen_event" value="(\d+)"', page)
    assert version and seen
    logged = client.post(
        f"/api/v1/tickets/{ticket_id}/time",
        json={"seconds": 300, "note": "call"},
        headers={"X-CSRF-Token": csrf(page)},
    )
    assert logged.status_code == 201, logged.text
    sam_page = second.get(f"/agent/tickets/{ticket_id}").text
    second.post(
        f"/agent/tickets/{ticket_id}/reply",
        data={"body": "Looked at it too", "visibility": "internal", "csrf_token": csrf(sam_page)},
    )
    assert client.get(f"/agent/tickets/{ticket_id}/viewers").json()["version"] > int(version.group(1))
    fields = {"status": "new", "priority": "P2", "group_id": "", "assignee_id": ""}
    saved = client.post(
        f"/agent/tickets/{ticket_id}/update",
        data={"csrf_token": csrf(page), "version": version.group(1), "seen_event": seen.group(1), **fields},
    )
    assert saved.status_code == 200 and "stale-error" not in saved.text
    assert "<option selected>P2</option>" in saved.text
