"""Per-ticket SLA clocks, derived from the ticket's event log; pure (no database, no clock).

Two steps, both deterministic:

1. :func:`transitions` folds a ticket's events into metric transitions (activate, pause, resume,
   fulfil) per metric and cycle. They depend only on what happened to the ticket and on the pause
   rules, never on targets, so a change of policy, priority or calendar re-evaluates the same
   transitions and paused time is never lost.
2. :func:`evaluate` turns one cycle's transitions, a target and the policy's calendar into a clock:
   state, due and warning instants, the instant it breached (if it did), and the time used in both
   business and calendar minutes.

Metrics (DOMAIN.md):

- ``first_response``: creation → first public reply by a human agent.
- ``next_response``: oldest unanswered public customer message after the first response → next
  public agent reply; every such wait is a new cycle.
- ``periodic_update``: each public agent reply → the next one, while the ticket is not solved.
- ``resolution``: creation → solved; a reopen resumes the same clock, keeping the time used.

Solving a ticket fulfils every running clock; no clock runs while a ticket is solved. Pause rules
name, per metric, the status categories in which it pauses; by default only resolution pauses, in
``pending``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from supportops.sla.calendar import CalendarTime, TimeBasis
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.enums import STATUS_CATEGORY, AuthorKind, Status, StatusCategory


class Metric(StrEnum):
    first_response = "first_response"
    next_response = "next_response"
    periodic_update = "periodic_update"
    resolution = "resolution"


class TransitionKind(StrEnum):
    activate = "activate"
    pause = "pause"
    resume = "resume"
    fulfil = "fulfil"


class ClockState(StrEnum):
    active = "active"
    paused = "paused"
    fulfilled = "fulfilled"
    breached = "breached"


PauseRules = Mapping[Metric, frozenset[StatusCategory]]
DEFAULT_PAUSES: PauseRules = {Metric.resolution: frozenset({StatusCategory.pending})}
DEFAULT_WARN_SHARE = 0.75


@dataclass(frozen=True)
class Transition:
    metric: Metric
    cycle: int
    kind: TransitionKind
    at: datetime


@dataclass
class _Cycle:
    metric: Metric
    number: int
    running: bool
    open: bool = True


@dataclass
class _Fold:
    pauses: PauseRules
    category: StatusCategory = StatusCategory.open
    out: list[Transition] = field(default_factory=list)
    current: dict[Metric, _Cycle] = field(default_factory=dict)
    cycles: dict[Metric, int] = field(default_factory=dict)
    first_response_done: bool = False
    waiting_since_solved: bool = False

    def pauses_now(self, metric: Metric) -> bool:
        return self.category in self.pauses.get(metric, frozenset())

    def emit(self, cycle: _Cycle, kind: TransitionKind, at: datetime) -> None:
        self.out.append(Transition(cycle.metric, cycle.number, kind, at))

    def activate(self, metric: Metric, at: datetime) -> None:
        number = self.cycles.get(metric, -1) + 1
        self.cycles[metric] = number
        cycle = _Cycle(metric, number, running=True)
        self.current[metric] = cycle
        self.emit(cycle, TransitionKind.activate, at)
        if self.pauses_now(metric):
            cycle.running = False
            self.emit(cycle, TransitionKind.pause, at)

    def open_cycle(self, metric: Metric) -> _Cycle | None:
        cycle = self.current.get(metric)
        return cycle if cycle is not None and cycle.open else None

    def fulfil(self, metric: Metric, at: datetime) -> None:
        cycle = self.open_cycle(metric)
        if cycle is not None:
            cycle.open = cycle.running = False
            self.emit(cycle, TransitionKind.fulfil, at)

    def on_agent_reply(self, at: datetime) -> None:
        if not self.first_response_done:
            self.first_response_done = True
            self.fulfil(Metric.first_response, at)
        self.fulfil(Metric.next_response, at)
        self.fulfil(Metric.periodic_update, at)
        if self.category != StatusCategory.solved:
            self.activate(Metric.periodic_update, at)

    def on_customer_message(self, at: datetime) -> None:
        if not self.first_response_done or self.open_cycle(Metric.next_response) is not None:
            return
        if self.category == StatusCategory.solved:
            self.waiting_since_solved = True  # the reopen that follows starts the wait
        else:
            self.activate(Metric.next_response, at)

    def on_category(self, new: StatusCategory, at: datetime) -> None:
        old, self.category = self.category, new
        if new == old:
            return
        if new == StatusCategory.solved:
            self.waiting_since_solved = False
            for metric in Metric:
                self.fulfil(metric, at)
            return
        if old == StatusCategory.solved:
            self._reopen_resolution(at)
            if self.waiting_since_solved:
                self.waiting_since_solved = False
                self.activate(Metric.next_response, at)
        for cycle in list(self.current.values()):
            if not cycle.open:
                continue
            if cycle.running and self.pauses_now(cycle.metric):
                cycle.running = False
                self.emit(cycle, TransitionKind.pause, at)
            elif not cycle.running and not self.pauses_now(cycle.metric):
                cycle.running = True
                self.emit(cycle, TransitionKind.resume, at)

    def _reopen_resolution(self, at: datetime) -> None:
        """A reopen resumes resolution with the time it had used; ``on_category`` pauses it again
        if the new category pauses it."""
        cycle = self.current.get(Metric.resolution)
        if cycle is not None and not cycle.open:
            cycle.open = cycle.running = True
            self.emit(cycle, TransitionKind.resume, at)


def _category(status: object) -> StatusCategory:
    return STATUS_CATEGORY[Status(str(status))]


def transitions(events: Iterable[LoggedEvent], *, pauses: PauseRules = DEFAULT_PAUSES) -> list[Transition]:
    """Metric transitions of one ticket, in the order of its events."""
    fold = _Fold(pauses=pauses)
    for event in events:
        data = event.data or {}
        if event.kind == "created":
            fold.category = _category(data.get("status", Status.new))
            fold.activate(Metric.first_response, event.at)
            fold.activate(Metric.resolution, event.at)
        elif event.kind == "message" and data.get("public"):
            if data.get("author_kind") == AuthorKind.agent:
                fold.on_agent_reply(event.at)
            elif data.get("author_kind") == AuthorKind.customer:
                fold.on_customer_message(event.at)
        elif event.kind == "change" and event.field == "status":
            fold.on_category(_category(event.new_value), event.at)
    return fold.out


# --- evaluating a cycle -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A target in minutes of business time (the policy's calendar) or of calendar time."""

    minutes: float
    business: bool


@dataclass(frozen=True)
class Clock:
    metric: Metric
    cycle: int
    state: ClockState
    target: Target
    activated_at: datetime
    running_since: datetime | None
    """Start of the segment running now; None unless active."""
    due_at: datetime | None
    """When the target is reached if the clock keeps running; None unless active."""
    warn_at: datetime | None
    breached_at: datetime | None
    """The instant the used time reached the target, when that has happened."""
    fulfilled_at: datetime | None
    business_minutes: float
    calendar_minutes: float
    """Time used up to ``now`` (or to fulfilment)."""


_WALL = CalendarTime()


def _segments(steps: Sequence[Transition], now: datetime) -> tuple[list[tuple[datetime, datetime]], bool]:
    """Running stretches up to now, and whether the last one is still running."""
    segments: list[tuple[datetime, datetime]] = []
    started: datetime | None = None
    for step in steps:
        if step.kind in (TransitionKind.activate, TransitionKind.resume):
            started = started or step.at
        elif started is not None:
            segments.append((started, step.at))
            started = None
    if started is not None and started < now:
        segments.append((started, now))
    return segments, started is not None


def _crossing(
    segments: Sequence[tuple[datetime, datetime]], basis: TimeBasis, amount: float
) -> tuple[datetime | None, float]:
    """When ``amount`` minutes had run (None if not yet), and the minutes run in all segments."""
    used = 0.0
    crossed: datetime | None = None
    for start, end in segments:
        span = basis.between(start, end)
        if crossed is None and used + span >= amount:
            crossed = basis.add(start, amount - used)
        used += span
    return crossed, used


def evaluate(
    steps: Sequence[Transition],
    target: Target,
    business: TimeBasis,
    *,
    now: datetime,
    warn_share: float = DEFAULT_WARN_SHARE,
) -> Clock:
    """The clock of one metric cycle as of ``now``; ``steps`` are that cycle's transitions in order."""
    first, last = steps[0], steps[-1]
    segments, running = _segments(steps, now)
    basis = business if target.business else _WALL
    breached_at, used = _crossing(segments, basis, target.minutes)
    if breached_at is not None and breached_at > now:
        breached_at = None
    fulfilled_at = last.at if last.kind == TransitionKind.fulfil else None
    running_since = (segments[-1][0] if segments else last.at) if running else None
    due_at = warn_at = None
    if running and running_since is not None:
        before = used - basis.between(running_since, max(running_since, now))
        due_at = basis.add(running_since, max(target.minutes - before, 0.0))
        warn_amount = target.minutes * warn_share - before
        warn_at = basis.add(running_since, warn_amount) if warn_amount > 0 else running_since
    if breached_at is not None:
        state = ClockState.breached
    elif fulfilled_at is not None:
        state = ClockState.fulfilled
    else:
        state = ClockState.active if running else ClockState.paused
    return Clock(
        metric=first.metric,
        cycle=first.cycle,
        state=state,
        target=target,
        activated_at=first.at,
        running_since=running_since,
        due_at=due_at,
        warn_at=warn_at,
        breached_at=breached_at,
        fulfilled_at=fulfilled_at,
        business_minutes=sum(business.between(s, e) for s, e in segments),
        calendar_minutes=sum(_WALL.between(s, e) for s, e in segments),
    )


def by_cycle(steps: Iterable[Transition]) -> dict[tuple[Metric, int], list[Transition]]:
    grouped: dict[tuple[Metric, int], list[Transition]] = {}
    for step in steps:
        grouped.setdefault((step.metric, step.cycle), []).append(step)
    return grouped
