"""Macros through the API: who keeps which macros (shared by leads and admins, personal by their
owner), placeholders refused or rendered, and applying a macro as one all-or-nothing change."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import Person, Team, make_team

EVERY_PLACEHOLDER = (
    "id={{ticket.id}}|subject={{ ticket.subject }}|status={{ticket.status}}|priority={{ticket.priority}}|"
    "name={{requester.name}}|first={{requester.first_name}}|email={{requester.email}}|"
    "org={{organization.name}}|agent={{agent.name}}|agent_first={{  agent.first_name  }}"
)


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def _macro(client: TestClient, who: Person, **fields: Any) -> dict[str, Any]:
    body = {"title": "Hello", "body": "Hi {{requester.first_name}}", **fields}
    response = client.post("/api/v1/macros", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _ticket(client: TestClient, who: Person, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/tickets", json={"subject": "Cannot sign in", **fields}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _titles(client: TestClient, who: Person) -> list[str]:
    response = client.get("/api/v1/macros", headers=who.headers)
    assert response.status_code == 200, response.text
    return [m["title"] for m in response.json()["items"]]


def _messages(client: TestClient, who: Person, ticket_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=who.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- keeping macros ---------------------------------------------------------------------------


def test_personal_macros_are_seen_and_changed_by_their_owner_only(client: TestClient, team: Team) -> None:
    mine = _macro(client, team.agent, title="My greeting")
    assert mine["visibility"] == "personal" and mine["owner_id"] == team.agent.id
    assert mine["placeholders"] == ["requester.first_name"]
    assert _titles(client, team.agent) == ["My greeting"]
    for other in (team.specialist, team.lead, team.admin):
        assert "My greeting" not in _titles(client, other)
        path = f"/api/v1/macros/{mine['id']}"
        assert client.get(path, headers=other.headers).status_code == 404
        changed = client.put(path, json={"title": "Taken over", "body": "x"}, headers=other.headers)
        assert changed.status_code == 404
        assert client.delete(path, headers=other.headers).status_code == 404
    edited = client.put(
        f"/api/v1/macros/{mine['id']}",
        json={"title": "My greeting", "body": "Hello {{requester.name}}", "position": 3},
        headers=team.agent.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == "Hello {{requester.name}}" and edited.json()["position"] == 3
    assert client.delete(f"/api/v1/macros/{mine['id']}", headers=team.agent.headers).status_code == 204
    assert _titles(client, team.agent) == []


def test_shared_macros_are_written_by_leads_and_admins_and_used_by_all_staff(
    client: TestClient, team: Team
) -> None:
    refused = client.post(
        "/api/v1/macros", json={"title": "T", "body": "x", "visibility": "shared"}, headers=team.agent.headers
    )
    assert refused.status_code == 403 and "leads and admins" in refused.json()["detail"]
    shared = _macro(client, team.lead, title="Team greeting", visibility="shared")
    for staff in (team.agent, team.specialist, team.admin, team.lead):
        assert _titles(client, staff) == ["Team greeting"]
    path = f"/api/v1/macros/{shared['id']}"
    assert (
        client.put(path, json={"title": "Mine now", "body": "x"}, headers=team.agent.headers).status_code
        == 403
    )
    assert client.delete(path, headers=team.agent.headers).status_code == 403
    turned = client.put(
        f"/api/v1/macros/{_macro(client, team.agent, title='Promote me')['id']}",
        json={"title": "Promote me", "body": "x", "visibility": "shared"},
        headers=team.agent.headers,
    )
    assert turned.status_code == 403
    renamed = client.put(
        path, json={"title": "Team hello", "body": "x", "visibility": "shared"}, headers=team.admin.headers
    )
    assert renamed.status_code == 200 and renamed.json()["owner_id"] == team.lead.id
    assert client.delete(path, headers=team.admin.headers).status_code == 204
    for customer in (team.customer, team.colleague):
        assert client.get("/api/v1/macros", headers=customer.headers).status_code == 403
        made = client.post("/api/v1/macros", json={"title": "T", "body": "x"}, headers=customer.headers)
        assert made.status_code == 403


def test_titles_are_unique_within_a_scope_whatever_the_case(client: TestClient, team: Team) -> None:
    _macro(client, team.lead, title="Refund issued", visibility="shared")
    again = client.post(
        "/api/v1/macros",
        json={"title": "refund ISSUED", "body": "x", "visibility": "shared"},
        headers=team.admin.headers,
    )
    assert again.status_code == 409 and again.json()["field"] == "title"
    _macro(client, team.agent, title="Refund issued")  # a personal macro is another scope
    _macro(client, team.specialist, title="Refund issued")
    twice = client.post(
        "/api/v1/macros", json={"title": "Refund Issued", "body": "x"}, headers=team.agent.headers
    )
    assert twice.status_code == 409


def test_an_unknown_placeholder_is_refused_with_a_422_naming_it(client: TestClient, team: Team) -> None:
    for body, named in (
        ("Hi {{ requester.nickname }}, about #{{ticket.id}}", "{{requester.nickname}}"),
        ("{{ticket.id | upper}}", "{{ticket.id | upper}}"),
        ("{{ticket.requester.password_hash}}", "{{ticket.requester.password_hash}}"),
        ("{{}}", "{{}}"),
    ):
        response = client.post(
            "/api/v1/macros", json={"title": "T", "body": body}, headers=team.agent.headers
        )
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert problem["errors"] == [{"field": "body", "message": problem["detail"]}]
        assert named in problem["detail"] and "{{ticket.subject}}" in problem["detail"], problem["detail"]
    made = _macro(client, team.agent, title="Fine")
    changed = client.put(
        f"/api/v1/macros/{made['id']}",
        json={"title": "Fine", "body": "{{agent.surname}}"},
        headers=team.agent.headers,
    )
    assert changed.status_code == 422 and "{{agent.surname}}" in changed.json()["detail"]


def test_bad_actions_are_refused_naming_the_field(client: TestClient, team: Team) -> None:
    for actions, field in (
        ({"status": "new"}, "actions.status"),
        ({"status": "nowhere"}, "actions.status"),
        ({"priority": "P9"}, "actions.priority"),
        ({"add_tags": ["no spaces allowed"]}, "actions.add_tags.0"),
    ):
        response = client.post(
            "/api/v1/macros", json={"title": "T", "body": "x", "actions": actions}, headers=team.agent.headers
        )
        assert response.status_code == 422, (actions, response.text)
        assert response.json()["errors"][0]["field"] == field, response.text


def test_the_list_is_paged_in_position_order(client: TestClient, team: Team) -> None:
    for position, title in ((20, "C"), (10, "B"), (10, "A2"), (0, "Z")):
        _macro(client, team.agent, title=title, position=position)
    first = client.get("/api/v1/macros?limit=2", headers=team.agent.headers).json()
    assert [m["title"] for m in first["items"]] == ["Z", "B"]
    rest = client.get(
        f"/api/v1/macros?limit=2&cursor={first['next_cursor']}", headers=team.agent.headers
    ).json()
    assert [m["title"] for m in rest["items"]] == ["A2", "C"] and rest["next_cursor"] is None


# --- on a ticket ------------------------------------------------------------------------------


def test_preview_renders_every_placeholder_for_the_ticket(client: TestClient, team: Team) -> None:
    ticket = _ticket(
        client,
        team.agent,
        subject="Invoice {{agent.name}} is wrong",
        requester_email="dana@globex.example.com",
        requester_name="Dana Scully",
        priority="P2",
    )
    macro = _macro(
        client, team.agent, body=EVERY_PLACEHOLDER, actions={"status": "pending", "add_tags": ["b", "a"]}
    )
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/macros/{macro['id']}/preview", headers=team.agent.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "body": (
            f"id={ticket['id']}|subject=Invoice {{{{agent.name}}}} is wrong|status=new|priority=P2|"
            "name=Dana Scully|first=Dana|email=dana@globex.example.com|org=Globex|"
            "agent=Agent|agent_first=Agent"
        ),
        "actions": {"status": "pending", "priority": None, "add_tags": ["a", "b"]},
    }
    assert _messages(client, team.agent, ticket["id"]) == []  # a preview saves nothing


def test_a_placeholder_without_a_value_renders_empty(client: TestClient, team: Team) -> None:
    ticket = _ticket(client, team.agent, requester_email="solo@example.net")
    macro = _macro(client, team.agent, body="Hi {{requester.first_name}} of [{{organization.name}}]")
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/macros/{macro['id']}/preview", headers=team.agent.headers
    )
    assert response.json()["body"] == "Hi solo of []"


def test_only_staff_who_can_use_the_macro_preview_or_apply_it(client: TestClient, team: Team) -> None:
    ticket = _ticket(client, team.customer)
    personal = _macro(client, team.agent)
    base = f"/api/v1/tickets/{ticket['id']}/macros/{personal['id']}"
    assert client.post(f"{base}/preview", headers=team.customer.headers).status_code == 403
    assert client.post(f"{base}/apply", headers=team.customer.headers).status_code == 403
    assert client.post(f"{base}/preview", headers=team.specialist.headers).status_code == 404
    assert client.post(f"{base}/apply", headers=team.specialist.headers).status_code == 404
    missing = f"/api/v1/tickets/999999/macros/{personal['id']}/preview"
    assert client.post(missing, headers=team.agent.headers).status_code == 404
    assert _messages(client, team.agent, ticket["id"]) == []


def test_apply_posts_the_reply_and_applies_the_actions_in_one_go(client: TestClient, team: Team) -> None:
    ticket = _ticket(client, team.customer, tags=["login"])
    macro = _macro(
        client,
        team.lead,
        title="Need more information",
        visibility="shared",
        body="Hi {{requester.first_name}}, which browser do you use for #{{ticket.id}}?",
        actions={"status": "pending", "priority": "P2", "add_tags": ["needs-info"]},
    )
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/macros/{macro['id']}/apply", headers=team.agent.headers
    )
    assert response.status_code == 201, response.text
    applied = response.json()
    assert applied["follow_up_created"] is False
    after = applied["ticket"]
    assert after["id"] == ticket["id"] and after["status"] == "pending" and after["priority"] == "P2"
    assert after["tags"] == ["login", "needs-info"] and after["assignee_id"] == team.agent.id
    [message] = _messages(client, team.customer, ticket["id"])
    assert message["id"] == applied["message_id"] and message["public"] is True
    assert message["body"] == f"Hi Ann, which browser do you use for #{ticket['id']}?"
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=team.agent.headers).json() == after


def test_apply_as_an_internal_note(client: TestClient, team: Team) -> None:
    ticket = _ticket(client, team.customer)
    macro = _macro(client, team.agent, body="Customer is {{requester.email}}", actions={"add_tags": ["vip"]})
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/macros/{macro['id']}/apply",
        json={"public": False},
        headers=team.agent.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["ticket"]["tags"] == ["vip"]
    assert _messages(client, team.customer, ticket["id"]) == []
    [note] = _messages(client, team.agent, ticket["id"])
    assert note["public"] is False and note["body"] == "Customer is ann@acme.example.com"


def test_an_illegal_transition_rolls_the_whole_macro_back(client: TestClient, team: Team) -> None:
    ticket = _ticket(client, team.customer)
    macro = _macro(
        client,
        team.agent,
        body="All done, {{requester.first_name}}.",
        actions={"status": "closed", "priority": "P1", "add_tags": ["done"]},
    )
    before = client.get(f"/api/v1/tickets/{ticket['id']}", headers=team.agent.headers).json()
    response = client.post(
        f"/api/v1/tickets/{ticket['id']}/macros/{macro['id']}/apply", headers=team.agent.headers
    )
    assert response.status_code == 409, response.text
    assert "closed" in response.json()["detail"] and response.json()["allowed"]
    after = client.get(f"/api/v1/tickets/{ticket['id']}", headers=team.agent.headers).json()
    assert after == before and after["assignee_id"] is None and after["tags"] == []
    assert _messages(client, team.agent, ticket["id"]) == []
    timeline = client.get(f"/api/v1/tickets/{ticket['id']}/timeline", headers=team.agent.headers).json()
    assert [e.get("kind") for e in timeline["items"]] == ["created"]
