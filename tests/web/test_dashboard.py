"""The ops dashboard: leads and admins read the ops report of a period in the app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Role
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import make_person
from tests.web.test_pages import PASSWORD, sign_in


@pytest.fixture
def people(db: Database, clock: FrozenClock) -> dict[str, str]:
    lead = make_person(db, clock.now(), email="lead@help.example.com", role=Role.lead, password=PASSWORD)
    agent = make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent, password=PASSWORD)
    customer = make_person(
        db, clock.now(), email="kim@shop.example.com", role=Role.customer, password=PASSWORD
    )
    return {"lead": lead.email, "agent": agent.email, "customer": customer.email}


def test_a_lead_reads_the_report_of_a_period(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["lead"])
    page = client.get("/dashboard", params={"start": "2026-02-01", "end": "2026-04-01"})
    assert page.status_code == 200
    assert 'href="/dashboard"' in page.text and "<iframe" in page.text
    frame = re.search(r'<iframe[^>]*src="([^"]+)"', page.text)
    assert frame is not None
    report = client.get(frame.group(1).replace("&amp;", "&"))
    assert report.status_code == 200
    assert "Support operations report" in report.text
    assert "2026-02-01 00:00 UTC to 2026-04-01 00:00 UTC" in report.text


def test_the_dashboard_is_for_leads_and_names_bad_dates(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["customer"])
    assert client.get("/dashboard/report").status_code == 403
    client.cookies.clear()
    sign_in(client, people["agent"])
    assert client.get("/dashboard").status_code == 403
    assert client.get("/dashboard/report").status_code == 403
    client.cookies.clear()
    sign_in(client, people["lead"])
    bad = client.get("/dashboard", params={"start": "2026-04-01", "end": "2026-02-01"})
    assert bad.status_code == 422 and "The first day must come before the end day." in bad.text
    assert "<iframe" not in bad.text
    garbled = client.get("/dashboard/report", params={"start": "April", "end": "2026-02-01"})
    assert garbled.status_code == 422 and "YYYY-MM-DD" in garbled.text
    default = client.get("/dashboard")
    assert default.status_code == 200 and "<iframe" in default.text


def test_the_capacity_planner_answers_the_seeds_example_and_names_bad_fields(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["lead"])
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "<strong>28</strong> (27.8 before rounding up)" in page.text  # 500 x 20 min / (8 h x 60 x 0.75)
    live = client.get(
        "/dashboard", params={"volume": "100", "hours": "8", "handle_minutes": "6", "shrinkage": "0"}
    )
    agents = re.search(r"Agents on duty \(Erlang C\)</dt><dd><strong>(\d+)</strong>", live.text)
    assert agents is not None and int(agents.group(1)) >= 2
    bad = client.get("/dashboard", params={"volume": "many", "utilization": "1.5"})
    assert bad.status_code == 422
    assert 'id="plan-volume-error"' in bad.text and "Enter a number." in bad.text
    worse = client.get("/dashboard", params={"utilization": "1.5"})
    assert worse.status_code == 422 and 'aria-describedby="plan-utilization-error"' in worse.text
