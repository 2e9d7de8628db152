"""The demo data behind the ops report: satisfaction and relationship surveys, the agents' presence
log and the self-service resolutions, checked against the tickets' own history and the bands the
report shows (utilization 60-85%, deflection 25-35%, NPS about +20..+40)."""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select

from supportops.auth.models import User
from supportops.db.session import Database
from supportops.demo import catalog
from supportops.demo.generator import DemoSummary, span_days
from supportops.demo.generator.customers import _NpsWaves, _wave_times
from supportops.knowledge.models import SelfServiceEvent
from supportops.routing.models import PresenceChange
from supportops.surveys.models import CsatSurvey, NpsSurvey
from supportops.tickets.models import Ticket, TicketEvent, TimeEntry

Loaded = tuple[Database, DemoSummary]
M = TypeVar("M")
DAY = timedelta(days=1)


def _all(db: Database, model: type[M], *order: Any) -> list[M]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(model).order_by(*order)))


def _status_events(db: Database) -> dict[int, list[TicketEvent]]:
    out: dict[int, list[TicketEvent]] = defaultdict(list)
    with db.unit_of_work(write=False) as session:
        query = (
            select(TicketEvent)
            .where(TicketEvent.kind == "change", TicketEvent.field == "status")
            .order_by(TicketEvent.ticket_id, TicketEvent.id)
        )
        for event in session.scalars(query):
            out[event.ticket_id].append(event)
    return out


def _online(db: Database, now: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Per agent, the stretches between each ``online`` and the next change (or ``now``)."""
    stretches: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    log = _all(db, PresenceChange, PresenceChange.agent_id, PresenceChange.at, PresenceChange.id)
    for agent_id, changes in itertools.groupby(log, key=lambda c: c.agent_id):
        since: datetime | None = None
        for change in changes:
            if since is not None:
                stretches[agent_id].append((since, change.at))
                since = None
            if change.state == "online":
                since = change.at
        if since is not None:
            stretches[agent_id].append((since, now))
    return stretches


def _seconds(stretches: Iterable[tuple[datetime, datetime]]) -> float:
    return sum((end - begin).total_seconds() for begin, end in stretches)


# --- satisfaction surveys -----------------------------------------------------------------------


def test_every_resolution_has_exactly_one_survey_sent_as_it_happened(mid_loaded: Loaded) -> None:
    db, summary = mid_loaded
    resolutions = {
        (ticket_id, e.at)
        for ticket_id, events in _status_events(db).items()
        for e in events
        if e.new_value == "resolved"
    }
    surveys = _all(db, CsatSurvey, CsatSurvey.id)
    keys = [(s.ticket_id, s.resolved_at) for s in surveys]
    assert len(keys) == len(set(keys)) == summary.csat_surveys
    assert set(keys) == resolutions
    requester = {t.id: t.requester_id for t in _all(db, Ticket, Ticket.id)}
    for survey in surveys:
        assert survey.requester_id == requester[survey.ticket_id]
        assert survey.sent_at == survey.resolved_at
        assert survey.source == "demo"


def test_about_two_in_five_surveys_are_answered_after_the_resolution_and_before_any_reopen(
    mid_loaded: Loaded, demo_now: datetime
) -> None:
    db, _ = mid_loaded
    reopened_at: dict[tuple[int, datetime], datetime] = {}
    for ticket_id, events in _status_events(db).items():
        for before, after in itertools.pairwise(events):
            if before.new_value == "resolved" and after.new_value != "closed":
                reopened_at[(ticket_id, before.at)] = after.at
    surveys = _all(db, CsatSurvey, CsatSurvey.id)
    answered = [s for s in surveys if s.answered_at is not None]
    assert 0.30 < len(answered) / len(surveys) < 0.50
    for survey in surveys:
        if survey.answered_at is None:
            assert survey.score is None and survey.comment == ""
            continue
        assert survey.resolved_at < survey.answered_at <= demo_now
        assert survey.answered_at <= survey.resolved_at + 3 * DAY
        assert survey.score in (1, 2, 3, 4, 5)
        reopen = reopened_at.get((survey.ticket_id, survey.resolved_at))
        assert reopen is None or survey.answered_at < reopen
    assert any(key in reopened_at for key in ((s.ticket_id, s.resolved_at) for s in answered))

    commented = [s for s in answered if s.comment]
    assert 0.2 < len(commented) / len(answered) < 0.5
    assert all("{" not in s.comment for s in commented)
    negative = {c.split(",")[0] for c in catalog.CSAT_COMMENTS["negative"]}
    assert all(s.comment.split(",")[0] not in negative for s in commented if s.score and s.score >= 4)
    share_good = sum(s.score is not None and s.score >= 4 for s in answered) / len(answered)
    assert 0.80 < share_good < 0.95


def test_resolutions_after_a_reopen_are_rated_lower(mid_loaded: Loaded) -> None:
    db, _ = mid_loaded
    first_resolution: dict[int, datetime] = {}
    for ticket_id, events in _status_events(db).items():
        resolved = [e.at for e in events if e.new_value == "resolved"]
        if resolved:
            first_resolution[ticket_id] = resolved[0]
    firsts: list[int] = []
    later: list[int] = []
    for survey in _all(db, CsatSurvey, CsatSurvey.id):
        if survey.score is not None:
            is_first = survey.resolved_at == first_resolution[survey.ticket_id]
            (firsts if is_first else later).append(survey.score)
    assert len(later) >= 20
    assert sum(later) / len(later) < sum(firsts) / len(firsts) - 0.5


def test_csat_is_no_longer_kept_on_the_ticket(mid_loaded: Loaded) -> None:
    db, _ = mid_loaded
    assert all(t.custom_fields == {} for t in _all(db, Ticket, Ticket.id))
    with db.unit_of_work(write=False) as session:
        changed = session.scalars(select(TicketEvent.id).where(TicketEvent.field == "custom_fields")).first()
    assert changed is None


# --- relationship (NPS) survey ------------------------------------------------------------------


def test_survey_waves_are_90_days_apart_on_tuesday_afternoons_and_a_month_before_now() -> None:
    now = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp())
    start = now - 730 * 86400
    waves = [datetime.fromtimestamp(w, UTC) for w in _wave_times(start, now)]
    assert len(waves) == 8
    assert all(w.weekday() == 1 and (w.hour, w.minute) == (14, 0) for w in waves)
    assert all(timedelta(days=84) <= b - a <= timedelta(days=96) for a, b in itertools.pairwise(waves))
    last = datetime.fromtimestamp(now, UTC)
    assert timedelta(days=30) <= last - waves[-1] < timedelta(days=37)
    assert waves[0] >= datetime.fromtimestamp(start, UTC) + timedelta(days=7)
    assert _wave_times(now - 40 * 86400, now) == []  # too little history before any wave


def test_nps_goes_to_each_customer_with_a_ticket_in_the_90_days_before_the_wave(
    mid_loaded: Loaded, demo_now: datetime
) -> None:
    db, summary = mid_loaded
    surveys = _all(db, NpsSurvey, NpsSurvey.id)
    assert len(surveys) == summary.nps_surveys > 0
    tickets = _all(db, Ticket, Ticket.id)
    by_wave: dict[datetime, list[NpsSurvey]] = defaultdict(list)
    for survey in surveys:
        wave = survey.sent_at.replace(hour=14, minute=0, second=0, microsecond=0)
        assert wave <= survey.sent_at < wave + timedelta(hours=2)
        by_wave[wave].append(survey)
    for wave, sent in by_wave.items():
        active = {t.requester_id for t in tickets if wave - 90 * DAY <= t.created_at < wave}
        recipients = [s.customer_id for s in sent]
        assert len(recipients) == len(set(recipients))
        assert set(recipients) == active

    answered = [s for s in surveys if s.answered_at is not None]
    assert 0.15 < len(answered) / len(surveys) < 0.35
    for survey in surveys:
        if survey.answered_at is None:
            assert survey.score is None and survey.comment == ""
        else:
            assert survey.sent_at < survey.answered_at <= min(demo_now, survey.sent_at + 14 * DAY)
            assert survey.score is not None and 0 <= survey.score <= 10
        assert survey.source == "demo"


def _nps(scores: list[int]) -> float:
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_nps_is_about_plus_30_and_lower_for_customers_whose_tickets_went_badly() -> None:
    """The score model on a large synthetic wave: customers with no bad ticket, with some, and
    with only bad ones."""
    now = 400 * 86400
    waves = _NpsWaves(start=0, now=now)
    wave = waves.waves[-1]
    groups = {"clean": range(0, 4000), "mixed": range(4000, 8000), "bad": range(8000, 12000)}
    for index in groups["clean"]:
        waves.note(wave - 86400, index, False)
    for index in groups["mixed"]:
        for unhappy in (True, False, False, False):
            waves.note(wave - 86400, index, unhappy)
    for index in groups["bad"]:
        waves.note(wave - 86400, index, True)
    numbers = itertools.count(1)
    sent = waves.rows(random.Random(3), range(1, 12001), lambda: next(numbers))
    assert len(sent) == 12000 and len({r["id"] for r in sent}) == 12000
    rows = [r for r in sent if r["score"] is not None]
    scores = {
        name: [r["score"] for r in rows if r["customer_id"] - 1 in members]
        for name, members in groups.items()
    }
    assert all(len(s) > 700 for s in scores.values())
    clean, mixed, bad = (_nps(scores[name]) for name in ("clean", "mixed", "bad"))
    assert 35 <= clean <= 50
    assert -10 <= bad <= 10
    assert bad < mixed < clean
    assert 20 <= mixed <= 40  # a quarter of the tickets went badly: about the demo's mix


def test_the_demo_nps_lands_around_plus_20_to_plus_40(mid_loaded: Loaded) -> None:
    scores = [s.score for s in _all(mid_loaded[0], NpsSurvey, NpsSurvey.id) if s.score is not None]
    assert len(scores) >= 50
    assert 15 <= _nps(scores) <= 45


# --- presence and utilization -------------------------------------------------------------------


def test_presence_log_alternates_sensibly_for_every_agent_and_nobody_else(
    mid_loaded: Loaded, demo_now: datetime
) -> None:
    db, summary = mid_loaded
    log = _all(db, PresenceChange, PresenceChange.agent_id, PresenceChange.at, PresenceChange.id)
    assert len(log) == summary.presence_changes
    with db.unit_of_work(write=False) as session:
        agents = set(session.scalars(select(User.id).where(User.role == "agent")))
    assert {c.agent_id for c in log} == agents
    first_day = demo_now - span_days(summary.tickets) * DAY
    breaks = 0
    for _, changes in itertools.groupby(log, key=lambda c: c.agent_id):
        states = list(changes)
        assert states[0].state == "online"
        for before, after in itertools.pairwise(states):
            assert before.at < after.at
            assert before.state != after.state
            assert after.state in ("online", "away", "offline")
            if before.state == "offline":
                assert after.state == "online"
            if before.state == "away":
                assert after.state == "online" and after.at - before.at <= timedelta(hours=1)
                breaks += 1
        assert all(first_day <= c.at <= demo_now for c in states)
    assert breaks >= 50  # lunch breaks on long days


def test_shifts_are_on_weekdays_in_working_hours_of_the_agents_own_time_zone(
    mid_loaded: Loaded, demo_now: datetime
) -> None:
    db, _ = mid_loaded
    with db.unit_of_work(write=False) as session:
        zones = {
            u.id: ZoneInfo(u.timezone) for u in session.scalars(select(User).where(User.role == "agent"))
        }
    weekday = day_time = total = 0.0
    days_worked: dict[int, set[date]] = defaultdict(set)
    for agent_id, stretches in _online(db, demo_now).items():
        for begin, end in stretches:
            seconds = (end - begin).total_seconds()
            local = begin.astimezone(zones[agent_id])
            total += seconds
            weekday += seconds if local.weekday() < 5 else 0
            day_time += seconds if 6 <= local.hour < 22 else 0
            if seconds > 3600:
                days_worked[agent_id].add(local.date())
    assert weekday / total > 0.9 and day_time / total > 0.9
    # mostly at work on weekdays, with days off: sick days, vacations, part-timers' free days
    recent = [(demo_now - i * DAY).date() for i in range(1, 101)]
    weekdays = {d for d in recent if d.weekday() < 5}
    worked = {agent: days & weekdays for agent, days in days_worked.items()}
    days_off = sum(len(weekdays) - len(days) for days in worked.values())
    assert len(worked) <= days_off <= 0.4 * len(weekdays) * len(worked)
    assert max(len(days) for days in worked.values()) >= 0.8 * len(weekdays)


def test_handle_time_lies_within_time_online(mid_loaded: Loaded, demo_now: datetime) -> None:
    db, _ = mid_loaded
    stretches = _online(db, demo_now)
    begins = {agent: [b for b, _ in s] for agent, s in stretches.items()}
    inside = total = 0.0
    for entry in _all(db, TimeEntry, TimeEntry.id):
        begin, end = entry.started_at, entry.started_at + timedelta(seconds=entry.seconds)
        total += entry.seconds
        agent = stretches.get(entry.agent_id, [])
        i = bisect.bisect_right(begins.get(entry.agent_id, []), end)
        for online_from, online_until in agent[max(0, i - 3) : i]:
            overlap = (min(end, online_until) - max(begin, online_from)).total_seconds()
            inside += max(0.0, overlap)
    assert total > 0
    assert inside / total > 0.99


def test_utilization_over_the_demo_and_each_full_month_is_in_band(
    mid_loaded: Loaded, demo_now: datetime
) -> None:
    db, _ = mid_loaded
    entries = _all(db, TimeEntry, TimeEntry.id)
    stretches = [s for agent in _online(db, demo_now).values() for s in agent]
    utilization = sum(e.seconds for e in entries) / _seconds(stretches)
    assert 0.60 <= utilization <= 0.85, utilization

    handle: Counter[tuple[int, int]] = Counter()
    online: defaultdict[tuple[int, int], float] = defaultdict(float)
    for entry in entries:
        handle[(entry.started_at.year, entry.started_at.month)] += entry.seconds
    for begin, end in stretches:
        online[(begin.year, begin.month)] += (end - begin).total_seconds()
    months = sorted(online)[1:-1]  # whole months only
    assert len(months) >= 2
    for month in months:
        assert 0.50 <= handle[month] / online[month] <= 0.95, (month, handle[month] / online[month])


# --- self-service -------------------------------------------------------------------------------


def test_self_service_deflects_a_quarter_to_a_third_in_the_tickets_rhythm(
    mid_loaded: Loaded, demo_now: datetime
) -> None:
    db, summary = mid_loaded
    events = _all(db, SelfServiceEvent, SelfServiceEvent.id)
    assert len(events) == summary.self_service_events
    outcomes = Counter(e.outcome for e in events)
    assert set(outcomes) == {"resolved", "indirect"}
    resolved, indirect = outcomes["resolved"], outcomes["indirect"]
    assert 0.25 <= resolved / (resolved + summary.tickets) <= 0.35
    assert 0.25 <= (resolved + indirect) / (resolved + indirect + summary.tickets) <= 0.35
    assert 0.15 <= indirect / resolved <= 0.25

    first_day = demo_now - span_days(summary.tickets) * DAY
    assert all(first_day <= e.at <= demo_now and e.source == "portal" for e in events)
    with db.unit_of_work(write=False) as session:
        customers = set(session.scalars(select(User.id).where(User.role == "customer")))
    known = [e.customer_id for e in events if e.customer_id is not None]
    assert set(known) <= customers and 0.5 < len(known) / len(events) < 0.9

    days = [
        first_day.date() + timedelta(days=i) for i in range((demo_now.date() - first_day.date()).days + 1)
    ]
    weekdays = sum(d.weekday() < 5 for d in days)
    on_weekdays = sum(e.at.weekday() < 5 for e in events)
    assert on_weekdays / weekdays > 2 * (len(events) - on_weekdays) / (len(days) - weekdays)
    by_hour = Counter(e.at.hour for e in events)
    assert sum(by_hour[h] for h in range(9, 17)) / 8 > 4 * sum(by_hour[h] for h in range(0, 6)) / 6


# --- knowledge base -------------------------------------------------------------------------------


def test_every_self_service_resolution_comes_from_a_search_that_opened_its_article(
    mid_loaded: Loaded,
) -> None:
    from supportops.knowledge.models import Article, ArticleLink, KbSearch

    db, summary = mid_loaded
    articles = {a.id: a for a in _all(db, Article, Article.id)}
    assert len(articles) >= 15 and all(a.status == "published" for a in articles.values())
    searches = {s.id: s for s in _all(db, KbSearch, KbSearch.id)}
    events = _all(db, SelfServiceEvent, SelfServiceEvent.id)
    assert len(events) == summary.self_service_events
    for event in events:
        search = searches[event.search_id]  # type: ignore[index]
        assert search.clicked_article_id == event.article_id and search.at == event.at
        assert search.outcome == {"resolved": "self_service", "indirect": "indirect"}[event.outcome]
        assert articles[event.article_id].visibility == "public"  # type: ignore[index]
    failed = [s for s in searches.values() if not s.results]
    assert failed and all(s.no_match and s.clicked_article_id is None for s in failed)
    votes = sum(a.helpful + a.not_helpful for a in articles.values())
    assert 0.6 < sum(a.helpful for a in articles.values()) / votes < 0.85
    links = _all(db, ArticleLink, ArticleLink.id)
    resolved = {t.id: t for t in _all(db, Ticket, Ticket.id) if t.status in ("resolved", "closed")}
    assert links and all(
        link.ticket_id in resolved and link.at == resolved[link.ticket_id].last_resolved_at for link in links
    )
    assert 0.05 < len({link.ticket_id for link in links}) / len(resolved) < 0.5
