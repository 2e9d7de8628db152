"""Bulk recomputation, which reads raw rows and folds them on integer microseconds, gives exactly
the rows of the per-ticket path (clocks, metric events, summary, alarm), and adds no metric event
twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from supportops.config import Settings
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.sla import batch, service
from supportops.sla.bulk import CLOCK_COLUMNS, _sqlite_text, _stored_time, recompute_all
from supportops.sla.calendar import BusinessTime, Calendar, CalendarTime
from supportops.sla.clocks import Metric, transitions
from supportops.sla.models import SlaClock
from supportops.sla.policy import PolicyRules
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.enums import Status, StatusCategory
from tests.factories import make_team

# Split shifts in a zone that changes its clocks on 2026-03-29, a Saturday override and a holiday.
BERLIN = Calendar.model_validate(
    {
        "timezone": "Europe/Berlin",
        "week": {d: [["08:30", "12:00"], ["13:00", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-04-03", "2026-04-06"],
        "overrides": {"2026-03-28": [["10:00", "14:00"]], "2026-03-29": [["01:00", "04:00"]]},
    }
)


def _clocks(db: Database) -> dict[tuple[int, str, int], dict[str, Any]]:
    with db.unit_of_work(write=False) as session:
        rows = session.scalars(select(SlaClock)).all()
        return {
            (r.ticket_id, r.metric, r.cycle): {name: getattr(r, name) for name in CLOCK_COLUMNS} for r in rows
        }


@pytest.mark.parametrize(("workers", "business"), [(1, False), (2, False), (2, True)])
def test_recomputing_everything_gives_the_clocks_of_the_per_ticket_path(
    client: TestClient, db: Database, clock: FrozenClock, settings: Settings, workers: int, business: bool
) -> None:
    team = make_team(db, clock.now())
    if business:  # business hours with split shifts and a holiday, and more pauses, for P2 and P3
        named = {"name": "Berlin", "definition": BERLIN.model_dump(mode="json")}
        calendar = client.post("/api/v1/sla/calendars", json=named, headers=team.admin.headers).json()
        policy = {
            "name": "Office hours",
            "position": 1,
            "calendar_id": calendar["id"],
            "conditions": {"all": [{"field": "priority", "operator": "in", "value": ["P2", "P3"]}]},
            "targets": {
                p: {
                    "first_response": {"minutes": 45},
                    "next_response": {"minutes": 30, "business": False},
                    "resolution": {"minutes": 300},
                }
                for p in ("P2", "P3")
            },
            "pauses": {"resolution": ["pending", "on_hold"], "next_response": ["pending"]},
            "warn_share": 0.5,
        }
        created = client.post("/api/v1/sla/policies", json=policy, headers=team.admin.headers)
        assert created.status_code == 201, created.text
    ids = []
    for n, priority in enumerate(["P1", "P2", "P3", "P4", "P5", "P2"]):
        body = {"subject": f"case {n}", "priority": priority, "requester_id": team.customer.id}
        ids.append(client.post("/api/v1/tickets", json=body, headers=team.agent.headers).json()["id"])
        clock.advance(timedelta(minutes=7))
    for n, ticket_id in enumerate(ids):
        url = f"/api/v1/tickets/{ticket_id}"
        client.patch(url, json={"group_id": team.l1, "assignee_id": team.agent.id}, headers=team.lead.headers)
        if n % 2 == 0:
            client.post(f"{url}/messages", json={"body": "On it"}, headers=team.agent.headers)
        clock.advance(timedelta(minutes=40))
        if n % 3 == 0:
            client.post(
                f"{url}/messages", json={"body": "Waiting", "status": "pending"}, headers=team.agent.headers
            )
            clock.advance(timedelta(hours=2))
            client.post(f"{url}/messages", json={"body": "Here it is"}, headers=team.customer.headers)
        if n % 2 == 1:
            client.post(
                f"{url}/messages", json={"body": "Fixed", "status": "resolved"}, headers=team.agent.headers
            )
    clock.advance(timedelta(hours=3))  # some clocks breach in between, without a change
    with db.unit_of_work() as session:
        for ticket_id in ids:
            service.refresh(session, ticket_id, now=clock.now(), settings=settings)
    kept = _clocks(db)
    assert len(kept) >= 2 * len(ids)
    assert {c["state"] for c in kept.values()} >= {"active", "fulfilled", "breached"}
    report = recompute_all(db, now=clock.now(), settings=settings, chunk=4, workers=workers)
    assert report.tickets == len(ids)
    assert report.metric_events == 0  # every transition was recorded as it happened
    assert _clocks(db) == kept


# --- the bulk fold against the per-ticket path, on random histories ---------------------------

START = datetime(2026, 3, 26, 7, 45, tzinfo=UTC)  # Thursday before Berlin's spring change
STATUSES = [s.value for s in Status]
PAUSABLE = [StatusCategory.open, StatusCategory.pending, StatusCategory.on_hold]
TICKET = 42


@st.composite
def _events(draw: st.DrawFn) -> list[LoggedEvent]:
    at = START + timedelta(
        seconds=draw(st.integers(0, 6 * 86_400)), microseconds=draw(st.integers(0, 999_999))
    )
    created_status = draw(st.sampled_from([None, "new", "assigned", "pending", "on_hold", "resolved"]))
    events = [LoggedEvent("created", at, data={"status": created_status} if created_status else None)]
    for _ in range(draw(st.integers(0, 14))):
        at += timedelta(
            seconds=draw(st.sampled_from([0, 0, 1, 59, 600, 3600, 5 * 3600, 20 * 3600, 70 * 3600])),
            microseconds=draw(st.sampled_from([0, 1, 250_000])),
        )
        if draw(st.booleans()):
            author = draw(st.sampled_from(["agent", "agent", "customer", "customer", "system"]))
            data = {"public": draw(st.sampled_from([True, True, True, False])), "author_kind": author}
            events.append(LoggedEvent("message", at, data=data))
        else:
            status = draw(st.sampled_from(STATUSES))
            events.append(LoggedEvent("change", at, field="status", new_value=status))
    return events


@st.composite
def _rules(draw: st.DrawFn) -> PolicyRules:
    minutes = st.one_of(st.sampled_from([1.0, 15.0, 45.0, 60.0, 240.0, 1440.0]), st.floats(0.01, 5000))
    targets = {
        metric: {"minutes": draw(minutes), "business": draw(st.booleans())}
        for metric in Metric
        if draw(st.integers(0, 4))
    }
    pauses = {metric: draw(st.lists(st.sampled_from(PAUSABLE), unique=True)) for metric in Metric}
    return PolicyRules.model_validate(
        {"targets": {"P2": targets}, "pauses": pauses, "warn_share": draw(st.floats(0.05, 0.95))}
    )


def _row(d: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(_stored_time(d[c], True) if isinstance(d[c], datetime) else d[c] for c in columns)


@settings(max_examples=400, deadline=None)
@given(
    events=_events(),
    rules=_rules(),
    business=st.booleans(),
    after=st.integers(-2 * 86_400, 9 * 86_400),
    kept=st.integers(0, 2**40),
    fired=st.lists(
        st.tuples(st.sampled_from(list(Metric)), st.integers(0, 3), st.sampled_from(["warn", "breach"]))
    ),
)
def test_the_bulk_fold_gives_the_rows_of_the_per_ticket_path(
    events: list[LoggedEvent],
    rules: PolicyRules,
    business: bool,
    after: int,
    kept: int,
    fired: list[tuple[Metric, int, str]],
) -> None:
    applied = service.Applied(7, rules, BusinessTime(BERLIN) if business else CalendarTime())
    now = events[-1].at + timedelta(seconds=after, microseconds=123)
    facts: dict[str, Any] = {"priority": "P2", "severity": None, "channel": "web", "category": None}
    facts |= {"tags": [], "organization_id": None, "group_id": 3, "plan": None}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "applicable", lambda *_: applied)
        # Some transitions on record already (a bit of ``kept`` per transition), some alarms fired.
        steps = transitions(events, pauses=rules.pause_rules())
        known = {(s.metric.value, s.cycle, s.kind.value, s.at) for n, s in enumerate(steps) if kept >> n & 1}
        known |= {(m.value, c, kind, now) for m, c, kind in fired}
        expected = service.Writes()
        service.refresh(
            None,  # type: ignore[arg-type]  # everything comes from the caller
            TICKET,
            now=now,
            settings=Settings(),
            new=True,
            facts=facts,
            history=events,
            known=known,
            writes=expected,
        )
        policies = batch.Policies(Settings())
        policies.follow([applied])
        rows = batch.compute(
            None,
            [(TICKET, *facts.values(), "stored", "stored", "stored")],
            [_history_row(e) for e in events],
            known={(TICKET, m, c, k, _sqlite_text(batch.epoch_us(at))) for m, c, k, at in known},
            fired={(TICKET, m, c, k) for m, c, k, _ in known if k in ("warn", "breach")},
            now=now,
            policies=policies,
            stored=_sqlite_text,
        )
    assert rows.clocks == [_row(c, CLOCK_COLUMNS[:-1]) for c in expected.clocks]
    assert rows.events == [_row(e, ("ticket_id", "metric", "cycle", "kind", "at")) for e in expected.events]
    assert rows.summaries == [
        _row(s, ("sla_due_at", "sla_warn_at", "sla_breached", "ticket_id")) for s in expected.summaries
    ]
    assert rows.alarms == expected.alarms


def _history_row(event: LoggedEvent) -> batch.Event:
    """What the bulk history query returns for this event."""
    data = event.data or {}
    if event.kind == "message":
        value = data.get("author_kind") if data.get("public") else None
    elif event.kind == "created":
        value = data.get("status")
    else:
        value = event.new_value
    return (TICKET, event.kind, batch.epoch_us(event.at), _sqlite_text(batch.epoch_us(event.at)), value)


def test_the_bulk_time_bases_refuse_as_the_per_ticket_ones_do() -> None:
    once = Calendar(timezone="UTC", overrides={"2026-12-24": [("09:00", "10:00")]})
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for per_ticket in (BusinessTime(once), CalendarTime()):
        bulk = batch._basis(per_ticket)
        start_us = batch.epoch_us(start)
        cases = [-1.0, float("nan")] + ([61.0] if isinstance(per_ticket, BusinessTime) else [])
        for minutes in cases:
            with pytest.raises(Exception) as expected:
                per_ticket.add(start, minutes)
            with pytest.raises(type(expected.value)) as got:
                bulk.add(start_us, minutes)
            assert str(got.value) == str(expected.value)
        assert batch.instant(bulk.add(start_us, 60)) == per_ticket.add(start, 60)
