"""SLA in the web UI: admin pages for calendars and policies, clocks on the ticket page, SLA queues,
and the inbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from supportops.auth.enums import Role
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from supportops.sla.models import SlaCalendar, SlaPolicy
from tests.factories import make_group, make_person
from tests.web.test_pages import PASSWORD, csrf, sign_in

OFFICE = {"timezone": "UTC", "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]}}


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, int]:
    admin = make_person(db, clock.now(), email="root@help.example.com", role=Role.admin, password=PASSWORD)
    agent = make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent, password=PASSWORD)
    from supportops.auth.enums import Tier

    make_group(db, clock.now(), name="L1", tier=Tier.L1, members=[agent.id])
    return {"admin": admin.id, "agent": agent.id}


def _count(db: Database, model: type[SlaCalendar] | type[SlaPolicy]) -> int:
    with db.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_admins_manage_calendars_and_policies_through_forms(
    client: TestClient, db: Database, staff: dict[str, int]
) -> None:
    sign_in(client, "root@help.example.com")
    overview = client.get("/admin/sla")
    assert overview.status_code == 200 and "built-in policy applies" in overview.text
    form = client.get("/admin/sla/calendars/new")
    token = csrf(form.text)
    bad_json = client.post(
        "/admin/sla/calendars/new", data={"name": "Office", "definition": "{oops", "csrf_token": token}
    )
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.text
    overlap = {"timezone": "UTC", "week": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}
    bad_hours = client.post(
        "/admin/sla/calendars/new",
        data={"name": "Office", "definition": json.dumps(overlap), "csrf_token": token},
    )
    assert bad_hours.status_code == 422 and "week" in bad_hours.text and "overlap" in bad_hours.text.lower()
    assert _count(db, SlaCalendar) == 0
    saved = client.post(
        "/admin/sla/calendars/new",
        data={"name": "Office", "definition": json.dumps(OFFICE), "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    new_policy = client.get("/admin/sla/policies/new")
    rules = new_policy.text.split('class="code"')[1].split(">", 1)[1].split("</textarea>")[0]
    rules = rules.replace("&#34;", '"').replace("&quot;", '"')
    assert json.loads(rules)["targets"]["P1"]["first_response"]["minutes"] == 15
    with db.unit_of_work(write=False) as session:
        calendar_id = session.scalar(select(SlaCalendar.id))
    fields = {
        "name": "Office hours",
        "position": "5",
        "active": "1",
        "calendar_id": str(calendar_id),
        "csrf_token": token,
    }
    zero = json.loads(rules)
    zero["targets"]["P1"]["first_response"]["minutes"] = 0
    refused = client.post("/admin/sla/policies/new", data={**fields, "rules": json.dumps(zero)})
    assert refused.status_code == 422 and "targets.P1.first_response.minutes" in refused.text
    assert _count(db, SlaPolicy) == 0
    created = client.post("/admin/sla/policies/new", data={**fields, "rules": rules}, follow_redirects=False)
    assert created.status_code == 303, created.text
    listed = client.get("/admin/sla")
    assert "Office hours" in listed.text and "Office" in listed.text


def test_agents_cannot_open_the_sla_admin(client: TestClient, staff: dict[str, int]) -> None:
    sign_in(client, "agent@help.example.com")
    assert client.get("/admin/sla").status_code == 403


def test_the_ticket_page_queues_and_inbox_show_sla(
    client: TestClient, db: Database, clock: FrozenClock, staff: dict[str, int]
) -> None:
    sign_in(client, "agent@help.example.com")
    page = client.get("/portal/new")
    created = client.post(
        "/portal/new",
        data={"subject": "Site down", "description": "Everything is red", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    ticket_id = int(created.headers["location"].rstrip("/").split("/")[-1])
    ticket_page = client.get(f"/agent/tickets/{ticket_id}")
    assert "first response" in ticket_page.text and "active" in ticket_page.text
    token = csrf(ticket_page.text)
    updated = client.post(
        f"/agent/tickets/{ticket_id}/update",
        data={
            "priority": "P1",
            "status": "new",
            "assignee_id": str(staff["agent"]),
            "group_id": "",
            "version": "1",
            "csrf_token": token,
        },
    )
    assert updated.status_code in (200, 303), updated.text[updated.text.find('class="error"') :][:300]
    clock.advance(timedelta(minutes=12))
    jobs.run_due(db, clock=clock, worker="w")
    assert f"/agent/tickets/{ticket_id}" in client.get("/agent?queue=at_risk").text
    clock.advance(timedelta(minutes=4))
    jobs.run_due(db, clock=clock, worker="w")
    assert f"/agent/tickets/{ticket_id}" in client.get("/agent?queue=breached").text
    assert f"/agent/tickets/{ticket_id}" not in client.get("/agent?queue=at_risk").text
    inbox = client.get("/inbox")
    assert "sla breach" in inbox.text and "first response" in inbox.text
    first = inbox.text.split('action="/inbox/')[1].split("/read")[0]
    read = client.post(f"/inbox/{first}/read", data={"csrf_token": csrf(inbox.text)}, follow_redirects=False)
    assert read.status_code == 303
