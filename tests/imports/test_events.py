"""The ticket-event log: every line type lands where the live product keeps it, counters are the
fold of the stored log, SLA clocks cover imported tickets, and history is stored as it happened."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from supportops.auth.enums import Role, Tier
from supportops.auth.models import Group, User
from supportops.config import Settings
from supportops.db.session import Database
from supportops.knowledge.models import SelfServiceEvent
from supportops.routing.models import AgentProfile, PresenceChange
from supportops.sla import admin as sla_admin
from supportops.sla.models import SlaClock
from supportops.surveys.models import CsatSurvey, NpsSurvey
from supportops.tickets import service
from supportops.tickets.enums import Channel, Status
from supportops.tickets.models import Message, TicketEvent, TimeEntry
from supportops.tickets.schemas import MessageCreate, TicketCreate, TicketUpdate, TimeEntryCreate
from tests.factories import make_group, make_person, make_team, principal
from tests.imports.support import (
    NOW,
    assign,
    at,
    counts,
    created,
    handle_time,
    instant,
    message,
    priority,
    rating,
    run,
    status,
    ticket,
    write,
)

STORY = [
    created("T1", 0, group="L1 Support"),
    message("T1", 5, "bot@co", "bot"),
    assign("T1", 10, "bob@co", "L1 Support", "L1"),
    message("T1", 20, "bob@co", "agent"),
    status("T1", 20, "pending"),
    message("T1", 60, "ann@acme.com", "customer"),
    assign("T1", 90, "carl@co", "L2 Billing", "L2"),
    priority("T1", 91, "P2"),
    handle_time("T1", 120, "carl@co", 12.5),
    status("T1", 120, "resolved"),
    rating("T1", 1440, 5, "great"),
    {"type": "nps", "at": at(2000), "customer": "ann@acme.com", "score": 9},
    {"type": "presence", "at": at(-60), "agent": "bob@co", "state": "online"},
    {"type": "self_service", "at": at(30), "customer": "zed@x.com", "outcome": "resolved"},
]


def _events(db: Database, ticket_id: int) -> list[tuple[object, ...]]:
    with db.unit_of_work(write=False) as session:
        rows = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [(e.kind, e.field, e.old_value, e.new_value, e.data, e.public, e.at) for e in rows]


def test_every_line_type_lands_where_the_product_keeps_it(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    report = run(db, write(tmp_path / "story.jsonl", STORY), settings)
    assert (report.read, report.applied, report.rejected, report.tickets_created) == (14, 14, [], 1)

    with db.unit_of_work(write=False) as session:
        t = ticket(session, "T1")
        users = {u.email: u for u in session.scalars(select(User))}
        groups = {g.name: g for g in session.scalars(select(Group))}
        assert set(users) == {"ann@acme.com", "bob@co", "carl@co", "zed@x.com"}  # a bot is no person
        assert {e: u.role for e, u in users.items()} == {
            "ann@acme.com": Role.customer,
            "bob@co": Role.agent,
            "carl@co": Role.agent,
            "zed@x.com": Role.customer,
        }
        assert all(u.password_hash is None for u in users.values())
        assert {n: g.tier for n, g in groups.items()} == {"L1 Support": "L1", "L2 Billing": "L2"}
        ann, bob, carl = users["ann@acme.com"], users["bob@co"], users["carl@co"]
        l1, l2 = groups["L1 Support"].id, groups["L2 Billing"].id
        assert ann.organization_id is not None and t.organization_id == ann.organization_id
        assert (t.status, t.priority, t.assignee_id, t.group_id, t.requester_id, t.category) == (
            "resolved",
            "P2",
            carl.id,
            l2,
            ann.id,
            "billing",
        )
        assert (t.created_at, t.updated_at) == (instant(0), instant(120))
        messages = list(
            session.scalars(select(Message).where(Message.ticket_id == t.id).order_by(Message.id))
        )
        assert [(m.author_id, m.author_kind, m.public) for m in messages] == [
            (None, "system", True),
            (bob.id, "agent", True),
            (ann.id, "customer", True),
        ]
        entry = session.scalars(select(TimeEntry)).one()
        assert (entry.ticket_id, entry.agent_id, entry.seconds, entry.source) == (
            t.id,
            carl.id,
            750,
            "import",
        )
        assert entry.started_at == instant(120) - timedelta(seconds=750)
        survey = session.scalars(select(CsatSurvey)).one()
        assert (survey.ticket_id, survey.requester_id, survey.score, survey.comment, survey.source) == (
            t.id,
            ann.id,
            5,
            "great",
            "import",
        )
        assert (survey.resolved_at, survey.sent_at, survey.answered_at) == (
            instant(120),
            instant(1440),
            instant(1440),
        )
        nps = session.scalars(select(NpsSurvey)).one()
        assert (nps.customer_id, nps.score, nps.sent_at, nps.answered_at, nps.source) == (
            ann.id,
            9,
            instant(2000),
            instant(2000),
            "import",
        )
        change = session.scalars(select(PresenceChange)).one()
        assert (change.agent_id, change.state, change.at) == (bob.id, "online", instant(-60))
        profile = session.get(AgentProfile, bob.id)
        assert profile is not None and (profile.presence, profile.presence_changed_at) == (
            "online",
            instant(-60),
        )
        deflected = session.scalars(select(SelfServiceEvent)).one()
        assert (deflected.customer_id, deflected.outcome, deflected.at, deflected.source) == (
            users["zed@x.com"].id,
            "resolved",
            instant(30),
            "import",
        )
        message_ids = [m.id for m in messages]

    assert _events(db, t.id) == [
        (
            "created",
            None,
            None,
            None,
            {
                "channel": "email",
                "priority": "P3",
                "assignee_id": None,
                "group_id": l1,
                "group_tier": "L1",
                "follow_up_of_id": None,
            },
            True,
            instant(0),
        ),
        ("message", None, None, message_ids[0], {"public": True, "author_kind": "system"}, True, instant(5)),
        ("change", "assignee_id", None, bob.id, None, False, instant(10)),
        ("message", None, None, message_ids[1], {"public": True, "author_kind": "agent"}, True, instant(20)),
        ("change", "status", "new", "pending", None, True, instant(20)),
        (
            "message",
            None,
            None,
            message_ids[2],
            {"public": True, "author_kind": "customer"},
            True,
            instant(60),
        ),
        ("change", "group_id", l1, l2, {"group_tier": "L2"}, False, instant(90)),
        ("change", "assignee_id", bob.id, carl.id, None, False, instant(90)),
        ("change", "priority", "P3", "P2", None, True, instant(91)),
        ("time", None, None, entry.id, {"seconds": 750, "agent_id": carl.id}, False, instant(120)),
        ("change", "status", "pending", "resolved", None, True, instant(120)),
    ]


def test_counters_are_the_fold_of_the_stored_log(db: Database, settings: Settings, tmp_path: Path) -> None:
    run(db, write(tmp_path / "story.jsonl", STORY), settings)
    with db.unit_of_work(write=False) as session:
        t = ticket(session, "T1")
        stored = service.counters_of(t)
        assert stored == service.recompute_counters(session, ticket_id=t.id)
    # What DOMAIN.md says they are: the bot's reply is no response; one move up a tier.
    assert stored.first_response_at == instant(20)
    assert (stored.first_resolved_at, stored.last_resolved_at) == (instant(120), instant(120))
    assert (stored.public_agent_replies, stored.reopen_count) == (1, 0)
    assert (stored.agent_stations, stored.group_stations) == (2, 2)
    assert (stored.tier, stored.max_tier, stored.escalations) == ("L2", "L2", 1)
    assert stored.handle_seconds == 750


def test_imported_tickets_get_sla_clocks_and_count_in_compliance(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = [
        *STORY[:10],
        created("T2", 0, priority="P1"),
        message("T2", 50, "bob@co", "agent"),  # P1 answers within 15 minutes: breached
    ]
    run(db, write(tmp_path / "story.jsonl", lines), settings)
    with db.unit_of_work(write=False) as session:
        t1, t2 = ticket(session, "T1"), ticket(session, "T2")
        clocks = {
            (c.ticket_id, c.metric): c for c in session.scalars(select(SlaClock).where(SlaClock.cycle == 0))
        }
        first_response = clocks[(t1.id, "first_response")]
        assert (first_response.state, first_response.calendar_minutes) == ("fulfilled", 20.0)
        resolution = clocks[(t1.id, "resolution")]
        # Pending from minute 20 to the resolution at 120 stops the clock: 20 minutes used.
        assert (resolution.state, resolution.calendar_minutes) == ("fulfilled", 20.0)
        late = clocks[(t2.id, "first_response")]
        assert (late.state, late.breached_at, late.fulfilled_at) == ("breached", instant(15), instant(50))
        assert clocks[(t2.id, "resolution")].state == "breached"  # open since January
        assert t2.sla_breached is True
        rows = sla_admin.compliance(session)
    first = {(r.priority, r.metric.value): (r.met, r.breached) for r in rows}
    assert first[("P2", "first_response")] == (1, 0)
    assert first[("P1", "first_response")] == (0, 1)


def test_history_is_stored_as_it_happened_even_where_live_rules_refuse(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = [
        created("T1", 0),
        status("T1", 10, "resolved"),  # no assignee: live would refuse
        status("T1", 20, "closed"),
        status("T1", 30, "in_progress"),  # closed is final live; history says otherwise
        status("T1", 40, "resolved"),
    ]
    report = run(db, write(tmp_path / "h.jsonl", lines), settings)
    assert report.rejected == []
    with db.unit_of_work(write=False) as session:
        t = ticket(session, "T1")
        assert (t.status, t.assignee_id, t.closed_at) == ("resolved", None, None)
        assert (t.first_resolved_at, t.last_resolved_at, t.reopen_count) == (instant(10), instant(40), 0)
    moves = [(e[2], e[3]) for e in _events(db, t.id) if e[1] == "status"]
    assert moves == [
        ("new", "resolved"),
        ("resolved", "closed"),
        ("closed", "in_progress"),
        ("in_progress", "resolved"),
    ]


def test_lines_apply_in_time_order_and_ties_in_file_order(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = [
        status("T1", 30, "pending"),
        status("T1", 30, "in_progress"),  # same instant, later in the file: applies last
        message("T1", 20, "bob@co", "agent"),
        created("T1", 0),
        assign("T1", 10, "bob@co", "L1", "L1"),
        status("T2", 5, "triaged"),
        status("T2", 5, "pending"),
        created("T2", 0),
    ]
    report = run(db, write(tmp_path / "shuffled.jsonl", lines), settings)
    assert report.rejected == []
    with db.unit_of_work(write=False) as session:
        t1, t2 = ticket(session, "T1"), ticket(session, "T2")
        assert (t1.status, t2.status) == ("in_progress", "pending")
        assert t1.first_response_at == instant(20)
    kinds = [(e[0], e[1], e[3] if e[1] == "status" else None) for e in _events(db, t1.id)]
    assert kinds == [
        ("created", None, None),
        ("change", "group_id", None),
        ("change", "assignee_id", None),
        ("message", None, None),
        ("change", "status", "pending"),
        ("change", "status", "in_progress"),
    ]


def test_a_second_rating_of_the_same_resolution_replaces_the_first(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    first = [
        created("T1", 0),
        rating("T1", 5, 2),  # before any resolution: it rates the moment it was given
        status("T1", 10, "resolved"),
        rating("T1", 20, 1, "slow"),
        rating("T1", 30, 4, "actually fine"),
        status("T1", 40, "in_progress"),
        status("T1", 50, "resolved"),
    ]
    run(db, write(tmp_path / "a.jsonl", first), settings)
    # A later file rates the first resolution once more, and the second one for the first time.
    later = [rating("T1", 60, 3), rating("T1", 45, 5)]
    report = run(db, write(tmp_path / "b.jsonl", [*first, *later]), settings)
    assert report.rejected == [] and report.applied == 2
    with db.unit_of_work(write=False) as session:
        surveys = {
            s.resolved_at: (s.score, s.comment, s.answered_at)
            for s in session.scalars(select(CsatSurvey).order_by(CsatSurvey.id))
        }
    assert surveys == {
        instant(5): (2, "", instant(5)),
        instant(10): (5, "", instant(45)),
        instant(50): (3, "", instant(60)),
    }


def test_presence_moves_the_profile_only_when_it_is_the_latest_change(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    agent = make_person(db, NOW, email="dee@co.example", role=Role.agent)
    lines = [
        {"type": "presence", "at": at(0), "agent": "dee@co.example", "state": "online"},
        {"type": "presence", "at": at(60), "agent": "dee@co.example", "state": "away"},
        {"type": "presence", "at": at(30), "agent": "eve@co", "state": "online"},
    ]
    run(db, write(tmp_path / "p.jsonl", lines), settings)
    with db.unit_of_work(write=False) as session:
        profile = session.get(AgentProfile, agent.id)
        assert profile is not None and (profile.presence, profile.presence_changed_at) == (
            "away",
            instant(60),
        )
    older = [{"type": "presence", "at": at(45), "agent": "dee@co.example", "state": "offline"}]
    run(db, write(tmp_path / "older.jsonl", older), settings)
    with db.unit_of_work(write=False) as session:
        profile = session.get(AgentProfile, agent.id)
        assert profile is not None and profile.presence == "away"
        assert len(session.scalars(select(PresenceChange)).all()) == 4


def test_existing_people_and_groups_are_reused_and_customers_cannot_act_as_agents(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    customer = make_person(db, NOW, email="ann@acme.com", role=Role.customer)
    agent = make_person(db, NOW, email="bob@co.example", role=Role.agent)
    group = make_group(db, NOW, name="Specialists", tier=Tier.L2)
    before = counts(db)
    lines = [
        created("T1", 0, group="Specialists"),
        assign("T1", 10, "ann@acme.com", "Specialists", "L2"),
        message("T1", 20, "ann@acme.com", "agent"),
        handle_time("T1", 30, "ann@acme.com", 5),
        assign("T1", 40, "bob@co.example", "Specialists", "L2"),
    ]
    report = run(db, write(tmp_path / "people.jsonl", lines), settings)
    assert [str(r) for r in report.rejected] == [
        "line 2: agent: ann@acme.com is a customer in supportops; only agents can do this",
        "line 3: author: ann@acme.com is a customer in supportops; only agents can do this",
        "line 4: agent: ann@acme.com is a customer in supportops; only agents can do this",
    ]
    after = counts(db)
    assert (after["users"], after["groups"]) == (before["users"], before["groups"])
    with db.unit_of_work(write=False) as session:
        t = ticket(session, "T1")
        assert (t.requester_id, t.assignee_id, t.group_id, t.tier) == (customer.id, agent.id, group, "L2")


def test_the_events_match_those_the_live_services_write(
    db: Database, settings: Settings, tmp_path: Path
) -> None:

    team = make_team(db, NOW)
    agent, lead = principal(db, team.agent.id), principal(db, team.lead.id)
    specialist = principal(db, team.specialist.id)
    start = instant(0)

    def step(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    with db.unit_of_work() as session:
        live = service.create_ticket(
            session,
            actor=agent,
            data=TicketCreate(
                subject="Live",
                description="d",
                priority="P3",
                category="billing",
                channel=Channel.email,
                requester_id=team.customer.id,
                group_id=team.l1,
            ),
            now=start,
            settings=settings,
        )
    with db.unit_of_work() as session:
        t = service.get_ticket(session, actor=lead, ticket_id=live.id)
        service.update_ticket(
            session,
            actor=lead,
            ticket=t,
            data=TicketUpdate(assignee_id=team.agent.id),
            now=step(10),
            settings=settings,
        )
    with db.unit_of_work() as session:
        t = service.get_ticket(session, actor=agent, ticket_id=live.id)
        service.add_message(
            session, actor=agent, ticket=t, data=MessageCreate(body="hi"), now=step(20), settings=settings
        )
    with db.unit_of_work() as session:
        t = service.get_ticket(session, actor=lead, ticket_id=live.id)
        service.update_ticket(
            session,
            actor=lead,
            ticket=t,
            data=TicketUpdate(group_id=team.l2, assignee_id=team.specialist.id, priority="P2"),
            now=step(30),
            settings=settings,
        )
    with db.unit_of_work() as session:
        t = service.get_ticket(session, actor=specialist, ticket_id=live.id)
        service.log_time(session, actor=specialist, ticket=t, data=TimeEntryCreate(seconds=600), now=step(40))
        service.transition(
            session, actor=specialist, ticket=t, to=Status.resolved, now=step(40), settings=settings
        )

    lines = [
        created("T1", 0, requester=team.customer.email, organization=None, group="L1 Support"),
        assign("T1", 10, team.agent.email, "L1 Support", "L1"),
        status("T1", 10, "assigned"),
        message("T1", 20, team.agent.email, "agent"),
        status("T1", 20, "in_progress"),
        priority("T1", 30, "P2"),  # the service writes the priority before the group and assignee
        assign("T1", 30, team.specialist.email, "L2 Specialists", "L2"),
        handle_time("T1", 40, team.specialist.email, 10),
        status("T1", 40, "resolved"),
    ]
    report = run(db, write(tmp_path / "same.jsonl", lines), settings)
    assert report.rejected == []

    def shape(ticket_id: int) -> list[tuple[object, ...]]:
        kept = ("created", "message", "change", "time")
        return [
            (
                kind,
                field,
                old if kind == "change" else None,
                new if kind == "change" else None,
                data,
                public,
                when,
            )
            for kind, field, old, new, data, public, when in _events(db, ticket_id)
            if kind in kept
        ]

    with db.unit_of_work(write=False) as session:
        imported = ticket(session, "T1")
        assert service.counters_of(imported) == service.counters_of(
            service.get_ticket(session, actor=lead, ticket_id=live.id)
        )
    assert shape(imported.id) == shape(live.id)


def test_only_what_lies_ahead_is_scheduled(db: Database, settings: Settings, tmp_path: Path) -> None:
    """Past warnings and breaches are history: no alarm announces them. A clock still running gets
    its alarm, and a recent resolution its auto-close, as live tickets do."""
    from supportops.jobs.models import Job

    to_now = (NOW - instant(0)).total_seconds() / 60
    lines = [
        created("OLD", 0),  # open since January: every clock breached long ago
        created("RECENT", to_now - 10),  # P3: first response due in 4 h, warned at 3 h
        created("SOLVED", to_now - 600),
        status("SOLVED", to_now - 40, "resolved"),
        created("LONG-SOLVED", 0),
        status("LONG-SOLVED", 100, "resolved"),
    ]
    run(db, write(tmp_path / "now.jsonl", lines), settings)
    with db.unit_of_work(write=False) as session:
        ids = {key: ticket(session, key).id for key in ("OLD", "RECENT", "SOLVED", "LONG-SOLVED")}
        jobs = sorted(
            (job.kind, job.payload["ticket_id"], job.run_at) for job in session.scalars(select(Job))
        )
    assert jobs == [
        ("sla.alarm", ids["RECENT"], NOW - timedelta(minutes=10) + timedelta(hours=3)),
        ("tickets.auto_close", ids["SOLVED"], NOW - timedelta(minutes=40) + timedelta(days=4)),
    ]
