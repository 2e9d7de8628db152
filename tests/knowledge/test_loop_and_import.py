"""The knowledge loop (links, replies with an article, drafts from tickets, the gap finder) and the
bulk import command."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from supportops.cli.main import app
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import Person, Team
from tests.knowledge.conftest import create, suggest

runner = CliRunner()


def _ticket(client: TestClient, customer: Person, subject: str, description: str = "Please help.") -> int:
    response = client.post(
        "/api/v1/tickets", json={"subject": subject, "description": description}, headers=customer.headers
    )
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["id"]
    return ticket_id


def _resolve(client: TestClient, agent: Person, ticket_id: int, reply: str) -> None:
    posted = client.post(
        f"/api/v1/tickets/{ticket_id}/messages",
        json={"body": reply, "status": "resolved"},
        headers=agent.headers,
    )
    assert posted.status_code == 201, posted.text


def test_reply_with_article_posts_a_public_reply_and_links_it(client: TestClient, team: Team) -> None:
    article = create(
        client, team.agent, title="Reset your password", body="Use Forgot password on the sign-in page."
    )
    ticket_id = _ticket(client, team.customer, "Locked out")
    response = client.post(
        f"/api/v1/kb/articles/{article['id']}/reply",
        json={"ticket_id": ticket_id, "text": "Hi Ann,"},
        headers=team.agent.headers,
    )
    assert response.status_code == 201, response.text
    messages = client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=team.customer.headers).json()[
        "items"
    ]
    assert "Reset your password" in messages[-1]["body"] and f"/kb/{article['id']}" in messages[-1]["body"]
    links = client.get(f"/api/v1/tickets/{ticket_id}/articles", headers=team.agent.headers).json()
    assert [(link["article_id"], link["kind"]) for link in links] == [(article["id"], "replied")]
    internal = create(client, team.agent, title="Internal runbook", body="Steps.", visibility="internal")
    refused = client.post(
        f"/api/v1/kb/articles/{internal['id']}/reply",
        json={"ticket_id": ticket_id},
        headers=team.agent.headers,
    )
    assert refused.status_code == 422


def test_linked_ticket_subjects_teach_the_suggestions(client: TestClient, team: Team) -> None:
    article = create(
        client, team.agent, title="Two-step verification", body="Set up an authenticator app under Security."
    )
    other = create(client, team.agent, title="Delete your account", body="Ask us to erase your data.")
    phrase = "my phone broke and codes stopped coming"
    before = suggest(client, phrase)
    assert before["no_match"] is True
    for _ in range(2):
        ticket_id = _ticket(client, team.customer, phrase)
        linked = client.post(
            f"/api/v1/kb/articles/{article['id']}/links",
            json={"ticket_id": ticket_id},
            headers=team.agent.headers,
        )
        assert linked.status_code == 201
    after = suggest(client, phrase)
    assert after["suggestions"][0]["article_id"] == article["id"]
    assert after["no_match"] is False
    assert other["id"] != after["suggestions"][0]["article_id"]


def test_draft_from_ticket_takes_problem_and_resolution(client: TestClient, team: Team) -> None:
    ticket_id = _ticket(client, team.customer, "Export fails with error 504", "The CSV export times out.")
    _resolve(client, team.agent, ticket_id, "Export in monthly chunks; large exports time out after 60 s.")
    response = client.post(
        "/api/v1/kb/articles/from-ticket", json={"ticket_id": ticket_id}, headers=team.agent.headers
    )
    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["title"], draft["status"], draft["visibility"]) == (
        "Export fails with error 504",
        "draft",
        "internal",
    )
    assert "The CSV export times out." in draft["body"] and "monthly chunks" in draft["body"]
    assert draft["source_ticket_id"] == ticket_id
    assert (
        client.post(
            "/api/v1/kb/articles/from-ticket", json={"ticket_id": ticket_id}, headers=team.customer.headers
        ).status_code
        == 403
    )


def test_gap_finder_groups_recurring_unlinked_resolutions(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    subjects = [
        "Invoice PDF download fails", "Cannot download invoice PDF", "Invoice PDF download broken",
        "Download of invoice PDF fails again", "Shipping address change", "Change shipping address please",
        "Update my shipping address", "Printer on fire",
    ]  # fmt: skip
    ids = []
    for subject in subjects:
        ticket_id = _ticket(client, team.customer, subject)
        _resolve(client, team.agent, ticket_id, "Fixed.")
        ids.append(ticket_id)
    article = create(client, team.agent, title="Change address", body="Under Account.")
    client.post(
        f"/api/v1/kb/articles/{article['id']}/links", json={"ticket_id": ids[4]}, headers=team.agent.headers
    )
    clock.advance(timedelta(hours=1))
    report = client.get("/api/v1/kb/gaps?days=7", headers=team.lead.headers).json()
    assert report["resolved_without_article"] == 7
    sizes = [(g["size"], sorted(t["ticket_id"] for t in g["examples"])) for g in report["clusters"]]
    assert sizes[0] == (4, sorted(ids[:4]))
    assert "invoice" in " ".join(report["clusters"][0]["terms"])
    assert (2, sorted(ids[5:7])) not in sizes  # below the minimum cluster size of 3
    assert client.get("/api/v1/kb/gaps", headers=team.customer.headers).status_code == 403


def test_kb_import_reports_bad_lines_and_is_idempotent(
    cli_db: Database, tmp_path: Path, client: TestClient, team: Team
) -> None:
    lines = [
        json.dumps(
            {
                "title": "Reset your password",
                "body": "Use *Forgot password*.",
                "visibility": "public",
                "status": "published",
            }
        ),
        json.dumps({"title": "", "body": "x"}),
        "{not json",
        json.dumps(
            {
                "title": "Runbook",
                "body": "<script>x()</script>Steps",
                "visibility": "internal",
                "status": "draft",
                "tags": ["ops"],
            }
        ),
        json.dumps({"title": "T", "body": "b", "category": "Missing"}),
        "",
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", str(path), "--author", team.agent.email])
    assert result.exit_code == 1, result.output
    assert result.stdout.strip().splitlines()[-1] == "imported=2 skipped=0 rejected=3"
    assert result.stderr.splitlines() == [
        "line 2: title: String should have at least 1 character",
        "line 3: line: invalid JSON: Expecting property name enclosed in double quotes at column 2",
        "line 5: category: Unknown category 'Missing'. Known categories: none yet; "
        "an admin or lead creates them.",
    ]
    again = runner.invoke(app, ["kb", "import", str(path)])
    assert again.stdout.strip().splitlines()[-1] == "imported=0 skipped=2 rejected=3"
    listed = client.get("/api/v1/kb/articles", headers=team.agent.headers).json()["items"]
    assert sorted(a["title"] for a in listed) == ["Reset your password", "Runbook"]
    runbook = next(a for a in listed if a["title"] == "Runbook")
    body = client.get(f"/api/v1/kb/articles/{runbook['id']}", headers=team.agent.headers).json()["body"]
    assert "<script" not in body and runbook["tags"] == ["ops"]
    missing = runner.invoke(app, ["kb", "import", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
