"""SLA through the API: clocks on tickets, alarms that fire once, policies, filters, compliance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from supportops.auth.principal import SYSTEM
from supportops.config import Settings
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.kit.clock import FrozenClock
from supportops.sla import admin, service
from supportops.sla.models import SlaCalendar, SlaEvent, SlaPolicy
from supportops.sla.schemas import PolicyIn
from tests.conftest import START
from tests.factories import Team, make_team

OFFICE = {
    "timezone": "Europe/Berlin",
    "week": {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-03-04"],
}


@pytest.fixture
def team(db: Database, clock: FrozenClock) -> Team:
    return make_team(db, clock.now())


def _ticket(client: TestClient, team: Team, priority: str = "P1") -> int:
    resp = client.post(
        "/api/v1/tickets",
        json={"subject": "Checkout is down", "priority": priority, "requester_id": team.customer.id},
        headers=team.agent.headers,
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _clocks(client: TestClient, team: Team, ticket_id: int) -> dict[str, dict[str, Any]]:
    resp = client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=team.agent.headers)
    assert resp.status_code == 200, resp.text
    return {c["metric"]: c for c in resp.json() if c["cycle"] == 0}


def _always(client: TestClient, team: Team) -> dict[str, Any]:
    week = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    body = {"name": "Always", "definition": {"timezone": "UTC", "week": week}}
    resp = client.post("/api/v1/sla/calendars", json=body, headers=team.admin.headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _events(db: Database, kind: str) -> int:
    with db.unit_of_work(write=False) as session:
        return int(
            session.scalar(select(func.count()).select_from(SlaEvent).where(SlaEvent.kind == kind)) or 0
        )


def test_a_new_ticket_gets_the_built_in_seed_targets(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    ticket_id = _ticket(client, team, "P1")
    clocks = _clocks(client, team, ticket_id)
    assert set(clocks) == {"first_response", "resolution"}
    first = clocks["first_response"]
    assert first["state"] == "active" and first["policy_id"] is None
    assert first["target_minutes"] == 15
    assert first["due_at"].startswith("2026-03-02T09:15:00")
    clock.advance(timedelta(minutes=5))
    first = _clocks(client, team, ticket_id)["first_response"]
    assert first["used"] == {"business": 5, "calendar": 5}
    assert first["left"] == {"business": 10, "calendar": 10}


def test_warning_and_breach_fire_once_at_their_instant(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = _ticket(client, team, "P1")
    clock.advance(timedelta(minutes=11))  # 75 % of 15 minutes is 11.25
    jobs.run_due(db, clock=clock, worker="a")
    assert _events(db, "warn") == 0
    clock.advance(timedelta(seconds=20))
    jobs.run_due(db, clock=clock, worker="a")
    assert _events(db, "warn") == 1  # first response only: resolution (4 h) warns at 3 h
    clock.advance(timedelta(minutes=4))
    for worker in ("a", "b"):
        jobs.run_due(db, clock=clock, worker=worker)
    assert _events(db, "breach") == 1
    at_risk = client.get("/api/v1/tickets?sla=at_risk", headers=team.agent.headers).json()["items"]
    breached = client.get("/api/v1/tickets?sla=breached", headers=team.agent.headers).json()["items"]
    assert [t["id"] for t in breached] == [ticket_id] and at_risk == []
    first = _clocks(client, team, ticket_id)["first_response"]
    assert first["state"] == "breached" and first["breached_at"].startswith("2026-03-02T09:15:00")
    assert first["left"]["calendar"] < 0


def test_a_late_reply_fulfils_the_clock_as_breached_and_counts_in_compliance(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    on_time, late = _ticket(client, team, "P2"), _ticket(client, team, "P2")
    clock.advance(timedelta(minutes=30))
    client.post(f"/api/v1/tickets/{on_time}/messages", json={"body": "Looking"}, headers=team.agent.headers)
    clock.advance(timedelta(minutes=45))
    client.post(f"/api/v1/tickets/{late}/messages", json={"body": "Sorry"}, headers=team.agent.headers)
    assert _clocks(client, team, on_time)["first_response"]["state"] == "fulfilled"
    assert _clocks(client, team, late)["first_response"]["state"] == "breached"
    rows = client.get("/api/v1/sla/compliance", headers=team.lead.headers).json()
    first = next(r for r in rows if r["metric"] == "first_response" and r["priority"] == "P2")
    assert (first["met"], first["breached"], first["compliance"]) == (1, 1, 0.5)
    listed = client.get("/api/v1/tickets?sla=breached", headers=team.agent.headers).json()["items"]
    assert listed == []  # a late answer is history, not a running breach


def test_pending_pauses_resolution_and_the_paused_time_is_kept(
    client: TestClient, team: Team, clock: FrozenClock
) -> None:
    ticket_id = _ticket(client, team, "P3")
    url = f"/api/v1/tickets/{ticket_id}"
    client.patch(url, json={"assignee_id": team.agent.id, "group_id": team.l1}, headers=team.lead.headers)
    clock.advance(timedelta(minutes=60))
    resp = client.post(
        f"{url}/messages", json={"body": "Which browser?", "status": "pending"}, headers=team.agent.headers
    )
    assert resp.status_code in (200, 201), resp.text
    clock.advance(timedelta(hours=5))
    paused = _clocks(client, team, ticket_id)["resolution"]
    assert paused["state"] == "paused" and paused["due_at"] is None
    assert paused["used"]["calendar"] == 60
    answer = client.post(f"{url}/messages", json={"body": "Firefox"}, headers=team.customer.headers)
    assert answer.status_code == 201, answer.text
    clock.advance(timedelta(minutes=30))
    running = _clocks(client, team, ticket_id)["resolution"]
    assert running["state"] == "active"
    assert running["used"]["calendar"] == 90
    assert running["left"]["calendar"] == 24 * 60 - 90


def test_a_policy_with_a_business_calendar_applies_by_its_conditions(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    cal = client.post(
        "/api/v1/sla/calendars",
        json={"name": "Berlin office", "definition": OFFICE},
        headers=team.admin.headers,
    )
    assert cal.status_code == 201, cal.text
    policy = {
        "name": "Acme contract",
        "position": 10,
        "calendar_id": cal.json()["id"],
        "conditions": {"all": [{"field": "priority", "operator": "in", "value": ["P3", "P4"]}]},
        "targets": {"P3": {"first_response": {"minutes": 240}, "resolution": {"minutes": 960}}},
    }
    created = client.post("/api/v1/sla/policies", json=policy, headers=team.admin.headers)
    assert created.status_code == 201, created.text
    clock.advance(timedelta(hours=7))  # Monday 16:00 UTC = 17:00 in Berlin: closed until Tuesday 09:00
    ticket_id = _ticket(client, team, "P3")
    first = _clocks(client, team, ticket_id)["first_response"]
    assert first["policy_id"] == created.json()["id"]
    # Tuesday 09:00-12:00 (180 min), lunch, 13:00-14:00 → 14:00 Berlin = 13:00 UTC.
    assert first["due_at"].startswith("2026-03-03T13:00:00")
    p1 = _ticket(client, team, "P1")
    assert _clocks(client, team, p1)["first_response"]["policy_id"] is None


def test_changing_a_policy_recomputes_running_clocks(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    cal = _always(client, team)
    policy = {
        "name": "All",
        "position": 1,
        "calendar_id": cal["id"],
        "targets": {"P3": {"first_response": {"minutes": 60}}},
    }
    created = client.post("/api/v1/sla/policies", json=policy, headers=team.admin.headers).json()
    jobs.run_due(db, clock=clock, worker="w")
    ticket_id = _ticket(client, team, "P3")
    assert _clocks(client, team, ticket_id)["first_response"]["due_at"].startswith("2026-03-02T10:00:00")
    policy["targets"] = {"P3": {"first_response": {"minutes": 30}}}
    resp = client.put(f"/api/v1/sla/policies/{created['id']}", json=policy, headers=team.admin.headers)
    assert resp.status_code == 200, resp.text
    jobs.run_due(db, clock=clock, worker="w")
    assert _clocks(client, team, ticket_id)["first_response"]["due_at"].startswith("2026-03-02T10:00:00")
    clock.advance(timedelta(seconds=2))  # the recomputation waits until every process has the change
    jobs.run_due(db, clock=clock, worker="w")
    assert _clocks(client, team, ticket_id)["first_response"]["due_at"].startswith("2026-03-02T09:30:00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "name": "Bad",
                "definition": {"timezone": "Mars/Olympus", "week": {"mon": [["09:00", "17:00"]]}},
            },
            "timezone",
        ),
        (
            {
                "name": "Bad",
                "definition": {"timezone": "UTC", "week": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}},
            },
            "week",
        ),
        ({"name": "Bad", "definition": {"timezone": "UTC", "week": {"mon": [["17:00", "09:00"]]}}}, "week"),
        (
            {
                "name": "Bad",
                "definition": {
                    "timezone": "UTC",
                    "week": {"mon": [["09:00", "17:00"]]},
                    "holidays": ["2026-02-30"],
                },
            },
            "holidays",
        ),
        ({"name": "Bad", "definition": {"timezone": "UTC", "week": {}}}, "definition"),
    ],
)
def test_bad_calendars_get_a_422_naming_the_problem_and_nothing_is_saved(
    client: TestClient, team: Team, db: Database, body: dict[str, Any], field: str
) -> None:
    resp = client.post("/api/v1/sla/calendars", json=body, headers=team.admin.headers)
    assert resp.status_code == 422, resp.text
    fields = " ".join(str(e.get("field")) for e in resp.json()["errors"])
    assert field in fields
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(SlaCalendar)) == 0


def test_a_new_policy_reaches_reading_units_of_work_at_once(
    client: TestClient, team: Team, db: Database
) -> None:
    # The policies are cached per database; the reading sessions bind an engine of other options
    # than the writing ones, and the cache must not keep an entry per engine.
    with db.unit_of_work(write=False) as session:
        before = [applied.policy_id for applied in service.policy_cache.get(session)]
    policy = {
        "name": "Always on",
        "position": 5,
        "calendar_id": _always(client, team)["id"],
        "targets": {"P2": {"first_response": {"minutes": 30}}},
    }
    created = client.post("/api/v1/sla/policies", json=policy, headers=team.admin.headers)
    assert created.status_code == 201, created.text
    with db.unit_of_work(write=False) as session:
        after = [applied.policy_id for applied in service.policy_cache.get(session)]
    assert after == [*before, created.json()["id"]]


def test_policies_read_while_a_change_commits_are_not_kept(
    client: TestClient, team: Team, db: Database
) -> None:
    targets = {"P2": {"first_response": {"minutes": 30}}}
    policy = PolicyIn(name="Always on", position=5, calendar_id=_always(client, team)["id"], targets=targets)
    with db.unit_of_work() as writing:
        created = admin.create_policy(writing, actor=SYSTEM, data=policy, now=START, settings=Settings())
        # Another request reads the policies before the change commits, and caches what it saw.
        with db.unit_of_work(write=False) as reading:
            assert created.id not in [a.policy_id for a in service.policy_cache.get(reading)]
    with db.unit_of_work(write=False) as reading:
        assert created.id in [a.policy_id for a in service.policy_cache.get(reading)]


def _summary(ticket: dict[str, Any]) -> tuple[Any, Any, Any]:
    return ticket["sla_due_at"], ticket["sla_warn_at"], ticket["sla_breached"]


def test_answers_to_changes_carry_the_sla_summary_they_commit(client: TestClient, team: Team) -> None:
    agent = team.agent.headers

    def current(ticket_id: int) -> tuple[Any, Any, Any]:
        return _summary(client.get(f"/api/v1/tickets/{ticket_id}", headers=agent).json())

    created = client.post(
        "/api/v1/tickets",
        json={"subject": "Checkout is down", "priority": "P1", "requester_id": team.customer.id},
        headers=agent,
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    assert _summary(created.json()) == current(ticket_id)
    assert created.json()["sla_due_at"] is not None

    etag = client.get(f"/api/v1/tickets/{ticket_id}", headers=agent).headers["ETag"]
    patched = client.patch(
        f"/api/v1/tickets/{ticket_id}", json={"priority": "P3"}, headers={**agent, "If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    assert _summary(patched.json()) == current(ticket_id) != _summary(created.json())

    reply = {"body": "Looking into it", "public": True}
    replied = client.post(f"/api/v1/tickets/{ticket_id}/messages", json=reply, headers=agent)
    assert replied.status_code == 201, replied.text
    assert _summary(replied.json()["ticket"]) == current(ticket_id) != _summary(patched.json())

    macro = client.post(
        "/api/v1/macros",
        json={"title": "Escalate", "body": "Raised", "visibility": "shared", "actions": {"priority": "P1"}},
        headers=team.lead.headers,
    )
    assert macro.status_code == 201, macro.text
    applied = client.post(f"/api/v1/tickets/{ticket_id}/macros/{macro.json()['id']}/apply", headers=agent)
    assert applied.status_code == 201, applied.text
    assert _summary(applied.json()["ticket"]) == current(ticket_id) != _summary(replied.json()["ticket"])

    moved = client.post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "resolved"}, headers=agent)
    assert moved.status_code == 200, moved.text
    assert _summary(moved.json()) == current(ticket_id) != _summary(applied.json()["ticket"])


def test_bad_policies_are_refused_and_nothing_is_saved(client: TestClient, team: Team, db: Database) -> None:
    cal = client.post(
        "/api/v1/sla/calendars", json={"name": "Office", "definition": OFFICE}, headers=team.admin.headers
    ).json()
    base = {
        "name": "P",
        "position": 1,
        "calendar_id": cal["id"],
        "targets": {"P1": {"first_response": {"minutes": 15}}},
    }
    assert client.post("/api/v1/sla/policies", json=base, headers=team.admin.headers).status_code == 201
    cases = [
        ({**base, "name": "Q", "targets": {"P1": {"first_response": {"minutes": 0}}}}, 422, "minutes"),
        ({**base, "name": "Q", "targets": {"P0": {"first_response": {"minutes": 5}}}}, 422, "targets"),
        ({**base, "name": "Q", "calendar_id": 999}, 422, "calendar_id"),
        ({**base, "name": "Q"}, 409, "position"),
        ({**base, "name": "Q", "position": 2, "pauses": {"resolution": ["solved"]}}, 422, "pauses"),
    ]
    for body, code, field in cases:
        resp = client.post("/api/v1/sla/policies", json=body, headers=team.admin.headers)
        assert resp.status_code == code, (body, resp.text)
        assert field in resp.text
    assert (
        client.post(
            "/api/v1/sla/policies", json={**base, "name": "Q", "position": 2}, headers=team.agent.headers
        ).status_code
        == 403
    )
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(SlaPolicy)) == 1


def test_customers_do_not_see_sla_clocks(client: TestClient, team: Team) -> None:
    resp = client.post("/api/v1/tickets", json={"subject": "Help"}, headers=team.customer.headers)
    ticket_id = resp.json()["id"]
    assert client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=team.customer.headers).status_code == 403


def test_warnings_and_breaches_notify_the_assignee_and_the_group_leads(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    ticket_id = _ticket(client, team, "P1")
    url = f"/api/v1/tickets/{ticket_id}"
    client.patch(url, json={"group_id": team.l1, "assignee_id": team.agent.id}, headers=team.lead.headers)
    clock.advance(timedelta(minutes=12))  # past the warning (75 % of 15 minutes)
    jobs.run_due(db, clock=clock, worker="w")
    clock.advance(timedelta(minutes=4))  # past the breach
    jobs.run_due(db, clock=clock, worker="w")
    for person in (team.agent, team.lead):
        inbox = client.get("/api/v1/notifications", headers=person.headers).json()
        assert [n["kind"] for n in inbox] == ["sla_breach", "sla_warning"], inbox
        assert inbox[0]["ticket_id"] == ticket_id and "first response" in inbox[0]["text"]
    assert client.get("/api/v1/notifications", headers=team.specialist.headers).json() == []
    first = client.get("/api/v1/notifications?unread=true", headers=team.agent.headers).json()[0]
    read = client.post(f"/api/v1/notifications/{first['id']}/read", headers=team.agent.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert len(client.get("/api/v1/notifications?unread=true", headers=team.agent.headers).json()) == 1
    other = client.post(f"/api/v1/notifications/{first['id']}/read", headers=team.lead.headers)
    assert other.status_code == 404


def test_a_breach_can_raise_priority_and_escalate_to_the_next_tier_with_a_note(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    cal = _always(client, team)
    policy = {
        "name": "Strict",
        "position": 1,
        "calendar_id": cal["id"],
        "targets": {"P3": {"resolution": {"minutes": 30}}, "P2": {"resolution": {"minutes": 600}}},
        "breach_actions": {"notify": False, "raise_priority": True, "escalate": True},
    }
    assert client.post("/api/v1/sla/policies", json=policy, headers=team.admin.headers).status_code == 201
    ticket_id = _ticket(client, team, "P3")
    url = f"/api/v1/tickets/{ticket_id}"
    client.patch(url, json={"group_id": team.l1, "assignee_id": team.agent.id}, headers=team.lead.headers)
    clock.advance(timedelta(minutes=31))
    jobs.run_due(db, clock=clock, worker="w")
    ticket = client.get(url, headers=team.agent.headers).json()
    assert ticket["priority"] == "P2"
    assert ticket["group_id"] == team.l2 and ticket["assignee_id"] is None
    assert ticket["status"] == "escalated" and ticket["max_tier"] == "L2"
    notes = client.get(f"{url}/messages", headers=team.specialist.headers).json()["items"]
    assert any(not m["public"] and "breached" in m["body"] for m in notes)
    # Under P2 the resolution target is 600 minutes: the clock runs again, from the same start.
    resolution = _clocks(client, team, ticket_id)["resolution"]
    assert resolution["state"] == "active" and resolution["target_minutes"] == 600
    assert client.get("/api/v1/notifications", headers=team.agent.headers).json() == []


def test_lists_sort_by_next_due_across_pages(client: TestClient, team: Team, clock: FrozenClock) -> None:
    p3 = _ticket(client, team, "P3")  # due 13:00 (4 h)
    clock.advance(timedelta(minutes=1))
    p1 = _ticket(client, team, "P1")  # due 09:16
    p2 = _ticket(client, team, "P2")  # due 10:01
    solved = _ticket(client, team, "P1")
    client.post(f"/api/v1/tickets/{solved}/transitions", json={"to": "resolved"}, headers=team.agent.headers)
    client.patch(f"/api/v1/tickets/{solved}", json={"assignee_id": team.agent.id}, headers=team.lead.headers)
    client.post(f"/api/v1/tickets/{solved}/transitions", json={"to": "resolved"}, headers=team.agent.headers)
    seen: list[int] = []
    cursor = None
    while True:
        query = "/api/v1/tickets?order=sla_due&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=team.agent.headers).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [p1, p2, p3]
    for query in ("order=sla_due", "sla=breached"):
        resp = client.get(f"/api/v1/tickets?{query}", headers=team.customer.headers)
        assert resp.status_code == 403, resp.text
    bad = client.get("/api/v1/tickets?order=sla_due&cursor=eyJiZWZvcmUiOiAzfQ", headers=team.agent.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_two_workers_racing_on_one_alarm_record_the_breach_once(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    import threading

    ticket_ids = [_ticket(client, team, "P1") for _ in range(5)]
    clock.advance(timedelta(minutes=20))  # every warning and breach is due
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(3):
                jobs.run_due(db, clock=clock, worker=name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _events(db, "breach") == len(ticket_ids)  # first response of each ticket, once


def test_a_clock_met_late_is_recorded_as_breached_but_not_escalated(
    client: TestClient, team: Team, db: Database, clock: FrozenClock
) -> None:
    cal = _always(client, team)
    policy = {
        "name": "Strict",
        "position": 1,
        "calendar_id": cal["id"],
        "targets": {"P3": {"resolution": {"minutes": 30}}},
        "breach_actions": {"notify": False, "raise_priority": True, "escalate": True},
    }
    assert client.post("/api/v1/sla/policies", json=policy, headers=team.admin.headers).status_code == 201
    ticket_id = _ticket(client, team, "P3")
    url = f"/api/v1/tickets/{ticket_id}"
    client.patch(url, json={"group_id": team.l1, "assignee_id": team.agent.id}, headers=team.lead.headers)
    clock.advance(timedelta(minutes=40))  # no worker ran meanwhile
    client.post(f"{url}/messages", json={"body": "Done", "status": "resolved"}, headers=team.agent.headers)
    jobs.run_due(db, clock=clock, worker="w")
    assert _events(db, "breach") == 1
    ticket = client.get(url, headers=team.agent.headers).json()
    assert (ticket["priority"], ticket["group_id"], ticket["status"]) == ("P3", team.l1, "resolved")
