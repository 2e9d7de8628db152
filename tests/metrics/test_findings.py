"""Findings: each anti-pattern fires on a history that shows it, names the right tickets, agents and
groups, and stays quiet on a near miss; thresholds are validated, stored and applied."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.kit.errors import InvalidInput
from supportops.metrics.findings import (
    DEFAULT_THRESHOLDS,
    PATTERNS,
    Finding,
    detect_all,
    load_thresholds,
    save_thresholds,
)
from supportops.metrics.findings.text import PhraseMatcher, flatten, recurring_issues, reply_key
from supportops.metrics.models import OpsSetting
from supportops.metrics.periods import Period
from supportops.tickets.enums import Channel, Status
from tests.conftest import START
from tests.metrics.findings_desk import Desk, make_desk

MONTH = Period.of(START, START + timedelta(days=30))


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


@pytest.fixture
def desk(db: Database, clock: FrozenClock) -> Desk:
    return make_desk(db, clock.now())


def only(**thresholds: Any) -> dict[str, dict[str, Any]]:
    """Thresholds for one run: ``min_tickets`` lowered to 1, so that small scenarios can fire (not
    for copy-paste, where it is the number of tickets a reply must be pasted on), plus overrides."""
    low = {p: {"min_tickets": 1} for p, t in DEFAULT_THRESHOLDS.items() if "min_tickets" in t}
    del low["copy_paste_responses"]
    for pattern, values in thresholds.items():
        low.setdefault(pattern, {}).update(values)
    return low


# --- speed over quality -------------------------------------------------------------------------


def _fast_and_slow(desk: Desk, *, slow_reopened: int) -> tuple[list[int], list[int]]:
    """Three tickets the agent resolves within 10 minutes (two come back, one is also rated 1) and
    three the specialist resolves after 5 hours (``slow_reopened`` of them come back)."""
    fast, slow = [], []
    for i in range(3):
        t = desk.open(at(i), assignee=desk.team.agent)
        desk.resolve(t, at(i) + timedelta(minutes=10))
        fast.append(t)
    desk.customer_says(fast[0], at(5))
    desk.resolve(fast[0], at(6))
    desk.rate(fast[0], at(7), 1)
    desk.customer_says(fast[1], at(5))
    desk.resolve(fast[1], at(6))
    for i in range(3):
        t = desk.open(at(10 + i), assignee=desk.team.specialist)
        desk.resolve(t, at(15 + i))
        if i < slow_reopened:
            desk.customer_says(t, at(20 + i))
            desk.resolve(t, at(21 + i))
        slow.append(t)
    return fast, slow


def test_speed_over_quality_names_fast_tickets_that_came_back(desk: Desk) -> None:
    fast, _ = _fast_and_slow(desk, slow_reopened=0)
    found = desk.findings(MONTH, only(speed_over_quality={"min_tickets": 2, "agent_min_tickets": 2}))
    f = found["speed_over_quality"]
    assert f.tickets == [fast[0], fast[1]]  # reopened and rated 1 first
    assert f.count == 2
    assert f.agents == [desk.team.agent.email]
    assert "2 of 3 tickets resolved within 60 min" in f.explanation and "0% of the other 3" in f.explanation
    assert f.thresholds["fast_minutes"] == 60


def test_speed_over_quality_is_quiet_when_slow_tickets_come_back_as_often(desk: Desk) -> None:
    _fast_and_slow(desk, slow_reopened=2)
    found = desk.findings(MONTH, only(speed_over_quality={"min_tickets": 2}))
    assert "speed_over_quality" not in found


# --- ticket tennis ------------------------------------------------------------------------------


def test_ticket_tennis_catches_bounces_and_many_hands_but_not_one_escalation(desk: Desk) -> None:
    team = desk.team
    bounced = desk.open(at(0), group=team.l1, assignee=team.agent)
    desk.hand(bounced, at(1), group=team.l2, assignee=team.specialist)
    desk.hand(bounced, at(2), group=team.l1, assignee=team.agent)
    desk.resolve(bounced, at(3))
    passed = desk.open(at(0), group=team.l1, assignee=team.agent)
    desk.hand(passed, at(1), group=team.l1, assignee=desk.third_agent)
    desk.hand(passed, at(2), group=team.l1, assignee=team.lead)
    desk.resolve(passed, at(3), by=team.lead)
    once = desk.open(at(0), group=team.l1, assignee=team.agent)
    desk.hand(once, at(1), group=team.l2, assignee=team.specialist)
    desk.resolve(once, at(3), by=team.specialist)
    still_open = desk.open(at(0), group=team.l1, assignee=team.agent)
    desk.hand(still_open, at(1), group=team.l2, assignee=team.specialist)
    desk.hand(still_open, at(2), group=team.l1, assignee=team.agent)

    f = desk.findings(MONTH, only())["ticket_tennis"]
    assert sorted(f.tickets) == sorted([bounced, passed]) and f.count == 2
    assert f.details == [{"between": ["L1 Support", "L2 Specialists"], "tickets": 1}]
    assert f.groups[0] == "L1 Support" and "L2 Specialists" in f.groups
    assert "bounced A\u2192B\u2192A between groups (1)" in f.explanation

    stricter = desk.findings(MONTH, only(ticket_tennis={"min_handoffs": 4}))["ticket_tennis"]
    assert stricter.tickets == [bounced]  # a bounce is tennis whatever the station count


# --- knowledge hoarding -------------------------------------------------------------------------

PASSWORD = [
    "Can't log in after password reset",
    "Can't log in after password reset",
    "Still can't log in after my password reset",
    "Password reset done, can't log in",
    "Can't log in since the password reset!",
]


def _resolved_in(desk: Desk, subjects: list[str], category: str, hour: float) -> list[int]:
    ids = []
    for i, subject in enumerate(subjects):
        t = desk.open(at(hour + i), subject, category=category, assignee=desk.team.agent)
        desk.resolve(t, at(hour + i + 1))
        ids.append(t)
    return ids


def test_knowledge_hoarding_lists_the_recurring_issue_with_a_title(desk: Desk) -> None:
    password = _resolved_in(desk, PASSWORD, "account", 0)
    _resolved_in(desk, ["Change the email on our admin account", "Delete my account"], "account", 10)
    _resolved_in(desk, [f"Charged twice for the {m} invoice" for m in ("May", "June")], "billing", 20)
    f = desk.findings(MONTH, only())["knowledge_hoarding"]
    assert sorted(f.tickets) == sorted(password) and f.count == 5
    (issue,) = f.details
    assert issue["suggested_title"] == "Can't log in after password reset"
    assert issue["category"] == "account" and issue["terms"] == ["log", "password", "reset"]
    assert "1 recurring issue" in f.explanation and f.agents == [desk.team.agent.email]


def test_knowledge_hoarding_needs_enough_tickets_for_an_issue(desk: Desk) -> None:
    _resolved_in(desk, PASSWORD[:4], "account", 0)
    assert "knowledge_hoarding" not in desk.findings(MONTH, only())


def test_recurring_issues_keep_slot_values_together_and_issues_apart() -> None:
    months = ("March", "April", "May", "June", "July")
    docs = [(i, "billing", f"Charged twice for the {m} invoice") for i, m in enumerate(months)]
    docs += [(10 + i, "Billing", f"Invoice INV-{i:04} shows the wrong VAT number") for i in range(5)]
    docs += [(20 + i, "account", f"Charged twice for the {m} invoice") for i, m in enumerate(months[:4])]
    issues = recurring_issues(docs, min_tickets=5, signature_terms=3, max_term_share=0.5)
    assert [(i.category, sorted(i.tickets)) for i in issues] == [
        ("billing", [0, 1, 2, 3, 4]),
        ("billing", [10, 11, 12, 13, 14]),
    ]
    assert issues[1].title() == "Invoice INV-0000 shows the wrong VAT number"
    assert issues[0].terms() == ["charged", "twice"]


# --- metric gaming ------------------------------------------------------------------------------


def test_metric_gaming_flags_quick_reopens_and_pending_without_a_question(desk: Desk) -> None:
    quick = desk.open(at(0), assignee=desk.team.agent)
    desk.resolve(quick, at(1))
    desk.customer_says(quick, at(3))
    desk.resolve(quick, at(5))
    late = desk.open(at(0), assignee=desk.team.agent)
    desk.resolve(late, at(1))
    desk.customer_says(late, at(81))
    desk.resolve(late, at(82))
    parked = desk.open(at(0), assignee=desk.third_agent, group=desk.team.l1)
    desk.reply(
        parked, at(1), "Here is the fix, it should work now.", by=desk.third_agent, status=Status.pending
    )
    desk.resolve(parked, at(30), by=desk.third_agent)
    asked = desk.open(at(0), assignee=desk.team.agent)
    desk.reply(asked, at(1), "Could you send me the export log?", status=Status.pending)
    desk.customer_says(asked, at(2), "Attached.")
    desk.resolve(asked, at(3))
    closed = desk.open(at(0), assignee=desk.team.agent)
    desk.resolve(closed, at(1))
    desk.move(closed, at(2), Status.closed)
    desk.customer_says(closed, at(20), "The same problem is back.")  # opens a linked follow-up
    answered = desk.open(at(0), assignee=desk.team.agent)
    desk.reply(answered, at(1), "Which browser do you use?")
    desk.customer_says(answered, at(2), "The latest one.")
    desk.move(answered, at(3), Status.pending)
    desk.resolve(answered, at(30))

    f = desk.findings(MONTH, only())["metric_gaming"]
    assert sorted(f.tickets) == sorted([quick, parked, answered, closed])
    assert {d["signal"]: d["tickets"] for d in f.details} == {
        "reopened_soon": 1,
        "follow_up_soon": 1,
        "pending_without_question": 2,
    }
    assert "1 reopened within 72 h" in f.explanation
    assert set(f.agents) == {desk.team.agent.email, desk.third_agent.email}

    patient = desk.findings(MONTH, only(metric_gaming={"reopen_within_hours": 1}))["metric_gaming"]
    assert quick not in patient.tickets and closed not in patient.tickets


# --- escalation avoidance -----------------------------------------------------------------------


def test_escalation_avoidance_flags_holds_past_a_breach_or_too_long(desk: Desk) -> None:
    team = desk.team
    breached = desk.open(at(0), priority="P1", group=team.l1, assignee=team.agent)
    prompt = desk.open(at(0), priority="P1", group=team.l1, assignee=team.agent)
    desk.reply(prompt, at(0) + timedelta(minutes=5), "Looking into it now.")
    desk.escalate(prompt, at(0) + timedelta(minutes=10))
    desk.run_jobs(at(0) + timedelta(minutes=20))  # the P1 first response (15 min) breaches
    desk.escalate(breached, at(0) + timedelta(minutes=30))
    held = desk.open(at(0), priority="P5", group=team.l1, assignee=desk.third_agent)
    desk.reply(held, at(0) + timedelta(minutes=10), "We are on it.", by=desk.third_agent)
    desk.escalate(held, at(30), by=desk.third_agent)
    for t in (breached, prompt, held):
        desk.hand(t, at(31), group=team.l2, assignee=team.specialist)
        desk.resolve(t, at(32), by=team.specialist)

    f = desk.findings(MONTH, only())["escalation_avoidance"]
    assert f.tickets == [breached, held]  # the breach first, then the long hold
    assert f.details == [{"breached": "first_response", "tickets": 1}]
    assert f.agents == sorted([team.agent.email, desk.third_agent.email]) and f.groups == ["L1 Support"]
    assert "past a breached SLA (1)" in f.explanation and "30 h" in f.explanation

    longer = desk.findings(MONTH, only(escalation_avoidance={"max_hold_hours": 31}))["escalation_avoidance"]
    assert longer.tickets == [breached]


# --- channel forcing ----------------------------------------------------------------------------


def test_channel_forcing_finds_replies_sending_the_customer_elsewhere(desk: Desk) -> None:
    def ticket(channel: Channel, body: str, *, public: bool = True) -> int:
        t = desk.open(at(0), channel=channel, assignee=desk.team.agent)
        desk.reply(t, at(1), body, public=public)
        desk.resolve(t, at(2))
        return t

    to_phone = ticket(
        Channel.email, "Hi Ann,\n\nPlease CALL us at 555 0100 and we will sort it out.\n\nThanks,\nSam"
    )
    ticket(Channel.phone, "Please call us at 555 0100 again if it happens.")
    ticket(Channel.email, "I fixed the export.\n\nBest regards,\nSam\nCall us at 555 0100")
    ticket(Channel.web, "Customer asked us to call us at their office.", public=False)
    to_email = ticket(Channel.chat, "You can email us at help@example.com with the file.")
    ticket(Channel.email, "The recall us at the door step is a typo.")

    f = desk.findings(MONTH, only())["channel_forcing"]
    assert sorted(f.tickets) == sorted([to_phone, to_email]) and f.count == 2
    assert sorted(f.details, key=lambda d: d["to_channel"]) == [
        {"to_channel": "email", "replies": 1},
        {"to_channel": "phone", "replies": 1},
    ]
    assert f.agents == [desk.team.agent.email]


def test_phrase_matching_ignores_case_spacing_and_partial_words() -> None:
    m = PhraseMatcher(["call us at", "e-mail us at"])
    assert m.search(flatten("Please Call\n us   at 555")) == "call us at"
    assert m.search(flatten("please e-mail us at x")) == "e-mail us at"
    assert m.search(flatten("recall us at once")) is None
    assert m.search(flatten("call us atlanta")) is None


# --- copy-paste responses -----------------------------------------------------------------------

PASTED = "Hi {name},\n\nPlease clear your browser cache and try the export again.\n\nBest regards,\nSam"


def _pasted_on_five(desk: Desk, *, reopened: int) -> list[int]:
    ids = []
    for i, name in enumerate(("Ann", "Bob", "Cy", "Dee", "Eve")):
        t = desk.open(at(i), assignee=desk.team.agent)
        desk.reply(t, at(i) + timedelta(minutes=5), PASTED.format(name=name))
        desk.resolve(t, at(i) + timedelta(minutes=10))
        if i < reopened:
            desk.customer_says(t, at(i + 10), "Still broken.")
            desk.resolve(t, at(i + 11))
        ids.append(t)
    for i in range(5):
        t = desk.open(at(20 + i), assignee=desk.team.agent)
        desk.reply(t, at(20 + i), f"The report for team {i} is fixed now; it was a permissions issue.")
        desk.resolve(t, at(21 + i))
    return ids


def test_copy_paste_responses_flag_a_pasted_reply_that_keeps_coming_back(desk: Desk) -> None:
    ids = _pasted_on_five(desk, reopened=4)
    f = desk.findings(MONTH, only())["copy_paste_responses"]
    assert f.tickets == sorted(ids[:4], reverse=True) and f.count == 4
    (reply,) = f.details
    assert reply["reply"] == "Please clear your browser cache and try the export again"
    assert (reply["tickets"], reply["reopened_or_low"]) == (5, 4)
    assert "on 4 of 5 tickets (80%, team 40%)" in f.explanation


def test_copy_paste_responses_quiet_when_the_pasted_reply_works(desk: Desk) -> None:
    _pasted_on_five(desk, reopened=1)
    assert "copy_paste_responses" not in desk.findings(MONTH, only())


def test_reply_key_ignores_greeting_sign_off_case_and_numbers() -> None:
    a = reply_key("Hello Ann,\n\nYour refund of 25 EUR is on its way.\n\nKind regards,\nSam\nSupport")
    b = reply_key("Dear Bob!\nYour refund of 130 EUR is   on its way\n\nThanks,\nJo")
    assert a == b == "your refund of eur is on its way"
    assert reply_key("Your refund is on its way.") != reply_key("Your refund was declined.")


# --- invisible backlog --------------------------------------------------------------------------


def test_invisible_backlog_finds_open_tickets_nobody_touched(desk: Desk) -> None:
    end = START + timedelta(days=30)
    forgotten = desk.open(at(24), assignee=desk.team.agent)
    touched = desk.open(at(24), assignee=desk.team.agent)
    desk.reply(touched, end - timedelta(days=1), "Still checking with the team.", public=False)
    waiting = desk.open(at(24), assignee=desk.team.agent)
    desk.reply(waiting, at(25), "Could you send the file?", status=Status.pending)
    solved = desk.open(at(24), assignee=desk.team.agent)
    desk.resolve(solved, at(26))
    found_later = desk.open(at(25))
    desk.reply(found_later, end + timedelta(days=9), "Sorry for the wait, looking now.")
    desk.open(end - timedelta(days=2))

    f = desk.findings(Period.of(START, end, end + timedelta(days=10)), only())["invisible_backlog"]
    assert f.tickets == [forgotten, found_later]  # the longest untouched first
    assert f.agents == [desk.team.agent.email]
    assert "2 open tickets had no activity for 3 days or more at the end of the period" in f.explanation
    assert "1 of them unassigned" in f.explanation

    now = desk.findings(Period.of(START, end + timedelta(days=10)), only())["invisible_backlog"]
    assert found_later not in now.tickets and forgotten in now.tickets


# --- no feedback loop ---------------------------------------------------------------------------


def test_no_feedback_loop_finds_bugs_and_requests_never_passed_to_product(desk: Desk) -> None:
    def ticket(**fields: Any) -> int:
        t = desk.open(at(0), assignee=desk.team.agent, **fields)
        desk.resolve(t, at(1))
        return t

    lost = ticket(category="bug")
    passed = ticket(category="bug")
    desk.tag(passed, at(2), tags=["product-feedback"])
    ticket(category="feature-request", custom_fields={"feedback_url": "https://product.example/ideas/7"})
    ticket(category="how-to")
    shouted = ticket(category="Bug", priority="P1")

    f = desk.findings(MONTH, only())["no_feedback_loop"]
    assert f.tickets == [shouted, lost]  # the higher priority first
    assert f.explanation.startswith("2 of 4 bug or feature-request tickets")
    assert f.agents == [desk.team.agent.email]

    wider = desk.findings(MONTH, only(no_feedback_loop={"feedback_tags": [], "feedback_fields": []}))
    assert wider["no_feedback_loop"].count == 4


# --- over-automation ----------------------------------------------------------------------------


def _bots_and_humans(desk: Desk, *, bot_score: int) -> list[int]:
    bots = []
    for i in range(3):
        t = desk.open(at(i), assignee=desk.team.agent)
        desk.bot_says(t, at(i) + timedelta(minutes=1), "This article answers your question: /kb/42")
        desk.system_resolves(t, at(i) + timedelta(minutes=2))
        desk.rate(t, at(i + 1), bot_score)
        bots.append(t)
    for i in range(3):
        t = desk.open(at(10 + i), assignee=desk.team.agent)
        desk.reply(t, at(10 + i), "I have fixed the export for you.")
        desk.resolve(t, at(11 + i))
        desk.rate(t, at(12 + i), 5)
    return bots


def test_over_automation_flags_bot_only_tickets_rated_worse(desk: Desk) -> None:
    bots = _bots_and_humans(desk, bot_score=2)
    thresholds = only(over_automation={"min_tickets": 3, "min_ratings": 3})
    f = desk.findings(MONTH, thresholds)["over_automation"]
    assert f.tickets == sorted(bots, reverse=True) and f.count == 3
    assert "CSAT 0% against 100%" in f.explanation
    assert [d["csat"] for d in f.details] == [0.0, 1.0]


def test_over_automation_quiet_when_bots_do_as_well(desk: Desk) -> None:
    _bots_and_humans(desk, bot_score=5)
    thresholds = only(over_automation={"min_tickets": 3, "min_ratings": 3})
    assert "over_automation" not in desk.findings(MONTH, thresholds)


# --- the run as a whole -------------------------------------------------------------------------


def test_findings_come_most_tickets_first_and_cut_the_evidence(desk: Desk) -> None:
    _pasted_on_five(desk, reopened=4)
    desk.open(at(24), assignee=desk.team.agent)
    found = desk.findings(MONTH, only(), evidence_limit=1)
    counts = [f.count for f in found.values()]
    assert counts == sorted(counts, reverse=True)
    assert {"copy_paste_responses", "metric_gaming", "invisible_backlog"} <= set(found)
    assert all(len(f.tickets) == 1 for f in found.values())
    assert found["copy_paste_responses"].count == 4


def test_as_dict_is_plain_data() -> None:
    f = Finding("ticket_tennis", "Ticket tennis", "x", [3, 1], 2, ["a@x"], ["L1"], {"min_handoffs": 3})
    data = f.as_dict()
    assert data == {
        "pattern": "ticket_tennis",
        "title": "Ticket tennis",
        "explanation": "x",
        "tickets": [3, 1],
        "count": 2,
        "agents": ["a@x"],
        "groups": ["L1"],
        "thresholds": {"min_handoffs": 3},
        "details": [],
    }
    data["tickets"].append(9)
    assert f.tickets == [3, 1]


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, 10_001])
def test_a_bad_evidence_limit_is_refused(db: Database, limit: Any) -> None:
    with db.unit_of_work(write=False) as session, pytest.raises(InvalidInput) as err:
        detect_all(session, MONTH, evidence_limit=limit)
    assert err.value.field == "evidence_limit"


# --- thresholds ---------------------------------------------------------------------------------


def test_every_pattern_has_thresholds_and_nothing_fires_on_an_empty_desk(db: Database) -> None:
    assert tuple(DEFAULT_THRESHOLDS) == PATTERNS
    with db.unit_of_work(write=False) as session:
        assert load_thresholds(session) == DEFAULT_THRESHOLDS
        assert detect_all(session, MONTH) == []


def test_saved_thresholds_overlay_the_defaults_and_reset_with_null(db: Database) -> None:
    with db.unit_of_work() as session:
        saved = save_thresholds(session, {"ticket_tennis": {"min_handoffs": 4}}, now=START)
        assert saved["ticket_tennis"] == {"min_handoffs": 4, "min_tickets": 3}
    with db.unit_of_work() as session:
        save_thresholds(
            session, {"channel_forcing": {"phone_phrases": ["  ring us  ", "ring us"]}}, now=START
        )
    with db.unit_of_work(write=False) as session:
        loaded = load_thresholds(session)
        assert loaded["ticket_tennis"]["min_handoffs"] == 4
        assert loaded["channel_forcing"]["phone_phrases"] == ["ring us"]
        assert loaded["speed_over_quality"] == DEFAULT_THRESHOLDS["speed_over_quality"]
    with db.unit_of_work() as session:
        reset = save_thresholds(session, {"ticket_tennis": {"min_handoffs": None}}, now=START)
        assert reset["ticket_tennis"]["min_handoffs"] == 3
        stored = session.scalar(select(OpsSetting.value).where(OpsSetting.key == "findings"))
        assert stored == {"channel_forcing": {"phone_phrases": ["ring us"]}}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ("min_handoffs=3", "findings"),
        ({"tennis": {"min_handoffs": 3}}, "findings.tennis"),
        ({"ticket_tennis": 3}, "findings.ticket_tennis"),
        ({"ticket_tennis": {"handoffs": 3}}, "findings.ticket_tennis.handoffs"),
        ({"ticket_tennis": {"min_handoffs": "3"}}, "findings.ticket_tennis.min_handoffs"),
        ({"ticket_tennis": {"min_handoffs": True}}, "findings.ticket_tennis.min_handoffs"),
        ({"ticket_tennis": {"min_handoffs": 3.5}}, "findings.ticket_tennis.min_handoffs"),
        ({"ticket_tennis": {"min_handoffs": 1}}, "findings.ticket_tennis.min_handoffs"),
        ({"copy_paste_responses": {"min_bad_rate": 2}}, "findings.copy_paste_responses.min_bad_rate"),
        ({"speed_over_quality": {"fast_minutes": float("nan")}}, "findings.speed_over_quality.fast_minutes"),
        ({"speed_over_quality": {"fast_minutes": 10**400}}, "findings.speed_over_quality.fast_minutes"),
        ({"invisible_backlog": {"min_tickets": 10**400}}, "findings.invisible_backlog.min_tickets"),
        ({"channel_forcing": {"phone_phrases": "call us"}}, "findings.channel_forcing.phone_phrases"),
        ({"channel_forcing": {"phone_phrases": ["call us", 3]}}, "findings.channel_forcing.phone_phrases"),
        ({"channel_forcing": {"phone_phrases": ["  "]}}, "findings.channel_forcing.phone_phrases"),
        ({"escalation_avoidance": {"hold_tiers": ["L9"]}}, "findings.escalation_avoidance.hold_tiers"),
        ({"invisible_backlog": {"statuses": ["open"]}}, "findings.invisible_backlog.statuses"),
        (
            {"no_feedback_loop": {"feedback_fields": ["Feedback URL"]}},
            "findings.no_feedback_loop.feedback_fields",
        ),
    ],
)
def test_bad_thresholds_are_refused_by_name_and_nothing_is_stored(
    db: Database, values: Any, field: str
) -> None:
    with db.unit_of_work() as session:
        save_thresholds(session, {"ticket_tennis": {"min_handoffs": 5}}, now=START)
    with db.unit_of_work() as session, pytest.raises(InvalidInput) as err:
        save_thresholds(
            session,
            {"ticket_tennis": {"min_tickets": 9}, **values} if isinstance(values, dict) else values,
            now=START,
        )
    assert err.value.field == field
    with db.unit_of_work(write=False) as session:
        assert load_thresholds(session)["ticket_tennis"] == {"min_handoffs": 5, "min_tickets": 3}
        with pytest.raises(InvalidInput) as again:
            detect_all(session, MONTH, values)
        assert again.value.field == field


def test_the_stored_thresholds_apply_unless_a_run_names_its_own(desk: Desk) -> None:
    team = desk.team
    passed = desk.open(at(0), group=team.l1, assignee=team.agent)
    desk.hand(passed, at(1), group=team.l1, assignee=desk.third_agent)
    desk.hand(passed, at(2), group=team.l1, assignee=team.lead)
    desk.resolve(passed, at(3), by=team.lead)
    with desk.db.unit_of_work() as session:
        save_thresholds(session, {"ticket_tennis": {"min_tickets": 1}}, now=START)
    with desk.db.unit_of_work(write=False) as session:
        stored = {f.pattern: f for f in detect_all(session, MONTH)}
        assert stored["ticket_tennis"].tickets == [passed]
        assert stored["ticket_tennis"].thresholds == {"min_handoffs": 3, "min_tickets": 1}
    with desk.db.unit_of_work() as session:
        save_thresholds(session, {"ticket_tennis": {"min_handoffs": 4}}, now=START)
    with desk.db.unit_of_work(write=False) as session:
        assert "ticket_tennis" not in {f.pattern for f in detect_all(session, MONTH)}
        named = detect_all(session, MONTH, {"ticket_tennis": {"min_tickets": 1}})
        assert [f.tickets for f in named if f.pattern == "ticket_tennis"] == [[passed]]


def test_boilerplate_subjects_from_an_import_form_no_issue() -> None:
    # Imported cases carry a source label and an id as their subject, five to a product.
    docs = [(i, f"prod{i % 8}", f"bpic2013 case 1-{737393337 + i}") for i in range(40)]
    assert recurring_issues(docs, min_tickets=5, signature_terms=3, max_term_share=0.5) == []
    # The same label beside real words still lets the real issue through.
    docs += [(100 + i, "billing", f"bpic2013 invoice charged twice {i}") for i in range(5)]
    issues = recurring_issues(docs, min_tickets=5, signature_terms=3, max_term_share=0.5)
    assert [sorted(i.stems) for i in issues] == [["charg", "invoic", "twic"]]
