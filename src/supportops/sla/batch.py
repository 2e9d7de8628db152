"""The clocks of many tickets at once, on integer microseconds: the bulk recomputation's hot loop.

It computes exactly what :func:`service.refresh` computes per ticket (the fold of
:func:`clocks.transitions`, then :func:`clocks.evaluate` per cycle, the metric events not on record,
the summary and the next alarm), with the same float arithmetic in the same order, but without
per-event objects or datetimes: instants are microseconds since the Unix epoch, a policy is matched
once per distinct set of ticket facts, and around-the-clock time needs no calendar.
tests/sla/test_bulk.py holds it to the per-ticket path on random histories.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from supportops.config import Settings
from supportops.jobs import service as jobs
from supportops.sla import service
from supportops.sla.calendar import BusinessTime, CalendarTime, TimeBasis
from supportops.sla.calendar.arithmetic import (
    US_PER_MINUTE,
    amount_us,
    business_due_us,
    business_minutes_us,
    epoch_us,
    instant,
    no_business_time,
    wall_minutes_us,
)
from supportops.sla.calendar.timeline import Timeline
from supportops.sla.policy import ConditionField
from supportops.tickets.enums import STATUS_CATEGORY, Status

FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE, RESOLUTION = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
)
METRICS = (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE, RESOLUTION)
ACTIVATE, PAUSE, RESUME, FULFIL = "activate", "pause", "resume", "fulfil"
OPEN, SOLVED = "open", "solved"
FACTS = tuple(ConditionField)
"""The order of a ticket's facts in :class:`Ticket`: the fields a policy's conditions may ask about."""
_CATEGORIES = {status.value: category.value for status, category in STATUS_CATEGORY.items()}


def category_of(status: object) -> str:
    """The status category, as ``clocks`` finds it (and failing as it does on an unknown status)."""
    found = _CATEGORIES.get(status) if isinstance(status, str) else None
    return found if found is not None else STATUS_CATEGORY[Status(str(status))].value


class _Wall:
    """:class:`CalendarTime` on microseconds."""

    __slots__ = ()

    def between(self, start: int, end: int) -> float:
        return wall_minutes_us(start, end)

    def add(self, start: int, minutes: float) -> int:
        return start + amount_us(minutes)


class _Business:
    """:class:`BusinessTime` on microseconds, straight on the calendar's compiled timeline."""

    __slots__ = ("timeline",)

    def __init__(self, basis: BusinessTime) -> None:
        self.timeline: Timeline = basis.calendar.timeline

    def between(self, start: int, end: int) -> float:
        return business_minutes_us(self.timeline, start, end)

    def add(self, start: int, minutes: float) -> int:
        amount = amount_us(minutes)
        due = business_due_us(self.timeline, start, amount)
        if due is None:
            raise no_business_time(minutes, amount, instant(start))
        return due


_WALL = _Wall()
Basis = _Wall | _Business


def _basis(business: TimeBasis) -> Basis:
    if isinstance(business, CalendarTime):
        return _WALL
    if isinstance(business, BusinessTime):
        return _Business(business)
    raise TypeError(f"unknown time basis {business!r}")


@dataclass(frozen=True, slots=True)
class Policy:
    """What one applicable policy means for tickets of one priority."""

    policy_id: int | None
    targets: dict[str, tuple[float, bool]]
    pauses: dict[str, frozenset[str]]
    warn_share: float
    business: Basis

    @classmethod
    def of(cls, applied: service.Applied, priority: str) -> Policy:
        rules = applied.rules
        targets = {}
        for metric in METRICS:
            target = rules.target_for(priority, service.Metric(metric))
            if target is not None:
                targets[metric] = (target.minutes, target.business)
        pauses = rules.pause_rules()
        return cls(
            policy_id=applied.policy_id,
            targets=targets,
            pauses={m: frozenset(c.value for c in pauses.get(service.Metric(m), ())) for m in METRICS},
            warn_share=rules.warn_share,
            business=_basis(applied.business),
        )


Ticket = tuple[Any, ...]
"""A row of the tickets query: id, the facts a policy may ask about (in the order of ``FACTS``:
priority, severity, channel, category, tags as JSON text, organization, group, plan), then the
stored summary (sla_due_at, sla_warn_at, sla_breached)."""
_PRIORITY, _GROUP, _SUMMARY = 1, 7, slice(9, 12)


class Policies:
    """The applicable policy per distinct set of facts, matched once (``service.applicable``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._found: dict[tuple[Any, ...], Policy] = {}
        self._applied: list[service.Applied] | None = None
        self._key: Callable[[Ticket], Any] = itemgetter(*range(1, 1 + len(FACTS)))

    def follow(self, applied: list[service.Applied]) -> None:
        """Start over when the list of policies was read again (it may have changed); tickets that
        differ only in facts no policy asks about share one match."""
        if applied is not self._applied:
            self._applied = applied
            self._found.clear()
            asked = {f for a in applied for f in ConditionField if a.rules.conditions.uses(f)}
            self._key = itemgetter(_PRIORITY, *(1 + i for i, f in enumerate(FACTS) if f in asked))

    def of(self, session: Any, ticket: Ticket) -> Policy:
        key = self._key(ticket)
        found = self._found.get(key)
        if found is None:
            priority, severity, channel, category, tags, organization_id, group_id, plan = ticket[1:9]
            named = {
                "priority": priority,
                "severity": severity,
                "channel": channel,
                "category": category,
                "tags": json.loads(tags) if isinstance(tags, str) else tags,
                "organization_id": organization_id,
                "group_id": group_id,
                "plan": plan,
            }
            found = Policy.of(service.applicable(session, named, self._settings), priority)
            if len(self._found) > 100_000:
                self._found.clear()
            self._found[key] = found
        return found


Event = tuple[Any, str, int, Any, Any]
"""A row of the history query: ticket id, kind, instant (µs), instant as stored, value (the status
of a creation or a change; the author kind of a public message, else None)."""

Cycle = list[Any]
"""One metric cycle as the fold leaves it, a list for speed: see the ``_`` indexes below."""
_METRIC, _NUMBER, _RUNNING, _OPEN, _SEGMENTS, _LAST_AT, _LAST_RAW, _LAST_KIND, _FIRST_RAW = range(9)


def fold(
    ticket_id: int,
    events: Iterable[Event],
    pauses: dict[str, frozenset[str]],
    known: set[tuple[Any, ...]],
    new_events: list[tuple[Any, ...]],
) -> list[Cycle]:
    """:func:`clocks.transitions` on microseconds, flattened (this runs once per event of every
    ticket). Instead of returning the transitions it keeps each cycle's running stretches
    ``[start, end or None while running, start as stored]`` and its first and last transition, and
    appends to ``new_events`` the transitions not in ``known``. Cycles come in activation order."""
    cycles: list[Cycle] = []
    current: dict[str, Cycle] = {}
    category = OPEN
    responded = waiting_since_solved = False

    def emit(cycle: Cycle, kind: str, at: int, raw: Any) -> None:
        if (ticket_id, cycle[_METRIC], cycle[_NUMBER], kind, raw) not in known:
            new_events.append((ticket_id, cycle[_METRIC], cycle[_NUMBER], kind, raw))
        segments = cycle[_SEGMENTS]
        if kind in (ACTIVATE, RESUME):
            if not segments or segments[-1][1] is not None:
                segments.append([at, None, raw])
        elif segments and segments[-1][1] is None:
            segments[-1][1] = at
        cycle[_LAST_AT] = at
        cycle[_LAST_RAW] = raw
        cycle[_LAST_KIND] = kind

    def activate(metric: str, at: int, raw: Any) -> None:
        previous = current.get(metric)
        cycle = [
            metric,
            0 if previous is None else previous[_NUMBER] + 1,
            True,
            True,
            [],
            at,
            raw,
            ACTIVATE,
            raw,
        ]
        current[metric] = cycle
        cycles.append(cycle)
        emit(cycle, ACTIVATE, at, raw)
        if category in pauses[metric]:
            cycle[_RUNNING] = False
            emit(cycle, PAUSE, at, raw)

    def fulfil(metric: str, at: int, raw: Any) -> None:
        cycle = current.get(metric)
        if cycle is not None and cycle[_OPEN]:
            cycle[_OPEN] = cycle[_RUNNING] = False
            emit(cycle, FULFIL, at, raw)

    for _, kind, at, raw, value in events:
        if kind == "message":
            if value == "agent":
                if not responded:
                    responded = True
                    fulfil(FIRST_RESPONSE, at, raw)
                fulfil(NEXT_RESPONSE, at, raw)
                fulfil(PERIODIC_UPDATE, at, raw)
                if category != SOLVED:
                    activate(PERIODIC_UPDATE, at, raw)
            elif value == "customer" and responded:
                waiting = current.get(NEXT_RESPONSE)
                if waiting is None or not waiting[_OPEN]:
                    if category == SOLVED:
                        waiting_since_solved = True  # the reopen that follows starts the wait
                    else:
                        activate(NEXT_RESPONSE, at, raw)
        elif kind == "created":
            category = category_of(value or "new")
            activate(FIRST_RESPONSE, at, raw)
            activate(RESOLUTION, at, raw)
        elif kind == "change":
            old, category = category, category_of(value)
            if category == old:
                continue
            if category == SOLVED:
                waiting_since_solved = False
                for metric in METRICS:
                    fulfil(metric, at, raw)
                continue
            if old == SOLVED:
                resolution = current.get(RESOLUTION)
                if resolution is not None and not resolution[_OPEN]:
                    resolution[_OPEN] = resolution[_RUNNING] = True
                    emit(resolution, RESUME, at, raw)
                if waiting_since_solved:
                    waiting_since_solved = False
                    activate(NEXT_RESPONSE, at, raw)
            for cycle in list(current.values()):
                if not cycle[_OPEN]:
                    continue
                paused_here = category in pauses[cycle[_METRIC]]
                if cycle[_RUNNING] and paused_here:
                    cycle[_RUNNING] = False
                    emit(cycle, PAUSE, at, raw)
                elif not cycle[_RUNNING] and not paused_here:
                    cycle[_RUNNING] = True
                    emit(cycle, RESUME, at, raw)
    return cycles


@dataclass
class Rows:
    """What a chunk writes, as driver-ready tuples in the column order of ``bulk`` (clocks without
    their last column, ``evaluated_at``)."""

    clocks: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    summaries: list[tuple[Any, ...]] = field(default_factory=list)
    alarms: list[jobs.JobSpec] = field(default_factory=list)


def compute(
    session: Any,
    tickets: Sequence[Ticket],
    histories: Iterable[Event],
    *,
    known: set[tuple[Any, ...]],
    fired: set[tuple[Any, ...]],
    now: datetime,
    policies: Policies,
    stored: Callable[[int], Any],
) -> Rows:
    """The rows of one chunk. ``histories``: the history rows of these tickets, ordered by ticket
    and event; ``known``: (ticket, metric, cycle, kind, instant as stored) of the metric events on
    record; ``fired``: (ticket, metric, cycle, kind) of the warnings and breaches on record;
    ``stored`` gives an instant (µs) as the driver writes it. Clock rows come without
    ``evaluated_at``."""
    now_us = epoch_us(now)
    rows = Rows()
    by_ticket = groupby(histories, itemgetter(0))
    group = next(by_ticket, None)
    for ticket in tickets:
        ticket_id = ticket[0]
        policy = policies.of(session, ticket)
        while group is not None and group[0] < ticket_id:
            group = next(by_ticket, None)
        own: Iterable[Event] = group[1] if group is not None and group[0] == ticket_id else ()
        cycles = fold(ticket_id, own, policy.pauses, known, rows.events)
        _clocks(ticket, cycles, policy, rows, fired, now, now_us, stored)
    return rows


def _clocks(
    ticket: Ticket,
    cycles: list[Cycle],
    policy: Policy,
    rows: Rows,
    fired: set[tuple[Any, ...]],
    now: datetime,
    now_us: int,
    stored: Callable[[int], Any],
) -> None:
    """Evaluate every cycle that has a target (as :func:`clocks.evaluate`, same float operations
    in the same order), and gather the clock rows, the summary and the alarm (as
    :func:`service.refresh`)."""
    ticket_id = ticket[0]
    priority, group_id = ticket[_PRIORITY], ticket[_GROUP]
    targets = policy.targets
    business = policy.business
    warn_share = policy.warn_share
    policy_id = policy.policy_id
    due_min: int | None = None
    warn_min: int | None = None
    breached_any = False
    alarm: int | None = None
    for cycle in cycles:
        target = targets.get(cycle[_METRIC])
        if target is None:
            continue
        minutes, in_business = target
        basis = business if in_business else _WALL
        stretches = cycle[_SEGMENTS]
        segments = [(s, e) for s, e, _ in stretches if e is not None]
        started: int | None = None
        if stretches and stretches[-1][1] is None:
            started = stretches[-1][0]
            if started < now_us:
                segments.append((started, now_us))
        running = started is not None
        # Calendar minutes of each segment, as CalendarTime.between gives them.
        wall = [max(e - s, 0) / US_PER_MINUTE for s, e in segments]
        spans = wall if basis is _WALL else [basis.between(s, e) for s, e in segments]
        used = 0.0
        crossed: int | None = None
        for (start, _), span in zip(segments, spans, strict=True):
            if crossed is None and used + span >= minutes:
                crossed = basis.add(start, minutes - used)
            used += span
        if crossed is not None and crossed > now_us:
            crossed = None
        fulfilled = cycle[_LAST_KIND] == FULFIL
        due = warn = None
        since_raw: Any = None
        if running:
            if segments:
                since = segments[-1][0]
                since_raw = _raw_start(stretches, since)
            else:
                since, since_raw = cycle[_LAST_AT], cycle[_LAST_RAW]
            before = used - basis.between(since, max(since, now_us))
            due = basis.add(since, max(minutes - before, 0.0))
            warn_amount = minutes * warn_share - before
            warn = basis.add(since, warn_amount) if warn_amount > 0 else since
        if crossed is not None:
            state = "breached"
        elif fulfilled:
            state = "fulfilled"
        else:
            state = "active" if running else "paused"
        calendar_minutes = sum(wall)
        if business is _WALL:
            business_minutes = calendar_minutes
        elif spans is not wall:
            business_minutes = sum(spans)
        else:
            business_minutes = sum(business.between(s, e) for s, e in segments)
        rows.clocks.append(
            (
                ticket_id,
                cycle[_METRIC],
                cycle[_NUMBER],
                policy_id,
                priority,
                group_id,
                state,
                minutes,
                in_business,
                cycle[_FIRST_RAW],
                since_raw,
                None if due is None else stored(due),
                None if warn is None else stored(warn),
                None if crossed is None else stored(crossed),
                cycle[_LAST_RAW] if fulfilled else None,
                business_minutes,
                calendar_minutes,
            )
        )
        if state == "active":
            if due is not None:
                due_min = due if due_min is None or due < due_min else due_min
                alarm = due if alarm is None or due < alarm else alarm
            if warn is not None:
                warn_min = warn if warn_min is None or warn < warn_min else warn_min
                if (ticket_id, cycle[_METRIC], cycle[_NUMBER], "warn") not in fired:
                    alarm = warn if alarm is None or warn < alarm else alarm
        elif state == "breached":
            if not fulfilled:
                breached_any = True
            if crossed is not None and (ticket_id, cycle[_METRIC], cycle[_NUMBER], "breach") not in fired:
                alarm = crossed if alarm is None or crossed < alarm else alarm
    if alarm is not None:
        when = now if alarm < now_us else instant(alarm)
        rows.alarms.append(
            jobs.JobSpec(
                kind=service.ALARM_JOB,
                payload={"ticket_id": ticket_id},
                run_at=when,
                dedupe_key=f"{service.ALARM_JOB}:{ticket_id}:{when.isoformat()}",
                created_at=now,
            )
        )
    summary = (
        None if due_min is None else stored(due_min),
        None if warn_min is None else stored(warn_min),
        breached_any,
    )
    if summary != ticket[_SUMMARY]:  # else the stored one is this one
        rows.summaries.append((*summary, ticket_id))


def _raw_start(stretches: list[list[Any]], start: int) -> Any:
    """The stored form of the start of the stretch that starts at ``start``."""
    for stretch in reversed(stretches):
        if stretch[0] == start:
            return stretch[2]
    raise AssertionError("a running clock starts at one of its transitions")
