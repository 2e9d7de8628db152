"""The admin pages: users, groups and API tokens (admins); triage and knowledge-base categories (leads
and admins). Each page: who may open it, its empty state, a create, an error next to its field, an edit."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient

from supportops.auth.enums import Role, Tier
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.factories import make_group, make_org, make_person
from tests.web.test_pages import PASSWORD, csrf, sign_in

ADMIN = "root@help.example.com"
LEAD = "lead@help.example.com"
AGENT = "agent@help.example.com"
CUSTOMER = "pat@initech.example.com"

ADMIN_PAGES = ["/admin/users", "/admin/groups", "/admin/tokens"]
MANAGER_PAGES = ["/admin/triage", "/admin/kb/categories"]


@pytest.fixture
def people(db: Database, clock: FrozenClock) -> dict[str, int]:
    org = make_org(db, clock.now(), name="Initech", domain="initech.example.com")
    ids = {"org": org}
    for email, role in ((ADMIN, Role.admin), (LEAD, Role.lead), (AGENT, Role.agent)):
        ids[role.value] = make_person(db, clock.now(), email=email, role=role, password=PASSWORD).id
    ids["customer"] = make_person(
        db, clock.now(), email=CUSTOMER, role=Role.customer, organization_id=org, password=PASSWORD
    ).id
    return ids


def _invalid(page: str, field: str, message: str) -> None:
    """The message is next to the field, and the field points at it."""
    assert f'<p class="error" id="{field}-error">' in page, f"no error for {field}"
    shown = html.unescape(page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0])
    assert message in shown, shown
    tag = re.search(rf'<(?:input|select|textarea)[^>]*(?:id|name)="{field}"[^>]*>', page)
    assert tag is not None, f"no {field} field"
    assert 'aria-invalid="true"' in tag.group(0) and f'aria-describedby="{field}-error' in tag.group(0)


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES + MANAGER_PAGES)
def test_signed_out_visitors_go_to_the_login_page(client: TestClient, path: str) -> None:
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/login?next={path}"
    form = "/admin/triage/rules/new" if path == "/admin/triage" else path
    posted = client.post(form, data={"name": "x"}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login")


def test_only_admins_open_users_groups_and_tokens(client: TestClient, people: dict[str, int]) -> None:
    for email in (LEAD, AGENT, CUSTOMER):
        sign_in(client, email)
        for path in ADMIN_PAGES:
            refused = client.get(path)
            assert refused.status_code == 403 and "Only admins" in refused.text, (email, path)
        token = csrf(client.get("/inbox").text)
        made = client.post("/admin/groups", data={"name": "Sneaky", "tier": "L1", "csrf_token": token})
        assert made.status_code == 403
        client.cookies.clear()
    sign_in(client, ADMIN)
    assert "Sneaky" not in client.get("/admin/groups").text
    assert 'href="/admin"' in client.get("/admin/users").text
    index = client.get("/admin").text
    for path in ADMIN_PAGES + MANAGER_PAGES + ["/admin/sla", "/admin/agents"]:
        assert f'href="{path}"' in index


def test_leads_open_triage_and_categories_but_agents_and_customers_do_not(
    client: TestClient, people: dict[str, int]
) -> None:
    for email in (AGENT, CUSTOMER):
        sign_in(client, email)
        for path in [*MANAGER_PAGES, "/admin"]:
            refused = client.get(path)
            assert refused.status_code == 403 and "Only leads and admins" in refused.text, (email, path)
        client.cookies.clear()
    sign_in(client, LEAD)
    nav = client.get("/admin/triage")
    assert nav.status_code == 200 and "Only admins change rules" in nav.text
    assert (
        'href="/admin/triage/rules/new"' not in nav.text and 'action="/admin/triage/models"' not in nav.text
    )
    index = client.get("/admin").text
    assert all(f'href="{path}"' in index for path in [*MANAGER_PAGES, "/admin/agents"])
    assert all(f'href="{path}"' not in index for path in [*ADMIN_PAGES, "/admin/sla"])
    assert client.get("/admin/kb/categories").status_code == 200
    assert client.get("/admin/triage/rules/new").status_code == 403


# --- users ------------------------------------------------------------------------------------


def test_admins_create_and_edit_users(
    client: TestClient, db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    group = make_group(db, clock.now(), name="Front line", tier=Tier.L1)
    sign_in(client, ADMIN)
    page = client.get("/admin/users")
    assert page.status_code == 200 and "<title>Users · supportops</title>" in page.text
    assert "pat@initech.example.com" in page.text and "Initech" in page.text
    beyond = client.get(f"/admin/users?after={people['customer']}")
    assert "No users on this page" in beyond.text
    token = csrf(page.text)
    form = {
        "email": "not-an-email",
        "name": "Dana",
        "role": "agent",
        "organization_id": "",
        "group_ids": [str(group)],
        "password": "",
        "csrf_token": token,
    }
    bad = client.post("/admin/users", data=form)
    assert bad.status_code == 422
    _invalid(bad.text, "email", "not a valid email address")
    assert 'value="not-an-email"' in bad.text and f'value="{group}" checked' in bad.text
    taken = client.post("/admin/users", data=form | {"email": AGENT})
    assert taken.status_code == 409
    _invalid(taken.text, "email", f"A user with email {AGENT} already exists.")
    short = client.post("/admin/users", data=form | {"email": "dana@help.example.com", "password": "short"})
    _invalid(short.text, "password", "at least 8 characters")
    customer_in_group = client.post(
        "/admin/users", data=form | {"email": "x@initech.example.com", "role": "customer"}
    )
    _invalid(customer_in_group.text, "group_ids", "Only agents, leads and admins can belong to groups.")
    created = client.post(
        "/admin/users",
        data=form | {"email": "Dana@Help.example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert created.status_code == 303
    listed = client.get(created.headers["location"]).text
    assert "The user was created." in listed and "dana@help.example.com" in listed
    row = listed.split("dana@help.example.com", 1)[1].split("</tr>", 1)[0]
    assert "agent" in row and "Front line" in row and "yes" in row
    dana = int(re.search(r'href="/admin/users/(\d+)">Dana<', listed).group(1))  # type: ignore[union-attr]

    edit = client.get(f"/admin/users/{dana}")
    assert edit.status_code == 200 and 'name="is_active" value="1" checked' in edit.text
    saved = client.post(
        f"/admin/users/{dana}",
        data={"name": "Dana", "role": "lead", "organization_id": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = client.get("/admin/users").text.split("dana@help.example.com", 1)[1].split("</tr>", 1)[0]
    assert "lead" in row and "Front line" not in row and "<td>no</td>" in row
    client.cookies.clear()
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={"email": "dana@help.example.com", "password": PASSWORD, "csrf_token": csrf(page.text)},
    )
    assert refused.status_code == 401  # deactivated

    sign_in(client, ADMIN)
    token = csrf(client.get(f"/admin/users/{people['admin']}").text)
    myself = client.post(
        f"/admin/users/{people['admin']}",
        data={"name": "Root", "role": "agent", "is_active": "1", "csrf_token": token},
    )
    assert myself.status_code == 422
    _invalid(myself.text, "role", "You cannot remove your own admin role")
    assert client.get("/admin/users/999999").status_code == 404


# --- groups -----------------------------------------------------------------------------------


def test_admins_create_and_edit_groups(client: TestClient, people: dict[str, int]) -> None:
    sign_in(client, ADMIN)
    page = client.get("/admin/groups")
    assert page.status_code == 200 and "No groups yet" in page.text
    token = csrf(page.text)
    blank = client.post("/admin/groups", data={"name": "  ", "tier": "L2", "csrf_token": token})
    assert blank.status_code == 422
    _invalid(blank.text, "name", "at least 1 character")
    assert '<option value="L2" selected>' in blank.text
    tier = client.post("/admin/groups", data={"name": "Core", "tier": "L9", "csrf_token": token})
    _invalid(tier.text, "tier", "'L0', 'L1', 'L2' or 'L3'")
    created = client.post(
        "/admin/groups",
        data={"name": "Specialists", "tier": "L2", "description": "Hard cases", "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303
    listed = client.get(created.headers["location"]).text
    assert "The group was created." in listed and "Specialists" in listed and "Hard cases" in listed
    group = int(re.search(r'href="/admin/groups/(\d+)">Specialists<', listed).group(1))  # type: ignore[union-attr]
    again = client.post("/admin/groups", data={"name": "Specialists", "tier": "L1", "csrf_token": token})
    assert again.status_code == 409
    _invalid(again.text, "name", "A group named 'Specialists' already exists.")

    edit = client.get(f"/admin/groups/{group}")
    assert edit.status_code == 200 and f'name="member_ids" value="{people["agent"]}"' in edit.text
    assert f'value="{people["customer"]}"' not in edit.text  # customers cannot join
    saved = client.post(
        f"/admin/groups/{group}",
        data={
            "name": "Engineering",
            "tier": "L3",
            "description": "Bugs",
            "member_ids": [str(people["agent"])],
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = client.get("/admin/groups").text.split(">Engineering<", 1)[1].split("</tr>", 1)[0]
    assert "L3" in row and "Agent" in row and "Bugs" in row
    bad = client.post(f"/admin/groups/{group}", data={"name": "", "tier": "L3", "csrf_token": token})
    assert bad.status_code == 422
    _invalid(bad.text, "name", "at least 1 character")


# --- API tokens -------------------------------------------------------------------------------


def test_admins_create_tokens_see_the_secret_once_and_revoke(
    client: TestClient, people: dict[str, int]
) -> None:
    sign_in(client, ADMIN)
    page = client.get("/admin/tokens")
    assert page.status_code == 200 and "<title>API tokens · supportops</title>" in page.text
    assert page.text.count("/revoke") == 4  # the factories' token of each person
    token = csrf(page.text)
    quinn = client.post(
        "/admin/users",
        data={"email": "quinn@help.example.com", "name": "Quinn", "role": "agent", "csrf_token": token},
    )
    assert quinn.status_code == 200  # followed the redirect to the list
    quinn_id = re.search(r'href="/admin/users/(\d+)">Quinn<', quinn.text).group(1)  # type: ignore[union-attr]
    empty = client.get(f"/admin/tokens?user_id={quinn_id}")
    assert "No API tokens for this user yet" in empty.text and "Showing the tokens of Quinn" in empty.text
    form = {"user_id": str(people["customer"]), "name": "CRM sync", "csrf_token": token}
    past = client.post("/admin/tokens", data=form | {"expires_at": "2020-01-01"})
    assert past.status_code == 422
    _invalid(past.text, "expires_at", "expires_at must be in the future.")
    garbled = client.post("/admin/tokens", data=form | {"expires_at": "soon"})
    _invalid(garbled.text, "expires_at", "YYYY-MM-DD")
    too_much = client.post("/admin/tokens", data=form | {"scopes": ["tickets:read", "admin"]})
    assert too_much.status_code == 422
    _invalid(too_much.text, "scopes", "A customer cannot hold these scopes: admin.")
    nobody = client.post("/admin/tokens", data=form | {"user_id": ""})
    _invalid(nobody.text, "user_id", "Choose the user")
    assert "Copy it now" not in too_much.text

    created = client.post(
        "/admin/tokens", data=form | {"scopes": ["tickets:read"], "expires_at": "2027-01-01"}
    )
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    assert "Copy it now: this is the only time the secret is shown." in created.text
    secret = re.search(r'id="secret" class="code" readonly value="([^"]+)"', created.text).group(1)  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/users/me", headers=headers).json()["id"] == people["customer"]
    listed = client.get(f"/admin/tokens?user_id={people['customer']}").text
    assert secret not in listed and "Copy it now" not in listed
    row = listed.split(">CRM sync<", 1)[1].split("</tr>", 1)[0]
    assert "tickets:read" in row and "2027-01-01" in row and "active" in row and "Pat" in listed
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', row).group(1)  # type: ignore[union-attr]
    revoked = client.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    after = client.get(revoked.headers["location"]).text
    assert "The token was revoked" in after
    assert "revoked 2026-03-02" in after.split(">CRM sync<", 1)[1].split("</tr>", 1)[0]
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


# --- triage -----------------------------------------------------------------------------------


def test_admins_write_triage_rules_and_see_models(
    client: TestClient, db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    group = make_group(db, clock.now(), name="Billing desk", tier=Tier.L1)
    sign_in(client, ADMIN)
    page = client.get("/admin/triage")
    assert page.status_code == 200 and "<title>Triage · supportops</title>" in page.text
    assert "No triage rules yet" in page.text and "No trained model yet" in page.text
    token = csrf(page.text)
    retrain = client.post("/admin/triage/models", data={"field": "priority", "csrf_token": token})
    assert retrain.status_code == 422
    _invalid(retrain.text, "field", "at least 20 solved tickets with a priority")

    new = client.get("/admin/triage/rules/new")
    assert new.status_code == 200 and 'name="position"' in new.text and 'value="10"' in new.text
    conditions = {"all": [{"field": "channel", "operator": "is", "value": "email"}], "any": []}
    form = {
        "name": "Invoices to billing",
        "position": "10",
        "active": "1",
        "conditions": json.dumps(conditions),
        "category": "billing",
        "priority": "P2",
        "group_id": str(group),
        "csrf_token": token,
    }
    broken = client.post("/admin/triage/rules/new", data=form | {"conditions": "{oops"})
    assert broken.status_code == 422
    _invalid(broken.text, "conditions", "The conditions are not valid JSON")
    assert "{oops" in broken.text and 'value="Invoices to billing"' in broken.text
    wrong = {"all": [{"field": "channel", "operator": "in", "value": "email"}]}
    invalid = client.post("/admin/triage/rules/new", data=form | {"conditions": json.dumps(wrong)})
    _invalid(invalid.text, "conditions", "all.0: Value error, operator 'in' needs a list of values")
    priority = client.post("/admin/triage/rules/new", data=form | {"priority": "P9"})
    _invalid(priority.text, "priority", "Priority P9 is not in the p1-p5 scheme.")
    skills = client.post("/admin/triage/rules/new", data=form | {"required_skills": "billing"})
    _invalid(skills.text, "required_skills", "name=level")
    created = client.post("/admin/triage/rules/new", data=form, follow_redirects=False)
    assert created.status_code == 303
    listed = client.get("/admin/triage").text
    row = listed.split(">Invoices to billing<", 1)[1].split("</tr>", 1)[0]
    assert "channel is email" in row and "category billing" in row and "group Billing desk" in row
    rule = int(re.search(r'href="/admin/triage/rules/(\d+)"', listed).group(1))  # type: ignore[union-attr]
    clash = client.post("/admin/triage/rules/new", data=form | {"name": "Second"})
    assert clash.status_code == 409
    _invalid(clash.text, "position", "Another triage rule has this position (10).")

    edit = client.get(f"/admin/triage/rules/{rule}")
    assert (
        edit.status_code == 200 and '"channel"' in html.unescape(edit.text) and 'value="billing"' in edit.text
    )
    saved = client.post(
        f"/admin/triage/rules/{rule}",
        data=form | {"name": "Invoices, paused", "active": "", "conditions": "", "severity": "SEV3"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = client.get("/admin/triage").text.split(">Invoices, paused<", 1)[1].split("</tr>", 1)[0]
    assert "<td>no</td>" in row and "every ticket" in row and "severity SEV3" in row
    assert client.get("/admin/triage/rules/999999").status_code == 404

    client.cookies.clear()
    sign_in(client, LEAD)
    lead_page = client.get("/admin/triage")
    assert "Invoices, paused" in lead_page.text and f'href="/admin/triage/rules/{rule}"' not in lead_page.text
    refused = client.post(f"/admin/triage/rules/{rule}", data=form | {"csrf_token": csrf(lead_page.text)})
    assert refused.status_code == 403


# --- knowledge-base categories ------------------------------------------------------------------


def test_leads_manage_knowledge_base_categories(client: TestClient, people: dict[str, int]) -> None:
    sign_in(client, LEAD)
    page = client.get("/admin/kb/categories")
    assert page.status_code == 200 and "No categories yet" in page.text
    token = csrf(page.text)
    blank = client.post(
        "/admin/kb/categories",
        data={"name": "", "description": "Money", "position": "1", "csrf_token": token},
    )
    assert blank.status_code == 422
    _invalid(blank.text, "name", "at least 1 character")
    assert 'value="Money"' in blank.text
    position = client.post(
        "/admin/kb/categories", data={"name": "Billing", "position": "lots", "csrf_token": token}
    )
    _invalid(position.text, "position", "valid integer")
    for name, where in (("Billing", "2"), ("Accounts", "1")):
        made = client.post(
            "/admin/kb/categories",
            data={
                "name": name,
                "description": f"All about {name.lower()}",
                "position": where,
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert made.status_code == 303
    listed = client.get(made.headers["location"]).text
    assert "The category was created." in listed
    assert listed.index(">Accounts<") < listed.index(">Billing<")  # by position
    billing = int(re.search(r'href="/admin/kb/categories/(\d+)">Billing<', listed).group(1))  # type: ignore[union-attr]
    accounts = int(re.search(r'href="/admin/kb/categories/(\d+)">Accounts<', listed).group(1))  # type: ignore[union-attr]
    taken = client.post(
        "/admin/kb/categories", data={"name": "billing", "position": "3", "csrf_token": token}
    )
    assert taken.status_code == 409
    _invalid(taken.text, "name", "exists already")

    edit = client.get(f"/admin/kb/categories/{billing}")
    assert edit.status_code == 200 and 'value="All about billing"' in edit.text
    renamed = client.post(
        f"/admin/kb/categories/{billing}",
        data={
            "name": "Payments",
            "description": "Invoices and refunds",
            "position": "0",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    clash = client.post(
        f"/admin/kb/categories/{billing}",
        data={"name": "Accounts", "description": "", "position": "0", "csrf_token": token},
    )
    assert clash.status_code == 409
    _invalid(clash.text, "name", "A category named 'Accounts' exists already.")

    article = client.post(
        "/agent/kb/save",
        data={
            "title": "Refunds",
            "body": "Five days.",
            "category": "Payments",
            "visibility": "public",
            "status": "published",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert article.status_code == 303
    listed = client.get("/admin/kb/categories").text
    assert listed.index(">Payments<") < listed.index(">Accounts<")
    row = listed.split(">Payments<", 1)[1].split("</tr>", 1)[0]
    assert "Invoices and refunds" in row and "<td>1</td>" in row
    refused = client.post(f"/admin/kb/categories/{billing}/delete", data={"csrf_token": token})
    assert refused.status_code == 409
    assert f'id="delete-{billing}-error"' in refused.text
    assert "Category &#39;Payments&#39; still holds 1 article(s); move or archive them first." in refused.text
    deleted = client.post(
        f"/admin/kb/categories/{accounts}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    after = client.get(deleted.headers["location"]).text
    assert "The category was deleted." in after and ">Accounts<" not in after and ">Payments<" in after
