"""Macro pages and the customer beside the ticket: the macro manager at /admin/macros (personal macros
for every agent, shared ones for leads and admins, errors next to their fields), inserting a macro
into the reply box without JavaScript, and the customer panel that staff see and customers never do."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Role
from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.surveys.models import CsatSurvey
from supportops.tickets import service as tickets
from supportops.tickets.schemas import TicketCreate
from tests.factories import make_org, make_person
from tests.web.test_admin_pages import _invalid
from tests.web.test_pages import PASSWORD, csrf, sign_in

LEAD = "lead@help.example.com"
AGENT = "agent@help.example.com"
CUSTOMER = "pat.jones@initech.example.com"


@pytest.fixture
def people(db: Database, clock: FrozenClock) -> dict[str, int]:
    org = make_org(db, clock.now(), name="Initech", domain="initech.example.com")
    ids = {"org": org}
    for email, role in ((LEAD, Role.lead), (AGENT, Role.agent)):
        ids[role.value] = make_person(db, clock.now(), email=email, role=role, password=PASSWORD).id
    ids["customer"] = make_person(
        db, clock.now(), email=CUSTOMER, role=Role.customer, organization_id=org, password=PASSWORD
    ).id
    return ids


def _ticket(db: Database, clock: FrozenClock, requester_id: int, subject: str) -> int:
    with db.unit_of_work() as session:
        return tickets.create_ticket(
            session,
            actor=SYSTEM,
            data=TicketCreate(subject=subject, description="Details.", requester_id=requester_id),
            now=clock.now(),
        ).id


def _form(**fields: str) -> dict[str, str]:
    base = {
        "title": "Greeting",
        "body": "Hi {{requester.first_name}}",
        "visibility": "personal",
        "position": "0",
        "status": "",
        "priority": "",
        "add_tags": "",
    }
    return {**base, **fields}


def _textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea id="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert found is not None, f"no {name} textarea"
    return html.unescape(found.group(1))


# --- the macro manager ------------------------------------------------------------------------


def test_signed_out_visitors_and_customers_cannot_open_the_macro_manager(
    client: TestClient, people: dict[str, int]
) -> None:
    page = client.get("/admin/macros", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/admin/macros"
    sign_in(client, CUSTOMER)
    refused = client.get("/admin/macros")
    assert refused.status_code == 403 and "Only agents, leads and admins" in refused.text
    made = client.post("/admin/macros", data={**_form(), "csrf_token": csrf(client.get("/inbox").text)})
    assert made.status_code == 403


def test_agents_keep_personal_macros_with_errors_next_to_the_fields(
    client: TestClient, people: dict[str, int]
) -> None:
    sign_in(client, AGENT)
    page = client.get("/admin/macros")
    assert page.status_code == 200 and "<title>Macros · supportops</title>" in page.text
    assert "No macros yet" in page.text and 'value="shared"' not in page.text
    token = csrf(page.text)
    for fields, field, message in (
        ({"body": "Hi {{ requester.nickname }}"}, "body", "Unknown placeholder {{requester.nickname}}"),
        ({"title": "  "}, "title", "at least 1 character"),
        ({"add_tags": "ok, not/valid"}, "add_tags", "should match pattern"),
        ({"priority": "P9"}, "priority", "should match pattern"),
        ({"position": "first"}, "position", "valid integer"),
        ({"visibility": "shared"}, "visibility", "Only leads and admins"),
    ):
        refused = client.post("/admin/macros", data={**_form(**fields), "csrf_token": token})
        assert refused.status_code in (403, 422), (fields, refused.status_code)
        _invalid(refused.text, field, message)
        assert "No macros yet" in refused.text, fields
    kept = client.post(
        "/admin/macros", data={**_form(body="Hi {{ requester.nickname }}"), "csrf_token": token}
    )
    assert _textarea(kept.text, "body") == "Hi {{ requester.nickname }}"  # what was typed stays
    expired = client.post("/admin/macros", data={**_form(), "csrf_token": "forged"})
    assert expired.status_code == 422 and "form expired" in expired.text

    created = client.post(
        "/admin/macros",
        data={**_form(status="pending", priority="P2", add_tags="billing, vip"), "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/admin/macros?created=1"
    listed = client.get("/admin/macros?created=1").text
    assert "The macro was created." in listed and "Greeting" in listed
    assert "status pending; priority P2; tags billing, vip" in listed
    macro_id = int(re.search(r'href="/admin/macros/(\d+)"', listed).group(1))  # type: ignore[union-attr]

    edit = client.get(f"/admin/macros/{macro_id}")
    assert edit.status_code == 200 and _textarea(edit.text, "body") == "Hi {{requester.first_name}}"
    assert 'value="billing vip"' in edit.text
    duplicate = client.post("/admin/macros", data={**_form(), "csrf_token": token})
    assert duplicate.status_code == 409
    _invalid(duplicate.text, "title", "already titled 'Greeting'")
    bad = client.post(
        f"/admin/macros/{macro_id}", data={**_form(body="{{agent.surname}}"), "csrf_token": token}
    )
    assert bad.status_code == 422
    _invalid(bad.text, "body", "{{agent.surname}}")
    saved = client.post(
        f"/admin/macros/{macro_id}",
        data={**_form(title="Hello there", body="Hello {{requester.name}}"), "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/macros?saved=1"
    assert "Hello there" in client.get("/admin/macros").text
    deleted = client.post(
        f"/admin/macros/{macro_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert "No macros yet" in client.get("/admin/macros?deleted=1").text
    assert client.get(f"/admin/macros/{macro_id}").status_code == 404


def test_leads_keep_shared_macros_that_agents_use_but_cannot_change(
    client: TestClient, people: dict[str, int]
) -> None:
    sign_in(client, LEAD)
    assert 'href="/admin/macros"' in client.get("/admin").text
    page = client.get("/admin/macros")
    assert 'value="shared"' in page.text
    made = client.post(
        "/admin/macros",
        data={**_form(title="Refund issued", visibility="shared"), "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert made.status_code == 303
    client.cookies.clear()

    sign_in(client, AGENT)
    listed = client.get("/admin/macros").text
    assert "Refund issued" in listed and "Shared" in listed
    assert 'action="/admin/macros/' not in listed  # no delete button on a shared macro
    macro_id = int(re.search(r'href="/admin/macros/(\d+)"', listed).group(1))  # type: ignore[union-attr]
    view = client.get(f"/admin/macros/{macro_id}").text
    assert "Only leads and admins change shared macros" in view and 'name="title"' not in view
    token = csrf(listed)
    refused = client.post(f"/admin/macros/{macro_id}/delete", data={"csrf_token": token})
    assert refused.status_code == 403 and "Only leads and admins" in refused.text
    changed = client.post(
        f"/admin/macros/{macro_id}", data={**_form(title="Mine", visibility="shared"), "csrf_token": token}
    )
    assert changed.status_code == 403 and "Only leads and admins can create or change" in changed.text
    assert "Refund issued" in client.get("/admin/macros").text


# --- on the ticket page -----------------------------------------------------------------------


def test_insert_without_javascript_fills_the_reply_box(
    client: TestClient, people: dict[str, int], db: Database, clock: FrozenClock
) -> None:
    ticket_id = _ticket(db, clock, people["customer"], "Printer <jammed>")
    sign_in(client, AGENT)
    empty = client.get(f"/agent/tickets/{ticket_id}").text
    assert "Write a macro" in empty and _textarea(empty, "body") == ""
    token = csrf(empty)
    client.post(
        "/admin/macros",
        data={
            **_form(
                title="Need more information",
                body="Hi {{requester.first_name}}, about #{{ticket.id}} ({{ticket.subject}}) "
                "at {{organization.name}}",
                status="pending",
            ),
            "csrf_token": token,
        },
    )
    page = client.get(f"/agent/tickets/{ticket_id}").text
    found = re.search(r'<option value="(\d+)">Need more information \(mine\)</option>', page)
    assert found is not None and 'id="macro-form"' in page
    macro_id = found.group(1)

    none = client.post(f"/agent/tickets/{ticket_id}/macro", data={"macro_id": "", "csrf_token": token})
    assert none.status_code == 422 and 'id="macro-error"' in none.text and "Choose a macro" in none.text
    inserted = client.post(
        f"/agent/tickets/{ticket_id}/macro",
        data={"macro_id": macro_id, "action": "insert", "csrf_token": token},
    )
    assert inserted.status_code == 200
    assert (
        _textarea(inserted.text, "body") == f"Hi Pat.Jones, about #{ticket_id} (Printer <jammed>) at Initech"
    )
    assert "Printer &lt;jammed&gt;" in inserted.text  # escaped, never markup
    assert re.search(r'<option value="pending" selected>', inserted.text)
    assert (
        'id="reply-form"' in inserted.text
        and 'id="kb-help"' in inserted.text
        and "<h2>SLA</h2>" in inserted.text
    )
    assert client.get(f"/api/v1/tickets/{ticket_id}/messages").json()["items"] == []  # nothing sent yet

    applied = client.post(
        f"/agent/tickets/{ticket_id}/macro",
        data={"macro_id": macro_id, "action": "apply", "csrf_token": token},
        follow_redirects=False,
    )
    assert applied.status_code == 303 and applied.headers["location"] == f"/agent/tickets/{ticket_id}"
    after = client.get(f"/agent/tickets/{ticket_id}").text
    assert "Hi Pat.Jones, about #" in after and "status-pending" in after


def test_the_customer_panel_shows_past_tickets_and_satisfaction_to_staff_only(
    client: TestClient, people: dict[str, int], db: Database, clock: FrozenClock
) -> None:
    customer = people["customer"]
    past = []
    for n in range(12):
        past.append(_ticket(db, clock, customer, f"Past issue {n:02d}"))
        clock.advance(timedelta(hours=1))
    current = _ticket(db, clock, customer, "Printer on fire")
    with db.unit_of_work() as session:
        for ticket_id, score, comment, days in (
            (past[0], 2, "Took far too long to hear back from anyone at all. " * 6, 3),
            (past[1], 5, "Lovely, quick help", 1),
            (past[2], 4, "", 2),
        ):
            answered = clock.now() - timedelta(days=days)
            session.add(
                CsatSurvey(
                    ticket_id=ticket_id,
                    requester_id=customer,
                    resolved_at=answered,
                    sent_at=answered,
                    answered_at=answered,
                    score=score,
                    comment=comment,
                    source="survey",
                )
            )
        session.add(
            CsatSurvey(
                ticket_id=past[3],
                requester_id=customer,
                resolved_at=clock.now(),
                sent_at=clock.now(),
                comment="",
                source="survey",
            )
        )  # sent, not answered: not part of the history

    sign_in(client, AGENT)
    page = client.get(f"/agent/tickets/{current}").text
    panel = page.split('id="customer-h"', 1)[1].split("</section>", 1)[0]
    assert "Pat.Jones" in panel and CUSTOMER in panel
    assert "Initech" in panel and "Does not share tickets among its members" in panel
    shown = re.findall(r'<a href="/agent/tickets/(\d+)">#\d+</a> Past issue', panel)
    assert [int(i) for i in shown] == past[::-1][:10]  # the latest ten, newest first
    assert "Past issue 00" not in panel and "Past issue 01" not in panel
    assert f'href="/agent/tickets/{current}">#{current}</a> Printer' not in panel
    assert "Average <strong>3.7</strong> / 5 over 3 answered surveys" in panel
    scores = re.findall(r"<strong>(\d)/5</strong>", panel)
    assert scores == ["5", "4", "2"]  # newest answer first
    assert "Lovely, quick help" in panel and "Took far too long" in panel
    assert "Took far too long to hear back from anyone at all. " * 4 not in panel  # an excerpt
    client.cookies.clear()

    sign_in(client, CUSTOMER)
    portal = client.get(f"/portal/tickets/{current}").text
    assert "Printer on fire" in portal
    for private in ('id="customer-h"', "Lovely, quick help", "Average", "answered survey", "Past issue 05"):
        assert private not in portal, private
    assert client.get(f"/agent/tickets/{current}", follow_redirects=False).status_code == 303


def test_the_customer_panel_has_empty_states(
    client: TestClient, people: dict[str, int], db: Database, clock: FrozenClock
) -> None:
    loner = make_person(db, clock.now(), email="solo@example.net", role=Role.customer).id
    ticket_id = _ticket(db, clock, loner, "First time here")
    sign_in(client, AGENT)
    panel = client.get(f"/agent/tickets/{ticket_id}").text.split('id="customer-h"', 1)[1]
    panel = panel.split("</section>", 1)[0]
    assert "solo@example.net" in panel
    assert "No other tickets from this customer." in panel
    assert "No satisfaction survey answered yet." in panel
    assert re.search(r"<dt>Organization</dt>\s*<dd>None</dd>", panel)
