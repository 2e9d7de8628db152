"""The team pages: presence from the queue, routing profiles and skills, groups' assignment."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Role, Tier
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import make_group, make_person
from tests.web.test_pages import PASSWORD, csrf, sign_in


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, int]:
    admin = make_person(db, clock.now(), email="root@help.example.com", role=Role.admin, password=PASSWORD)
    agent = make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent, password=PASSWORD)
    group = make_group(db, clock.now(), name="Front line", tier=Tier.L1, members=[agent.id])
    return {"admin": admin.id, "agent": agent.id, "group": group}


def test_an_agent_sets_presence_from_the_queue(client: TestClient, staff: dict[str, int]) -> None:
    sign_in(client, "agent@help.example.com")
    queue = client.get("/agent")
    assert 'name="presence"' in queue.text
    resp = client.post(
        "/presence", data={"presence": "online", "csrf_token": csrf(queue.text)}, follow_redirects=False
    )
    assert resp.status_code == 303
    assert "<option selected>online</option>" in client.get("/agent").text
    assert client.get("/admin/agents").status_code == 403


def test_admins_edit_profiles_skills_and_group_assignment(client: TestClient, staff: dict[str, int]) -> None:
    sign_in(client, "root@help.example.com")
    page = client.get("/admin/agents")
    assert page.status_code == 200 and "Front line" in page.text
    token = csrf(page.text)
    form = {
        "csrf_token": token,
        "languages": "en, de",
        "skills": "billing=4, how-to=2",
        "capacity_email": "3",
        "capacity_chat": "1",
        "shift_calendar_id": "",
    }
    saved = client.post(f"/admin/agents/{staff['agent']}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    agent = client.get("/admin/agents").text
    assert 'value="en, de"' in agent or 'value="de, en"' in agent
    assert "billing=4" in agent
    bad = client.post(f"/admin/agents/{staff['agent']}", data={**form, "capacity_email": "-2"})
    assert bad.status_code == 422 and "capacity" in bad.text
    bad_skills = client.post(f"/admin/agents/{staff['agent']}", data={**form, "skills": "billing"})
    assert bad_skills.status_code == 422 and "name=level" in bad_skills.text
    grouped = client.post(
        f"/admin/groups/{staff['group']}/auto-assign",
        data={"auto_assign": "least-loaded", "csrf_token": token},
        follow_redirects=False,
    )
    assert grouped.status_code == 303
    assert 'value="least-loaded" selected' in client.get("/admin/agents").text


def test_retraining_from_the_team_page_explains_when_there_is_too_little(
    client: TestClient, staff: dict[str, int]
) -> None:
    sign_in(client, "root@help.example.com")
    page = client.get("/admin/agents")
    assert "No category model yet" in page.text
    resp = client.post("/admin/triage/retrain", data={"csrf_token": csrf(page.text)})
    assert resp.status_code == 422 and "at least 20 solved tickets" in resp.text


def test_an_agent_escalates_from_the_ticket_page_with_a_handoff_note(
    client: TestClient, db: Database, clock: FrozenClock, staff: dict[str, int]
) -> None:
    upper = make_group(db, clock.now(), name="Specialists", tier=Tier.L2, members=[staff["admin"]])
    sign_in(client, "agent@help.example.com")
    page = client.get("/portal/new")
    created = client.post(
        "/portal/new",
        data={
            "subject": "Export fails",
            "description": "CSV export times out",
            "csrf_token": csrf(page.text),
        },
        follow_redirects=False,
    )
    ticket_id = int(created.headers["location"].rstrip("/").split("/")[-1])
    ticket_page = client.get(f"/agent/tickets/{ticket_id}")
    token = csrf(ticket_page.text)
    note = {
        "summary": "Export of 2M rows times out",
        "steps_tried": "Smaller ranges work",
        "customer_impact": "Monthly report blocked",
        "hypothesis": "Query without index",
    }
    missing = client.post(
        f"/agent/tickets/{ticket_id}/handoff", data={"csrf_token": token, **note, "hypothesis": ""}
    )
    assert (
        missing.status_code == 422 and 'id="h-hypothesis"' in missing.text and "aria-invalid" in missing.text
    )
    done = client.post(
        f"/agent/tickets/{ticket_id}/handoff",
        data={"csrf_token": token, "direction": "up", "to_group_id": str(upper), **note},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = client.get(f"/agent/tickets/{ticket_id}").text
    assert "Query without index" in after and "Escalated to Specialists" in after
