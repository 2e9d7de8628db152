"""SLA clocks from ticket histories: transitions per metric and cycle, and their evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportops.sla.calendar import BusinessTime, Calendar
from supportops.sla.clocks import (
    Clock,
    ClockState,
    Metric,
    Target,
    TransitionKind,
    by_cycle,
    evaluate,
    transitions,
)
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.enums import StatusCategory

# Mon-Fri 09:00-17:00 UTC; 2026-03-02 is a Monday.
OFFICE = BusinessTime(
    Calendar.from_json(
        '{"timezone": "UTC", "week": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]],'
        ' "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]}}'
    )
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def created(when: datetime) -> LoggedEvent:
    return LoggedEvent("created", when, data={"priority": "P3"})


def reply(when: datetime, *, author: str = "agent", public: bool = True) -> LoggedEvent:
    return LoggedEvent("message", when, data={"public": public, "author_kind": author})


def status(when: datetime, old: str, new: str) -> LoggedEvent:
    return LoggedEvent("change", when, field="status", old_value=old, new_value=new)


def clock_of(
    events: list[LoggedEvent], metric: Metric, target: Target, now: datetime, cycle: int = 0
) -> Clock:
    steps = by_cycle(transitions(events))[(metric, cycle)]
    return evaluate(steps, target, OFFICE, now=now)


def test_a_reply_within_business_time_meets_first_response() -> None:
    events = [created(at(2, 9)), reply(at(2, 9, 30))]
    clock = clock_of(events, Metric.first_response, Target(60, business=True), now=at(2, 12))
    assert clock.state == ClockState.fulfilled
    assert clock.fulfilled_at == at(2, 9, 30)
    assert (clock.business_minutes, clock.calendar_minutes) == (30, 30)
    assert clock.breached_at is None and clock.due_at is None


def test_business_time_runs_overnight_to_the_next_opening_and_breaches_there() -> None:
    events = [created(at(2, 16, 30))]
    running = clock_of(events, Metric.first_response, Target(60, business=True), now=at(2, 20))
    assert running.state == ClockState.active
    assert running.due_at == at(3, 9, 30)
    assert running.warn_at == at(3, 9, 15)  # 75 % of 60 minutes: 30 on Monday, 15 on Tuesday
    late = clock_of(events, Metric.first_response, Target(60, business=True), now=at(3, 10))
    assert late.state == ClockState.breached
    assert late.breached_at == at(3, 9, 30)
    assert late.business_minutes == 90
    assert late.calendar_minutes == 17.5 * 60


def test_calendar_time_targets_ignore_business_hours() -> None:
    events = [created(at(2, 16, 30))]
    clock = clock_of(events, Metric.first_response, Target(60, business=False), now=at(2, 17))
    assert clock.due_at == at(2, 17, 30)
    assert clock.business_minutes == 30 and clock.calendar_minutes == 30


def test_resolution_pauses_while_pending_and_keeps_its_time() -> None:
    events = [
        created(at(2, 9)),
        status(at(2, 10), "new", "pending"),
        status(at(2, 12), "pending", "in_progress"),
        status(at(2, 13), "in_progress", "resolved"),
    ]
    steps = by_cycle(transitions(events))[(Metric.resolution, 0)]
    assert [s.kind for s in steps] == [
        TransitionKind.activate,
        TransitionKind.pause,
        TransitionKind.resume,
        TransitionKind.fulfil,
    ]
    clock = evaluate(steps, Target(180, business=True), OFFICE, now=at(2, 15))
    assert clock.state == ClockState.fulfilled
    assert (clock.business_minutes, clock.calendar_minutes) == (120, 120)
    paused = evaluate(steps[:2], Target(180, business=True), OFFICE, now=at(2, 11))
    assert paused.state == ClockState.paused
    assert paused.due_at is None and paused.business_minutes == 60


def test_a_new_target_re_evaluates_the_same_history() -> None:
    events = [
        created(at(2, 9)),
        status(at(2, 10), "new", "pending"),
        status(at(3, 10), "pending", "in_progress"),
    ]
    steps = by_cycle(transitions(events))[(Metric.resolution, 0)]
    generous = evaluate(steps, Target(240, business=True), OFFICE, now=at(3, 11))
    tight = evaluate(steps, Target(90, business=True), OFFICE, now=at(3, 11))
    # The day in pending is not counted under either target: 60 min before, 60 min after.
    assert generous.business_minutes == tight.business_minutes == 120
    assert generous.state == ClockState.active and generous.due_at == at(3, 13)
    assert tight.state == ClockState.breached and tight.breached_at == at(3, 10, 30)


def test_a_reopen_resumes_resolution_where_it_stopped() -> None:
    events = [
        created(at(2, 9)),
        reply(at(2, 9, 10)),
        status(at(2, 10), "in_progress", "resolved"),
        reply(at(3, 9), author="customer"),
        status(at(3, 9), "resolved", "in_progress"),
    ]
    grouped = by_cycle(transitions(events))
    resolution = evaluate(
        grouped[(Metric.resolution, 0)], Target(120, business=True), OFFICE, now=at(3, 9, 30)
    )
    assert resolution.state == ClockState.active
    assert resolution.business_minutes == 90
    assert resolution.due_at == at(3, 10)
    # The customer's message that reopened the ticket waits for an answer.
    assert [s.kind for s in grouped[(Metric.next_response, 0)]] == [TransitionKind.activate]
    assert grouped[(Metric.next_response, 0)][0].at == at(3, 9)


def test_next_response_starts_a_cycle_per_unanswered_customer_message() -> None:
    events = [
        created(at(2, 9)),
        reply(at(2, 9, 5)),
        reply(at(2, 10), author="customer"),
        reply(at(2, 10, 20), author="customer"),  # still the same wait
        reply(at(2, 10, 30)),
        reply(at(2, 11), author="customer"),
    ]
    grouped = by_cycle(transitions(events))
    first = evaluate(grouped[(Metric.next_response, 0)], Target(20, business=True), OFFICE, now=at(2, 12))
    assert first.state == ClockState.breached and first.breached_at == at(2, 10, 20)
    assert first.activated_at == at(2, 10)
    second = evaluate(grouped[(Metric.next_response, 1)], Target(120, business=True), OFFICE, now=at(2, 12))
    assert second.state == ClockState.active and second.due_at == at(2, 13)
    assert (Metric.next_response, 2) not in grouped


def test_internal_notes_and_system_messages_are_not_responses() -> None:
    events = [
        created(at(2, 9)),
        reply(at(2, 9, 5), public=False),
        reply(at(2, 9, 6), author="system"),
    ]
    clock = clock_of(events, Metric.first_response, Target(30, business=True), now=at(2, 9, 40))
    assert clock.state == ClockState.breached and clock.breached_at == at(2, 9, 30)


def test_periodic_updates_run_from_each_public_agent_reply_until_solved() -> None:
    events = [
        created(at(2, 9)),
        reply(at(2, 9, 10)),
        reply(at(2, 10)),
        status(at(2, 10, 30), "in_progress", "resolved"),
    ]
    grouped = by_cycle(transitions(events))
    assert grouped[(Metric.periodic_update, 0)][-1].at == at(2, 10)
    last = grouped[(Metric.periodic_update, 1)]
    assert [s.kind for s in last] == [TransitionKind.activate, TransitionKind.fulfil]
    assert last[-1].at == at(2, 10, 30)


def test_solving_fulfils_every_running_clock() -> None:
    events = [created(at(2, 9)), status(at(2, 9, 20), "new", "resolved")]
    steps = transitions(events)
    fulfilled = {(s.metric, s.kind) for s in steps if s.kind == TransitionKind.fulfil}
    assert fulfilled == {
        (Metric.first_response, TransitionKind.fulfil),
        (Metric.resolution, TransitionKind.fulfil),
    }


def test_pause_rules_are_per_status_category() -> None:
    events = [
        created(at(2, 9)),
        status(at(2, 10), "new", "on_hold"),
        status(at(2, 11), "on_hold", "assigned"),
    ]
    default = by_cycle(transitions(events))[(Metric.resolution, 0)]
    assert [s.kind for s in default] == [TransitionKind.activate]
    rules = {Metric.resolution: frozenset({StatusCategory.on_hold, StatusCategory.pending})}
    custom = by_cycle(transitions(events, pauses=rules))[(Metric.resolution, 0)]
    assert [s.kind for s in custom] == [TransitionKind.activate, TransitionKind.pause, TransitionKind.resume]
    clock = evaluate(custom, Target(180, business=True), OFFICE, now=at(2, 12))
    assert clock.business_minutes == 120 and clock.state == ClockState.active
    assert clock.due_at == at(2, 12) + timedelta(minutes=60)
