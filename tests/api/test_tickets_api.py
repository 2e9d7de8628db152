"""The ticket API end to end, on both databases: rules, visibility and every error of the contract."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.tickets.models import Message, Ticket, TicketEvent
from tests.factories import Team, make_team


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def create(client: TestClient, who: Any, **fields: Any) -> dict[str, Any]:
    body = {"subject": "Cannot log in", "description": "The login page spins forever.", **fields}
    response = client.post("/api/v1/tickets", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def row_counts(db: Database) -> tuple[int, int, int]:
    with db.unit_of_work(write=False) as session:
        return (
            session.scalar(select(func.count()).select_from(Ticket)) or 0,
            session.scalar(select(func.count()).select_from(Message)) or 0,
            session.scalar(select(func.count()).select_from(TicketEvent)) or 0,
        )


def test_customer_creates_a_ticket_for_themselves(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer, priority="p2", tags=["Login", "login"])
    assert ticket["requester_id"] == team.customer.id
    assert ticket["organization_id"] == team.acme
    assert ticket["status"] == "new" and ticket["status_category"] == "open"
    assert ticket["priority"] == "P2"
    assert ticket["tags"] == ["login"]
    assert ticket["version"] == 1


def test_staff_creates_for_a_new_customer_by_email_matched_to_organization(
    client: TestClient, team: Team
) -> None:
    ticket = create(client, team.agent, requester_email="new.person@globex.example.com", channel="phone")
    me = client.get(f"/api/v1/users/{ticket['requester_id']}", headers=team.admin.headers).json()
    assert me["email"] == "new.person@globex.example.com"
    assert me["role"] == "customer"
    assert ticket["organization_id"] == team.globex


def test_get_returns_etag_and_partial_update_with_stale_version_gets_412(
    client: TestClient, team: Team, db: Database
) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    etag = client.get(url, headers=team.agent.headers).headers["etag"]
    ok = client.patch(url, json={"priority": "P1"}, headers={**team.agent.headers, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == ticket["version"] + 1
    before = row_counts(db)
    stale = client.patch(url, json={"priority": "P4"}, headers={**team.agent.headers, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert "changed since you read it" in stale.json()["detail"]
    assert client.get(url, headers=team.agent.headers).json()["priority"] == "P1"
    assert row_counts(db) == before


def test_illegal_transition_gets_409_naming_the_allowed_ones(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        json={"to": "closed"},
        headers=team.agent.headers,
    )
    assert response.status_code == 409
    body = response.json()
    assert body["allowed"] == ["triaged", "pending", "on_hold", "escalated"]
    assert "triaged" in body["detail"]


def test_resolving_without_assignee_is_refused(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/transitions",
        json={"to": "resolved"},
        headers=team.agent.headers,
    )
    assert response.status_code == 409
    assert "assignee" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "no subject"}, "subject"),
        ({"subject": "x", "priority": "P9"}, "priority"),
        ({"subject": "x", "channel": "fax"}, "channel"),
        ({"subject": "x", "tags": ["has space"]}, "tags.0"),
        ({"subject": "x", "severity": "SEV9"}, "severity"),
        ({"subject": "x", "bogus": 1}, "bogus"),
        ({"subject": "nul\u0000byte"}, "subject"),
        ({"subject": "x" * 300}, "subject"),
        ({"subject": "x", "custom_fields": {"Bad Key": 1}}, "custom_fields.Bad Key.[key]"),
    ],
)
def test_invalid_create_names_the_field_and_writes_nothing(
    client: TestClient, team: Team, db: Database, body: dict[str, Any], field: str
) -> None:
    before = row_counts(db)
    response = client.post("/api/v1/tickets", json=body, headers=team.agent.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]]
    assert problem["detail"]
    assert row_counts(db) == before


def test_priority_outside_the_scheme_names_the_scheme(client: TestClient, team: Team) -> None:
    response = client.post(
        "/api/v1/tickets", json={"subject": "x", "priority": "P0"}, headers=team.agent.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "priority"
    assert "P1, P2, P3, P4, P5" in response.json()["detail"]


def test_malformed_json_is_a_422_not_a_500(client: TestClient, team: Team) -> None:
    response = client.post(
        "/api/v1/tickets",
        content=b"{not json",
        headers={**team.agent.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_unauthenticated_and_bad_token_get_401(client: TestClient, team: Team) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
    bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer so_nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/tickets", headers={"Authorization": "Basic abc"}).status_code == 401


def test_unknown_ticket_and_huge_ids_get_404_or_422(client: TestClient, team: Team) -> None:
    assert client.get("/api/v1/tickets/999999", headers=team.agent.headers).status_code == 404
    assert client.get("/api/v1/tickets/99999999999999999999", headers=team.agent.headers).status_code == 422
    assert client.get("/api/v1/tickets/abc", headers=team.agent.headers).status_code == 422
    assert client.get("/api/v1/nothing-here", headers=team.agent.headers).status_code == 404


def test_customer_cannot_change_fields_or_write_notes(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    assert client.patch(url, json={"priority": "P1"}, headers=team.customer.headers).status_code == 403
    note = client.post(f"{url}/messages", json={"body": "x", "public": False}, headers=team.customer.headers)
    assert note.status_code == 403
    assert (
        client.post(
            "/api/v1/users",
            json={"email": "a@b.example.com", "name": "A"},
            headers=team.agent.headers,
        ).status_code
        == 403
    )


def test_customers_see_only_their_own_or_shared_organization_tickets(client: TestClient, team: Team) -> None:
    mine = create(client, team.customer)
    create(client, team.other_customer)
    colleague_ticket = create(client, team.colleague)
    listed = client.get("/api/v1/tickets", headers=team.customer.headers).json()["items"]
    assert [t["id"] for t in listed] == [mine["id"]]
    assert (
        client.get(f"/api/v1/tickets/{colleague_ticket['id']}", headers=team.customer.headers).status_code
        == 404
    )
    # Globex shares tickets among its members: a second Globex customer sees the colleague's ticket.
    other_globex = client.post(
        "/api/v1/tickets",
        json={"subject": "x", "requester_email": "dee@globex.example.com"},
        headers=team.agent.headers,
    ).json()
    assert other_globex["organization_id"] == team.globex
    assert len(client.get("/api/v1/tickets", headers=team.agent.headers).json()["items"]) == 4


def test_customers_never_see_internal_notes(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    client.post(
        f"{url}/messages",
        json={"body": "SECRET: customer is on a legacy plan", "public": False},
        headers=team.agent.headers,
    )
    client.post(f"{url}/messages", json={"body": "We are looking into it."}, headers=team.agent.headers)
    for path in ("", "/messages", "/timeline"):
        seen = client.get(url + path, headers=team.customer.headers)
        assert seen.status_code == 200
        assert "SECRET" not in seen.text
    staff = client.get(f"{url}/timeline", headers=team.agent.headers).text
    assert "SECRET" in staff
    customer_timeline = client.get(f"{url}/timeline", headers=team.customer.headers).json()["items"]
    assert all(item["type"] != "event" or item["field"] != "assignee_id" for item in customer_timeline)


def test_first_agent_reply_assigns_starts_work_and_sets_first_response(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    clock.advance(timedelta(minutes=5))
    client.post(
        f"{url}/messages",
        json={"body": "Auto: we got it", "public": True},
        headers=team.admin.headers,
    )
    after = client.get(url, headers=team.agent.headers).json()
    assert after["first_response_minutes"] == 5.0
    assert after["assignee_id"] == team.admin.id
    assert after["status"] == "in_progress"
    assert after["agent_stations"] == 1


def test_internal_note_is_not_a_first_response(client: TestClient, team: Team, clock: FrozenClock) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    clock.advance(timedelta(minutes=3))
    client.post(f"{url}/messages", json={"body": "looking", "public": False}, headers=team.agent.headers)
    assert client.get(url, headers=team.agent.headers).json()["first_response_at"] is None
    clock.advance(timedelta(minutes=7))
    client.post(f"{url}/messages", json={"body": "Hello!"}, headers=team.agent.headers)
    assert client.get(url, headers=team.agent.headers).json()["first_response_minutes"] == 10.0


def test_customer_reply_reopens_a_resolved_ticket_and_counts_it(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    client.post(f"{url}/messages", json={"body": "Fixed.", "status": "resolved"}, headers=team.agent.headers)
    resolved = client.get(url, headers=team.agent.headers).json()
    assert resolved["status"] == "resolved" and resolved["first_resolved_at"] is not None
    client.post(f"{url}/messages", json={"body": "Still broken"}, headers=team.customer.headers)
    reopened = client.get(url, headers=team.agent.headers).json()
    assert reopened["status"] == "in_progress"
    assert reopened["reopen_count"] == 1


def test_reply_to_closed_ticket_opens_a_linked_follow_up(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    client.post(f"{url}/messages", json={"body": "Done", "status": "resolved"}, headers=team.agent.headers)
    closed = client.post(f"{url}/transitions", json={"to": "closed"}, headers=team.agent.headers)
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    posted = client.post(f"{url}/messages", json={"body": "It broke again"}, headers=team.customer.headers)
    assert posted.status_code == 201
    body = posted.json()
    assert body["follow_up_created"] is True
    follow_up = body["ticket"]
    assert follow_up["id"] != ticket["id"]
    assert follow_up["follow_up_of_id"] == ticket["id"]
    assert follow_up["requester_id"] == team.customer.id
    assert body["message"]["ticket_id"] == follow_up["id"]
    original = client.get(url, headers=team.agent.headers).json()
    assert original["status"] == "closed"
    assert client.patch(url, json={"priority": "P1"}, headers=team.agent.headers).status_code == 409


def test_handoffs_count_stations_and_highest_tier(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer, group_id=None)
    url = f"/api/v1/tickets/{ticket['id']}"
    client.patch(url, json={"group_id": team.l1, "assignee_id": team.agent.id}, headers=team.lead.headers)
    wrong = client.patch(url, json={"group_id": team.l2}, headers=team.lead.headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "assignee_id"
    client.patch(
        url,
        json={"group_id": team.l2, "assignee_id": team.specialist.id},
        headers=team.lead.headers,
    )
    client.post(f"{url}/transitions", json={"to": "escalated"}, headers=team.specialist.headers)
    after = client.get(url, headers=team.agent.headers).json()
    assert after["agent_stations"] == 2
    assert after["group_stations"] == 2
    assert after["max_tier"] == "L2"
    assert after["status"] == "escalated"


def test_list_filters_and_cursor_pagination(client: TestClient, team: Team) -> None:
    ids = [
        create(client, team.customer, subject=f"Invoice question {i}", priority="P4")["id"] for i in range(5)
    ]
    create(client, team.customer, subject="Password reset", priority="P2")
    page1 = client.get("/api/v1/tickets?priority=P4&limit=2", headers=team.agent.headers).json()
    page2 = client.get(
        f"/api/v1/tickets?priority=P4&limit=2&cursor={page1['next_cursor']}",
        headers=team.agent.headers,
    ).json()
    page3 = client.get(
        f"/api/v1/tickets?priority=P4&limit=2&cursor={page2['next_cursor']}",
        headers=team.agent.headers,
    ).json()
    seen = [t["id"] for t in page1["items"] + page2["items"] + page3["items"]]
    assert seen == sorted(ids, reverse=True)
    assert page3["next_cursor"] is None
    found = client.get("/api/v1/tickets?q=invoi", headers=team.agent.headers).json()["items"]
    assert len(found) == 5
    assert (
        client.get("/api/v1/tickets?q=password%20reset", headers=team.agent.headers).json()["items"][0][
            "subject"
        ]
        == "Password reset"
    )
    assert (
        client.get(
            f"/api/v1/tickets?requester_id={team.other_customer.id}", headers=team.agent.headers
        ).json()["items"]
        == []
    )
    assert (
        len(
            client.get("/api/v1/tickets?status=new&unassigned=true", headers=team.agent.headers).json()[
                "items"
            ]
        )
        == 6
    )
    bad = client.get("/api/v1/tickets?cursor=garbage!", headers=team.agent.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_updated_since_filters_by_change_time(client: TestClient, team: Team, clock: FrozenClock) -> None:
    old = create(client, team.customer)
    clock.advance(timedelta(hours=2))
    since = clock.now().isoformat()
    new = create(client, team.customer)
    items = client.get("/api/v1/tickets", params={"updated_since": since}, headers=team.agent.headers).json()[
        "items"
    ]
    assert [t["id"] for t in items] == [new["id"]]
    client.patch(f"/api/v1/tickets/{old['id']}", json={"category": "billing"}, headers=team.agent.headers)
    items = client.get("/api/v1/tickets", params={"updated_since": since}, headers=team.agent.headers).json()[
        "items"
    ]
    assert {t["id"] for t in items} == {old["id"], new["id"]}


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets/{ticket_id}/transitions" in spec["paths"]


def test_shared_organization_pages_merge_own_and_colleague_tickets(client: TestClient, team: Team) -> None:
    second = client.post(
        "/api/v1/tickets",
        json={"subject": "mine 0", "requester_email": "eve@globex.example.com"},
        headers=team.agent.headers,
    ).json()
    eve = client.post(
        "/api/v1/tokens?user_id=" + str(second["requester_id"]),
        json={"name": "eve"},
        headers=team.admin.headers,
    ).json()["token"]
    expected = [second["id"]]
    for i in range(5):
        expected.append(create(client, team.colleague, subject=f"colleague {i}")["id"])
        expected.append(create(client, _Who(eve), subject=f"mine {i + 1}")["id"])
        create(client, team.customer, subject="another organization")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", params=params, headers={"Authorization": f"Bearer {eve}"}).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(expected, reverse=True)


class _Who:
    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}


def test_nul_characters_in_notes_and_custom_fields_are_refused(client: TestClient, team: Team) -> None:
    ticket = create(client, team.customer)
    url = f"/api/v1/tickets/{ticket['id']}"
    resp = client.post(f"{url}/time", json={"seconds": 60, "note": "a\x00b"}, headers=team.agent.headers)
    assert resp.status_code == 422 and "note" in resp.text
    resp = client.post(
        "/api/v1/tickets",
        json={"subject": "x", "custom_fields": {"plan": "gold\x00"}},
        headers=team.customer.headers,
    )
    assert resp.status_code == 422 and "custom_fields" in resp.text


def test_custom_field_values_are_stored_exactly(client: TestClient, team: Team) -> None:
    """JSON columns are written by a fast encoder; what it cannot encode (an integer beyond 64 bits)
    still goes in exactly, and text, floats and flags come back as sent."""
    fields = {
        "order": 2**70,
        "small": -(2**63),
        "ratio": 0.1,
        "vip": True,
        "note": "Grüße, 東京 😀",
        "none": None,
    }
    ticket = create(client, team.agent, custom_fields=fields)
    again = client.get(f"/api/v1/tickets/{ticket['id']}", headers=team.agent.headers).json()
    assert again["custom_fields"] == fields
