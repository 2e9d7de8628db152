"""The demo data generator: deterministic, consistent with the services' rules, realistic in shape."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, func, select, text

from supportops.auth import service as accounts
from supportops.auth.models import Group, GroupMembership, Organization, User
from supportops.auth.principal import SYSTEM
from supportops.db.session import Database
from supportops.demo.generator import DEMO_LOGINS, DemoSummary, is_empty, load, span_days
from supportops.jobs import service as jobs
from supportops.jobs.models import Job
from supportops.kit.clock import FrozenClock
from supportops.kit.errors import Conflict
from supportops.knowledge.models import SelfServiceEvent
from supportops.routing.models import PresenceChange
from supportops.sla import admin
from supportops.surveys.models import CsatSurvey, NpsSurvey
from supportops.tickets import lifecycle, service
from supportops.tickets.enums import Status
from supportops.tickets.models import Message, Ticket, TicketEvent, TimeEntry
from supportops.tickets.schemas import TicketCreate

Loaded = tuple[Database, DemoSummary]
DATA_TABLES = (
    "organizations",
    "users",
    "groups",
    "group_memberships",
    "tickets",
    "messages",
    "ticket_events",
    "time_entries",
    "jobs",
    "csat_surveys",
    "nps_surveys",
    "presence_log",
    "self_service_events",
)


def stored_rows(db: Database, table: str) -> list[Row[Any]]:
    """Rows exactly as stored, in a stable order."""
    order = "group_id, user_id" if table == "group_memberships" else "id"
    with db.engine.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")))  # noqa: S608


def all_tickets(db: Database) -> list[Ticket]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def events_by_ticket(db: Database) -> dict[int, list[TicketEvent]]:
    grouped: dict[int, list[TicketEvent]] = defaultdict(list)
    with db.unit_of_work(write=False) as session:
        for event in session.scalars(select(TicketEvent).order_by(TicketEvent.ticket_id, TicketEvent.id)):
            grouped[event.ticket_id].append(event)
    return grouped


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_hashing")
def test_same_seed_and_now_give_identical_rows_whatever_the_batch_size(
    make_db: Callable[[str], Database], demo_now: datetime
) -> None:
    a, b, c = make_db("a"), make_db("b"), make_db("c")
    first = load(a, tickets=300, seed=7, now=demo_now)
    second = load(b, tickets=300, seed=7, now=demo_now, batch_size=37)
    load(c, tickets=300, seed=8, now=demo_now)

    assert (first.tickets, first.messages, first.events) == (second.tickets, second.messages, second.events)
    for table in DATA_TABLES:
        assert stored_rows(a, table) == stored_rows(b, table), table
        assert stored_rows(a, table), table
    for table in ("tickets", "csat_surveys", "nps_surveys", "presence_log", "self_service_events"):
        assert stored_rows(a, table) != stored_rows(c, table), table


def test_progress_reports_cumulative_ticket_counts(
    make_db: Callable[[str], Database], demo_now: datetime, fast_hashing: None
) -> None:
    seen: list[int] = []
    summary = load(make_db("progress"), tickets=250, now=demo_now, batch_size=100, progress=seen.append)
    assert seen == [100, 200, 250]
    assert summary.tickets == 250


# --- consistency with the services ------------------------------------------------------------


def test_stored_counters_equal_the_fold_of_each_event_log(loaded: Loaded) -> None:
    db, summary = loaded
    with db.unit_of_work(write=False) as session:
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        assert len(tickets) == summary.tickets == 300
        for ticket in tickets:
            assert service.counters_of(ticket) == service.recompute_counters(session, ticket_id=ticket.id), (
                ticket.id
            )
    # the counters are not trivially empty
    assert any(t.reopen_count for t in tickets)
    assert {t.max_tier for t in tickets} >= {"L1", "L2", "L3"}
    assert {t.tier for t in tickets} >= {"L1", "L2", "L3"}
    assert any(t.escalations >= 2 for t in tickets)
    assert all(t.escalations == 0 for t in tickets if t.max_tier == "L1")
    assert sum(t.handle_seconds for t in tickets) > 0
    assert all(t.version == 1 for t in tickets)


def test_every_status_move_in_the_log_is_legal(loaded: Loaded) -> None:
    db, _ = loaded
    with db.unit_of_work(write=False) as session:
        tiers = {g.id: g.tier for g in session.scalars(select(Group))}
        messages = {m.id: m for m in session.scalars(select(Message))}
    tickets = {t.id: t for t in all_tickets(db)}
    logs = events_by_ticket(db)
    assert set(logs) == set(tickets)

    for ticket_id, events in logs.items():
        ticket = tickets[ticket_id]
        status: Status | None = None
        assignee: int | None = None
        group: int | None = None
        previous_at = ticket.created_at
        for event in events:
            assert event.at >= previous_at, (ticket_id, event.id)
            previous_at = event.at
            assert status != Status.closed, f"ticket {ticket_id} changed after it closed"
            if event.kind == "created":
                assert status is None and event.at == ticket.created_at and event.public
                status = Status.new
                data = event.data or {}
                assignee, group = data["assignee_id"], data["group_id"]
                assert data["group_tier"] == (tiers[group] if group is not None else None)
                assert data["follow_up_of_id"] == ticket.follow_up_of_id
                continue
            assert status is not None, f"ticket {ticket_id} has events before its creation"
            if event.kind == "change" and event.field == "status":
                assert event.old_value == status.value and event.public
                target = Status(event.new_value)
                problem = lifecycle.why_not(status, target, has_assignee=assignee is not None)
                assert problem is None, (ticket_id, event.id, problem)
                status = target
            elif event.kind == "change" and event.field == "assignee_id":
                assert event.old_value == assignee and not event.public
                assignee = event.new_value
            elif event.kind == "change" and event.field == "group_id":
                assert event.old_value == group and not event.public
                group = event.new_value
                assert event.data == {"group_tier": tiers[group]}
            elif event.kind == "message":
                message = messages[event.new_value]
                assert message.ticket_id == ticket_id and message.created_at == event.at
                assert event.public == message.public
                assert event.data == {"public": message.public, "author_kind": message.author_kind}
                assert message.author_kind in ("agent", "customer", "system")
                assert message.public or message.author_kind == "agent"
        assert status is not None and ticket.status == status.value, ticket_id
        assert (ticket.assignee_id, ticket.group_id) == (assignee, group), ticket_id
        assert ticket.updated_at == events[-1].at
        if status in lifecycle.NEEDS_ASSIGNEE:
            assert ticket.assignee_id is not None


def test_resolved_tickets_close_after_four_days_or_have_their_auto_close_job(
    loaded: Loaded, demo_now: datetime
) -> None:
    db, _ = loaded
    with db.unit_of_work(write=False) as session:
        queued = {
            job.dedupe_key: job
            for job in session.scalars(select(Job).where(Job.kind == service.AUTO_CLOSE_JOB))
        }
    tickets = all_tickets(db)
    resolved = [t for t in tickets if t.status == Status.resolved]
    closed = [t for t in tickets if t.status == Status.closed]
    assert resolved and closed
    assert len(queued) == len(resolved)
    for ticket in resolved:
        assert ticket.last_resolved_at is not None
        stamp = ticket.last_resolved_at.isoformat()
        job = queued[f"{service.AUTO_CLOSE_JOB}:{ticket.id}:{stamp}"]
        assert job.kind == service.AUTO_CLOSE_JOB and job.status == "queued"
        assert job.payload == {"ticket_id": ticket.id, "resolved_at": stamp}
        assert job.run_at == ticket.last_resolved_at + timedelta(days=4) > demo_now
    for ticket in closed:
        assert ticket.last_resolved_at is not None
        assert ticket.closed_at == ticket.last_resolved_at + timedelta(days=4) <= demo_now


def test_the_auto_close_jobs_run_with_the_real_handler(
    make_db: Callable[[str], Database], demo_now: datetime, fast_hashing: None
) -> None:
    db = make_db("jobs")
    load(db, tickets=120, now=demo_now)
    open_resolved = [t.id for t in all_tickets(db) if t.status == Status.resolved]
    assert open_resolved
    report = jobs.run_due(db, clock=FrozenClock(demo_now + timedelta(days=5)), worker="test", limit=500)
    assert report.failed == 0
    with db.unit_of_work(write=False) as session:
        done = session.scalars(select(Job.status).where(Job.kind == service.AUTO_CLOSE_JOB)).all()
        assert done.count("done") == len(open_resolved)
        for ticket_id in open_resolved:
            ticket = session.get_one(Ticket, ticket_id)
            assert ticket.status == Status.closed
            assert service.counters_of(ticket) == service.recompute_counters(session, ticket_id=ticket_id)


# --- realism ------------------------------------------------------------------------------------


def test_history_lies_in_the_span_before_now(loaded: Loaded, demo_now: datetime) -> None:
    db, summary = loaded
    with db.unit_of_work(write=False) as session:
        latest = [
            session.scalar(select(func.max(Ticket.created_at))),
            session.scalar(select(func.max(Ticket.updated_at))),
            session.scalar(select(func.max(Ticket.closed_at))),
            session.scalar(select(func.max(Ticket.last_resolved_at))),
            session.scalar(select(func.max(TicketEvent.at))),
            session.scalar(select(func.max(Message.created_at))),
            session.scalar(select(func.max(TimeEntry.started_at))),
            session.scalar(select(func.max(User.created_at))),
            session.scalar(select(func.max(Organization.created_at))),
            session.scalar(select(func.max(Group.created_at))),
            session.scalar(select(func.max(CsatSurvey.answered_at))),
            session.scalar(select(func.max(NpsSurvey.answered_at))),
            session.scalar(select(func.max(PresenceChange.at))),
            session.scalar(select(func.max(SelfServiceEvent.at))),
        ]
        earliest = session.scalar(select(func.min(Ticket.created_at)))
        open_recent = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.status.not_in(["resolved", "closed"]),
                Ticket.created_at >= demo_now - timedelta(days=3),
            )
        )
    assert all(at is not None and at <= demo_now for at in latest), latest
    assert earliest is not None and earliest >= demo_now - timedelta(days=span_days(summary.tickets))
    assert open_recent, "recent tickets should still be open at now"


def test_more_tickets_per_weekday_than_per_weekend_day_and_by_day_than_by_night(
    loaded: Loaded, demo_now: datetime
) -> None:
    db, summary = loaded
    tickets = all_tickets(db)
    first_day = (demo_now - timedelta(days=span_days(summary.tickets))).date()
    days = [first_day + timedelta(days=i) for i in range((demo_now.date() - first_day).days + 1)]
    weekdays = sum(1 for d in days if d.weekday() < 5)
    weekend = len(days) - weekdays
    on_weekdays = sum(1 for t in tickets if t.created_at.weekday() < 5)
    per_weekday = on_weekdays / weekdays
    per_weekend_day = (len(tickets) - on_weekdays) / weekend
    assert per_weekday > 2 * per_weekend_day, (per_weekday, per_weekend_day)

    by_hour = Counter(t.created_at.hour for t in tickets)
    business = sum(by_hour[h] for h in range(9, 17)) / 8
    night = sum(by_hour[h] for h in range(0, 6)) / 6
    assert business > 4 * night, (business, night)


def _shares(values: Sequence[str]) -> dict[str, float]:
    counts = Counter(values)
    return {k: v / len(values) for k, v in counts.items()}


def test_priority_and_channel_mix_are_roughly_as_specified(loaded: Loaded) -> None:
    tickets = all_tickets(loaded[0])
    priorities = _shares([t.priority for t in tickets])
    for priority, expected in {"P1": 0.03, "P2": 0.12, "P3": 0.45, "P4": 0.25, "P5": 0.15}.items():
        assert abs(priorities.get(priority, 0.0) - expected) < 0.06, (priority, priorities)
    channels = _shares([t.channel for t in tickets])
    for channel, expected in {"email": 0.45, "web": 0.30, "chat": 0.15, "phone": 0.07, "api": 0.03}.items():
        assert abs(channels.get(channel, 0.0) - expected) < 0.06, (channel, channels)
    categories = {t.category for t in tickets}
    assert categories >= {"billing", "account", "bug", "how-to", "integration", "feature-request", "outage"}


def test_tickets_carry_handoffs_notes_and_reopens(loaded: Loaded) -> None:
    db, _ = loaded
    tickets = all_tickets(db)
    logs = events_by_ticket(db)
    statuses = {e.new_value for events in logs.values() for e in events if e.field == "status"}
    assert statuses >= {
        "assigned",
        "in_progress",
        "pending",
        "escalated",
        "engineering",
        "resolved",
        "closed",
    }
    with db.unit_of_work(write=False) as session:
        notes = session.scalars(select(Message).where(Message.public.is_(False))).all()
        kinds = set(session.scalars(select(Message.author_kind).distinct()))
    assert kinds == {"agent", "customer", "system"}
    handoffs = [n for n in notes if "Hypothesis" in n.body or "guess" in n.body]
    assert handoffs and all(n.author_kind == "agent" for n in notes)
    escalated = [t for t in tickets if t.max_tier in ("L2", "L3")]
    assert 0.05 < len(escalated) / len(tickets) < 0.35
    assert any(t.reopen_count for t in tickets)
    assert any(t.follow_up_of_id is None for t in tickets)


def test_organizations_customers_and_tiered_groups(loaded: Loaded) -> None:
    db, summary = loaded
    with db.unit_of_work(write=False) as session:
        groups = {g.name: g.tier for g in session.scalars(select(Group))}
        orgs = list(session.scalars(select(Organization)))
        roles = Counter(session.scalars(select(User.role)))
        customers_without_password = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "customer", User.password_hash.is_(None))
        )
    assert groups["L1 Support"] == "L1" and groups["L2 Specialists"] == "L2"
    assert groups["L3 Engineering"] == "L3"
    assert len(orgs) == summary.organizations and any(o.shared_tickets for o in orgs)
    assert {o.plan for o in orgs} <= {"free", "pro", "enterprise"} and all(o.domain for o in orgs)
    assert roles["customer"] == summary.customers == 50 + 300 // 20
    assert roles["agent"] + roles["lead"] + roles["admin"] == summary.agents
    assert roles["admin"] >= 1 and roles["lead"] >= 1
    assert customers_without_password == summary.customers - 1


# --- logins and an empty database -------------------------------------------------------------


def test_is_empty_until_loaded(make_db: Callable[[str], Database], loaded: Loaded) -> None:
    assert is_empty(make_db("empty"))
    assert not is_empty(loaded[0])


def test_demo_logins_can_sign_in(loaded: Loaded, demo_now: datetime) -> None:
    db, _ = loaded
    expected_role = {
        "admin": "admin",
        "lead": "lead",
        "agent-l1": "agent",
        "agent-l2": "agent",
        "agent-l3": "agent",
        "customer": "customer",
    }
    assert sorted(login.role for login in DEMO_LOGINS) == sorted(expected_role)
    with db.unit_of_work() as session:
        tiers = {g.id: g.tier for g in session.scalars(select(Group))}
        for login in DEMO_LOGINS:
            assert len(login.password) >= 8
            issued = accounts.login(
                session,
                email=login.email,
                password=login.password,
                now=demo_now,
                lifetime=timedelta(hours=1),
            )
            user = session.get_one(User, issued.web_session.user_id)
            assert (user.email, user.name, user.role) == (login.email, login.name, expected_role[login.role])
            group_tiers = {
                tiers[m.group_id]
                for m in session.scalars(select(GroupMembership).where(GroupMembership.user_id == user.id))
            }
            if login.role.startswith("agent-"):
                assert group_tiers == {login.role[-2:].upper()}
            if login.role == "customer":
                principal = accounts.principal_for(session, user)
                assert principal.sees_organization_tickets
                assert session.scalar(
                    select(func.count()).select_from(Ticket).where(Ticket.requester_id == user.id)
                )


def test_loading_twice_is_refused(loaded: Loaded, demo_now: datetime) -> None:
    with pytest.raises(Conflict):
        load(loaded[0], tickets=10, now=demo_now)


# --- both databases ---------------------------------------------------------------------------


def test_load_on_each_database(db: Database, demo_now: datetime, fast_hashing: None) -> None:
    """SQLite and PostgreSQL (the shared ``db`` fixture): consistent counters, the summary counts
    what was stored, and the services carry on with fresh ids after the generator assigned its own."""
    summary = load(db, tickets=300, now=demo_now)
    with db.unit_of_work() as session:
        tickets = list(session.scalars(select(Ticket)))
        assert len(tickets) == summary.tickets == 300
        for ticket in tickets:
            assert service.counters_of(ticket) == service.recompute_counters(session, ticket_id=ticket.id)
        counted = {
            CsatSurvey: summary.csat_surveys,
            NpsSurvey: summary.nps_surveys,
            PresenceChange: summary.presence_changes,
            SelfServiceEvent: summary.self_service_events,
        }
        for model, count in counted.items():
            assert session.scalar(select(func.count()).select_from(model)) == count > 0, model
        agent = session.scalars(select(User).where(User.role == "agent")).first()
        assert agent is not None
        session.add_all(
            [
                PresenceChange(agent_id=agent.id, state="offline", at=demo_now),
                SelfServiceEvent(customer_id=None, outcome="resolved", at=demo_now, source="portal"),
                NpsSurvey(customer_id=tickets[0].requester_id, sent_at=demo_now, comment="", source="survey"),
                CsatSurvey(
                    ticket_id=tickets[0].id,
                    requester_id=tickets[0].requester_id,
                    resolved_at=demo_now,
                    sent_at=demo_now,
                    comment="",
                    source="survey",
                ),
            ]
        )
        session.flush()
        for model, count in counted.items():
            assert session.scalar(select(func.max(model.id))) == count + 1, model  # type: ignore[attr-defined]
        requester = session.scalars(select(User).where(User.role == "customer")).first()
        assert requester is not None
        created = service.create_ticket(
            session,
            actor=SYSTEM,
            data=TicketCreate(subject="After the demo", requester_id=requester.id),
            now=demo_now,
        )
        assert created.id == summary.tickets + 1
        assert accounts.find_user_by_email(session, DEMO_LOGINS[0].email) is not None
    if db.dialect == "postgresql":  # the bulk-filled tables have planner statistics
        with db.engine.connect() as conn:
            analysed = conn.execute(
                text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'tickets'")
            ).scalar_one()
        assert analysed


def test_demo_agents_have_skills_that_match_their_groups(tmp_path: Path) -> None:
    from supportops.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'skills.db'}"
    upgrade(url)
    db = Database.from_url(url)
    load(db, tickets=50, seed=3, now=datetime(2026, 6, 1, tzinfo=UTC))
    with db.unit_of_work(write=False) as session:
        rows = session.execute(
            text(
                "SELECT u.email, s.skill, s.proficiency FROM agent_skills s JOIN users u ON u.id = s.user_id"
            )
        ).all()
        customers_with_skills = session.execute(
            text(
                "SELECT count(*) FROM agent_skills s JOIN users u ON u.id = s.user_id"
                " WHERE u.role = 'customer'"
            )
        ).scalar()
    assert customers_with_skills == 0
    assert all(1 <= p <= 5 for _, _, p in rows)
    by_user: dict[str, dict[str, int]] = {}
    for email, skill, level in rows:
        by_user.setdefault(email, {})[skill] = level
    assert by_user["l3@helpdesk.example"]["bug"] >= 4
    assert "how-to" in by_user["l1@helpdesk.example"]
    db.engine.dispose()


def test_the_demo_has_sla_clocks_both_met_and_breached(loaded: Loaded) -> None:
    db, summary = loaded
    with db.unit_of_work(write=False) as session:
        rows = admin.compliance(session)
    assert summary.sla_clocks > summary.tickets  # first response and resolution at least
    assert sum(r.met for r in rows) > 0 and sum(r.breached for r in rows) > 0
