"""Articles: create, read, list, update with versions, archive, import rules and bad input."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from supportops.kit.clock import FrozenClock
from tests.factories import Team
from tests.knowledge.conftest import create

RESET = "# Reset your password\n\nOpen **Sign in** and choose *Forgot password*. We email a link.\n"


def test_create_returns_201_with_id_rendered_html_and_a_first_version(client: TestClient, team: Team) -> None:
    article = create(client, team.agent, title="Reset your password", body=RESET, tags=["Login", "password"])
    assert article["id"] >= 1
    assert article["version"] == 1
    assert "<strong>Sign in</strong>" in article["body_html"]
    assert article["tags"] == ["login", "password"]
    assert article["owner_id"] == team.agent.id
    assert article["fresh"] is True
    versions = client.get(f"/api/v1/kb/articles/{article['id']}/versions", headers=team.agent.headers).json()
    assert [(v["version"], v["title"]) for v in versions] == [(1, "Reset your password")]


def test_script_and_event_handlers_are_stripped_from_source_and_rendering(
    client: TestClient, team: Team
) -> None:
    body = (
        "Hello <img src=x onerror=alert(1)>\n\n<script>alert('x')</script>\n\n"
        '<a href="javascript:alert(2)" onclick="steal()">click</a> and [docs](https://example.com)\n'
    )
    article = create(client, team.agent, title="Unsafe", body=body)
    for stored in (article["body"], article["body_html"]):
        lowered = stored.lower()
        assert "<script" not in lowered
        assert "onerror" not in lowered
        assert "onclick" not in lowered
        assert "javascript:" not in lowered
    assert 'href="https://example.com"' in article["body_html"]


def test_bad_input_gets_422_naming_the_field(client: TestClient, team: Team) -> None:
    cases = [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "   ", "body": "x"}, "title"),
        ({"title": "T", "body": ""}, "body"),
        ({"title": "T", "body": "x", "category": "Nope"}, "category"),
        ({"title": "T", "body": "x", "visibility": "secret"}, "visibility"),
        ({"title": "T", "body": "x", "status": "archived"}, "status"),
        ({"title": "T", "body": "<script>only()</script>"}, "body"),
        ({"title": "T\x00", "body": "x"}, "title"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/kb/articles", json=body, headers=team.agent.headers)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (body, response.text)


def test_unknown_category_lists_the_known_ones(client: TestClient, team: Team) -> None:
    assert (
        client.post("/api/v1/kb/categories", json={"name": "Billing"}, headers=team.lead.headers).status_code
        == 201
    )
    response = client.post(
        "/api/v1/kb/articles",
        json={"title": "T", "body": "x", "category": "Biling"},
        headers=team.agent.headers,
    )
    assert response.status_code == 422
    assert "'Billing'" in response.json()["detail"]
    ok = create(client, team.agent, title="Invoices", body="Where invoices are.", category="billing")
    assert ok["category"] == "Billing"


def test_customers_and_visitors_see_published_public_articles_only(client: TestClient, team: Team) -> None:
    public = create(client, team.agent, title="Public", body="For everyone.")
    internal = create(client, team.agent, title="Internal", body="Staff only.", visibility="internal")
    draft = create(client, team.agent, title="Draft", body="Not yet.", status="draft")
    for headers in (team.customer.headers, {}):
        listed = client.get("/api/v1/kb/articles", headers=headers).json()["items"]
        assert [a["id"] for a in listed] == [public["id"]]
        for hidden in (internal, draft):
            assert client.get(f"/api/v1/kb/articles/{hidden['id']}", headers=headers).status_code == 404
    staff = client.get("/api/v1/kb/articles", headers=team.agent.headers).json()["items"]
    assert {a["id"] for a in staff} == {public["id"], internal["id"], draft["id"]}
    assert (
        client.post(
            "/api/v1/kb/articles", json={"title": "T", "body": "x"}, headers=team.customer.headers
        ).status_code
        == 403
    )
    assert client.post("/api/v1/kb/articles", json={"title": "T", "body": "x"}).status_code == 401


def test_update_makes_a_version_and_a_stale_edit_is_refused(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    article = create(client, team.agent, title="Refunds", body="Refunds take 5 days.")
    url = f"/api/v1/kb/articles/{article['id']}"
    clock.advance(timedelta(days=100))
    assert client.get(url, headers=team.agent.headers).json()["fresh"] is False
    first = client.patch(
        url, json={"body": "Refunds take 3 days."}, headers={**team.agent.headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    assert first.json()["fresh"] is True
    stale = client.patch(
        url, json={"title": "Refund times"}, headers={**team.lead.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 409
    assert "version 1" in stale.json()["detail"]
    assert client.get(url, headers=team.agent.headers).json()["title"] == "Refunds"
    versions = client.get(f"{url}/versions", headers=team.agent.headers).json()
    assert [v["body"] for v in versions] == ["Refunds take 3 days.", "Refunds take 5 days."]


def test_archive_hides_from_readers_and_keeps_history(client: TestClient, team: Team) -> None:
    article = create(client, team.agent, title="Old feature", body="Gone now.")
    archived = client.post(f"/api/v1/kb/articles/{article['id']}/archive", headers=team.agent.headers)
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    assert (
        client.get(f"/api/v1/kb/articles/{article['id']}", headers=team.customer.headers).status_code == 404
    )
    assert (
        len(client.get(f"/api/v1/kb/articles/{article['id']}/versions", headers=team.agent.headers).json())
        == 2
    )


def test_stale_articles_are_listed_for_their_owner(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    mine = create(client, team.agent, title="Mine", body="Old text.")
    create(client, team.lead, title="Theirs", body="Old text too.")
    clock.advance(timedelta(days=91))
    create(client, team.agent, title="New", body="Fresh text.")
    stale = client.get(
        f"/api/v1/kb/articles?stale=true&owner_id={team.agent.id}", headers=team.agent.headers
    ).json()["items"]
    assert [a["id"] for a in stale] == [mine["id"]]
    assert stale[0]["fresh"] is False
