"""A discrete-event simulation of a support queue, to size a team before the tickets arrive.

Tickets arrive as a Poisson process whose rate follows a weekly profile (tickets per hour for
each hour of the week) or at given historical instants; each belongs to a category (required
skills, channel, language, handle time: exponential around a mean, or drawn from observed times).
Agents work weekly shifts and take tickets through a routing strategy of
:mod:`supportops.routing.strategies`, up to their capacity per channel. A ticket waits in its
category's queue, first come first served, until the strategy finds it an agent, or until the
customer gives up if a patience is set (exponential around a mean).

Everything is a function of the scenario and the seed: events are ordered by time, then by kind
(shift ends, completions, shift starts, abandonments, widenings, arrivals), then by creation; and
arrivals, work and patience draw from separate seeded streams, so that comparing strategies on
one seed compares them on the same tickets.

Measures cover the tickets that arrive within the horizon. After it no ticket arrives, and the
run continues for up to :data:`DRAIN_HOURS` so that those still waiting are answered or abandoned;
the ones left then count as unanswered. Utilization counts busy time (holding at least one ticket)
over on-shift time, both within the horizon; an agent finishes a ticket after a shift ends, so it
can exceed 1 with tickets longer than the shifts.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from supportops.kit.clock import utc
from supportops.kit.errors import InvalidInput
from supportops.routing.strategies import (
    AS_ASKED,
    AgentPool,
    AgentState,
    Strategy,
    TicketNeeds,
    Widening,
    route,
)

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DRAIN_HOURS = 7 * 24
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
DEFAULT_CHANNEL = "email"
ONE_SKILL = "support"

HourRange = tuple[float, float]
WeeklyShifts = Mapping[str, Sequence[HourRange]]
"""Weekday ("mon" to "sun") to hour ranges [start, end) of that day, 0 <= start < end <= 24."""
ALWAYS: WeeklyShifts = {day: ((0.0, 24.0),) for day in WEEKDAYS}


def _positive(value: float, name: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(f"{name} must be a number above 0, not {value}", field=name)


@dataclass(frozen=True)
class ExponentialHandle:
    mean_minutes: float

    def __post_init__(self) -> None:
        _positive(self.mean_minutes, "handle_minutes")

    def draw(self, rng: random.Random) -> float:
        """Seconds of work for one ticket."""
        return rng.expovariate(1.0 / (self.mean_minutes * 60.0))


@dataclass(frozen=True)
class EmpiricalHandle:
    """Handle times observed on past tickets, drawn uniformly."""

    minutes: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.minutes:
            raise InvalidInput("give at least one observed handle time", field="handle_minutes")
        for value in self.minutes:
            _positive(value, "handle_minutes")

    def draw(self, rng: random.Random) -> float:
        return rng.choice(self.minutes) * 60.0


HandleTime = ExponentialHandle | EmpiricalHandle


@dataclass(frozen=True)
class Category:
    """A kind of ticket: what it needs, how long it takes, and its share of the arrivals."""

    name: str
    handle: HandleTime
    skills: Mapping[str, int] = field(default_factory=dict)
    weight: float = 1.0
    channel: str = DEFAULT_CHANNEL
    language: str | None = None

    def __post_init__(self) -> None:
        _positive(self.weight, "weight")
        TicketNeeds(id=0, channel=self.channel, skills=self.skills, language=self.language)


@dataclass(frozen=True)
class RateProfile:
    """Poisson arrival rates in tickets per hour for the 168 hours of a week, Monday 00:00 first,
    in the offset of the scenario's start."""

    per_hour: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.per_hour) != len(WEEKDAYS) * 24:
            raise InvalidInput("a rate profile has 168 hourly rates", field="profile")
        for rate in self.per_hour:
            if not (math.isfinite(rate) and rate >= 0):
                raise InvalidInput(f"rates must be numbers >= 0, not {rate}", field="profile")

    @classmethod
    def constant(cls, per_hour: float) -> RateProfile:
        _positive(per_hour, "rate")
        return cls((per_hour,) * (len(WEEKDAYS) * 24))

    @classmethod
    def from_week(cls, week: Mapping[str, Sequence[float]]) -> RateProfile:
        """``{"mon": [24 hourly rates], ...}``; a day left out has no arrivals."""
        unknown = sorted(set(week) - set(WEEKDAYS))
        if unknown:
            raise InvalidInput(f"unknown weekday {unknown[0]!r}; use mon to sun", field="profile")
        rates: list[float] = []
        for day in WEEKDAYS:
            hours = list(week.get(day, [0.0] * 24))
            if len(hours) != 24:
                raise InvalidInput(f"{day} needs 24 hourly rates, not {len(hours)}", field="profile")
            rates.extend(float(rate) for rate in hours)
        return cls(tuple(rates))


@dataclass(frozen=True)
class HistoricalArrivals:
    """Replay of past arrival instants; those outside the simulated hours are left out."""

    instants: tuple[datetime, ...]


Arrivals = RateProfile | HistoricalArrivals


@dataclass(frozen=True)
class SimAgent:
    id: int
    name: str
    skills: Mapping[str, int]
    capacity: Mapping[str, int] = field(default_factory=lambda: {DEFAULT_CHANNEL: 1})
    languages: frozenset[str] = frozenset()
    shifts: WeeklyShifts = field(default_factory=lambda: ALWAYS)

    def __post_init__(self) -> None:
        AgentState(id=self.id, name=self.name, skills=self.skills, capacity=self.capacity)
        for day, spans in self.shifts.items():
            if day not in WEEKDAYS:
                raise InvalidInput(f"{self.name}: unknown weekday {day!r}; use mon to sun", field="shifts")
            for start, end in spans:
                if not 0 <= start < end <= 24:
                    raise InvalidInput(
                        f"{self.name}: shift {start}-{end} on {day} must lie within 0-24 and end "
                        "after it starts",
                        field="shifts",
                    )


@dataclass(frozen=True)
class Scenario:
    agents: tuple[SimAgent, ...]
    categories: tuple[Category, ...]
    arrivals: Arrivals
    hours: float
    target_minutes: float
    """The service-level target: a ticket reaching an agent within it counts as attained."""
    strategy: Strategy = Strategy.skills
    widening: Widening = AS_ASKED
    patience_minutes: float | None = None
    """Mean time a customer waits before giving up; None: nobody gives up."""
    start: datetime = MONDAY

    def __post_init__(self) -> None:
        if not self.agents:
            raise InvalidInput("a simulation needs at least 1 agent", field="agents")
        if not self.categories:
            raise InvalidInput("a simulation needs at least 1 ticket category", field="categories")
        _positive(self.hours, "hours")
        if not (math.isfinite(self.target_minutes) and self.target_minutes >= 0):
            raise InvalidInput("target_minutes must be a number >= 0", field="target_minutes")
        if self.patience_minutes is not None:
            _positive(self.patience_minutes, "patience_minutes")
        if self.start.tzinfo is None:
            raise InvalidInput("start needs a UTC offset", field="start")


def single_queue(
    *,
    agents: int,
    arrivals: Arrivals,
    handle_minutes: float,
    target_minutes: float,
    hours: float,
    strategy: Strategy = Strategy.skills,
    patience_minutes: float | None = None,
) -> Scenario:
    """One skill, one channel, interchangeable agents always on shift with one ticket at a time:
    the queue that staffing formulas describe."""
    if agents < 1:
        raise InvalidInput(f"agents must be at least 1, not {agents}", field="agents")
    team = tuple(SimAgent(id=n, name=f"agent {n}", skills={ONE_SKILL: 3}) for n in range(1, agents + 1))
    work = Category(ONE_SKILL, ExponentialHandle(handle_minutes), skills={ONE_SKILL: 1})
    return Scenario(
        agents=team,
        categories=(work,),
        arrivals=arrivals,
        hours=hours,
        target_minutes=target_minutes,
        strategy=strategy,
        patience_minutes=patience_minutes,
    )


@dataclass(frozen=True)
class AgentReport:
    id: int
    name: str
    handled: int
    busy_hours: float
    on_shift_hours: float
    utilization: float


@dataclass(frozen=True)
class SimulationReport:
    arrived: int
    handled: int
    """Tickets that reached an agent."""
    abandoned: int
    unanswered: int
    """Still waiting when the run stopped, DRAIN_HOURS after the horizon."""
    target_minutes: float
    sla_attainment: float
    """Tickets that reached an agent within the target, over all arrived (abandoned and
    unanswered count as missed); 1.0 when nothing arrived."""
    waited_share: float
    """Share of handled tickets that waited at all: the probability of waiting."""
    mean_wait_minutes: float
    p50_wait_minutes: float
    p90_wait_minutes: float
    p99_wait_minutes: float
    utilization: float
    agents: tuple[AgentReport, ...]


class _Kind(IntEnum):
    """Event kinds, in the order they are handled at one instant."""

    shift_end = 0
    done = 1
    shift_start = 2
    abandon = 3
    widen = 4
    arrival = 5


@dataclass(slots=True)
class _Ticket:
    id: int
    category: int
    arrived: float
    handle: float
    agent: int = -1
    assigned: float | None = None
    abandoned: bool = False

    def waiting(self) -> bool:
        return self.assigned is None and not self.abandoned


@dataclass(slots=True)
class _Seat:
    """One agent's bookkeeping during a run."""

    holding: int = 0
    busy_since: float = 0.0
    busy: float = 0.0
    handled: int = 0


def _week_offset(start: datetime) -> float:
    """Seconds from the Monday 00:00 before ``start`` (in its own offset) to ``start``."""
    return start.weekday() * DAY + start.hour * HOUR + start.minute * 60 + start.second


def _shift_spans(shifts: WeeklyShifts, week_offset: float, until: float) -> list[tuple[float, float]]:
    """On-shift stretches in run seconds within [0, until], touching ones merged."""
    week = sorted(
        (WEEKDAYS.index(day) * DAY + start * HOUR, WEEKDAYS.index(day) * DAY + end * HOUR)
        for day, spans in shifts.items()
        for start, end in spans
    )
    merged: list[tuple[float, float]] = []
    base = -week_offset
    while week and base < until:
        for start, end in week:
            low, high = max(base + start, 0.0), min(base + end, until)
            if high <= low:
                continue
            if merged and low <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        base += WEEK
    return merged


def _poisson(profile: RateProfile, week_offset: float, horizon: float, rng: random.Random) -> Iterator[float]:
    """Arrival instants hour by hour; restarting the exponential gap at each hour is exact, since
    the gaps of a Poisson process have no memory."""
    hour = int(week_offset // HOUR)
    start = 0.0
    while start < horizon:
        end = min((hour + 1) * HOUR - week_offset, horizon)
        rate = profile.per_hour[hour % len(profile.per_hour)] / HOUR
        at = start
        while rate > 0:
            at += rng.expovariate(rate)
            if at >= end:
                break
            yield at
        start, hour = end, hour + 1


def _replay(arrivals: HistoricalArrivals, start: datetime, horizon: float) -> Iterator[float]:
    offsets = ((utc(instant) - utc(start)).total_seconds() for instant in arrivals.instants)
    return iter(sorted(offset for offset in offsets if 0 <= offset < horizon))


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class _Run:
    """The state of one simulation run; :meth:`run` plays the events and measures."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.horizon = scenario.hours * HOUR
        self.until = self.horizon + DRAIN_HOURS * HOUR
        self.week_offset = _week_offset(scenario.start)
        self.work_rng = random.Random(f"{seed}:work")
        self.patience_rng = random.Random(f"{seed}:patience")
        self.events: list[tuple[float, int, int, int]] = []
        self.sequence = itertools.count()
        self.pool = AgentPool(
            AgentState(
                id=agent.id,
                name=agent.name,
                skills=agent.skills,
                languages=agent.languages,
                capacity=agent.capacity,
                on_shift=False,
            )
            for agent in scenario.agents
        )
        self.seats = [_Seat() for _ in scenario.agents]
        self.seat_of = {agent.id: n for n, agent in enumerate(scenario.agents)}
        self.tickets: list[_Ticket] = []
        self.queues: list[deque[_Ticket]] = [deque() for _ in scenario.categories]
        self.waiting = 0
        self.weights = [category.weight for category in scenario.categories]
        self.arrivals = self._arrival_offsets(random.Random(f"{seed}:arrivals"))
        self.on_shift = [
            _shift_spans(agent.shifts, self.week_offset, self.until) for agent in scenario.agents
        ]

    def _arrival_offsets(self, rng: random.Random) -> Iterator[float]:
        arrivals = self.scenario.arrivals
        if isinstance(arrivals, RateProfile):
            return _poisson(arrivals, self.week_offset, self.horizon, rng)
        return _replay(arrivals, self.scenario.start, self.horizon)

    def _push(self, at: float, kind: _Kind, subject: int) -> None:
        heapq.heappush(self.events, (at, kind, next(self.sequence), subject))

    def _next_arrival(self) -> None:
        at = next(self.arrivals, None)
        if at is not None:
            self._push(at, _Kind.arrival, 0)

    def run(self) -> SimulationReport:
        for seat, spans in enumerate(self.on_shift):
            for start, end in spans:
                self._push(start, _Kind.shift_start, seat)
                self._push(end, _Kind.shift_end, seat)
        self._next_arrival()
        handlers = {
            _Kind.shift_end: self._on_shift_end,
            _Kind.done: self._on_done,
            _Kind.shift_start: self._on_shift_start,
            _Kind.abandon: self._on_abandon,
            _Kind.widen: self._on_widen,
            _Kind.arrival: self._on_arrival,
        }
        while self.events:
            at, kind, _, subject = heapq.heappop(self.events)
            if at > self.until or (at >= self.horizon and not self.waiting):
                break
            handlers[_Kind(kind)](at, subject)
        return self._report()

    def _on_arrival(self, now: float, _: int) -> None:
        scenario = self.scenario
        index = 0
        if len(self.weights) > 1:
            index = self.work_rng.choices(range(len(self.weights)), weights=self.weights)[0]
        handle = scenario.categories[index].handle.draw(self.work_rng)
        ticket = _Ticket(id=len(self.tickets), category=index, arrived=now, handle=handle)
        self.tickets.append(ticket)
        self.queues[index].append(ticket)
        self.waiting += 1
        if scenario.patience_minutes is not None:
            patience = self.patience_rng.expovariate(1.0 / (scenario.patience_minutes * 60.0))
            self._push(now + patience, _Kind.abandon, ticket.id)
        for step in scenario.widening.steps[1:]:
            self._push(now + step.after_seconds, _Kind.widen, ticket.id)
        self._next_arrival()
        if self._first_in_line(ticket):
            self._dispatch(now)

    def _first_in_line(self, ticket: _Ticket) -> bool:
        """Only a ticket at the head of its queue can change the dispatch: the heads before it
        could not be placed, and nothing else changed."""
        queue = self.queues[ticket.category]
        while not queue[0].waiting():
            queue.popleft()
        return queue[0] is ticket

    def _on_done(self, now: float, ticket_id: int) -> None:
        ticket = self.tickets[ticket_id]
        seat = self.seats[ticket.agent]
        agent = self.scenario.agents[ticket.agent]
        self.pool.release(agent.id, self.scenario.categories[ticket.category].channel)
        seat.holding -= 1
        if seat.holding == 0:
            seat.busy += max(0.0, min(now, self.horizon) - seat.busy_since)
        self._dispatch(now)

    def _on_shift_start(self, now: float, seat: int) -> None:
        self.pool.set_on_shift(self.scenario.agents[seat].id, True)
        self._dispatch(now)

    def _on_shift_end(self, now: float, seat: int) -> None:
        self.pool.set_on_shift(self.scenario.agents[seat].id, False)

    def _on_abandon(self, now: float, ticket_id: int) -> None:
        ticket = self.tickets[ticket_id]
        if ticket.waiting():
            ticket.abandoned = True
            self.waiting -= 1

    def _on_widen(self, now: float, ticket_id: int) -> None:
        if self.tickets[ticket_id].waiting():
            self._dispatch(now)

    def _dispatch(self, now: float) -> None:
        """Place waiting tickets, oldest first, until none can be placed. Only each category's
        oldest ticket needs asking: a newer one has the same needs, widened no further."""
        while self.waiting:
            placed = self._place_one(now)
            if not placed:
                return

    def _place_one(self, now: float) -> bool:
        for ticket in self._heads():
            category = self.scenario.categories[ticket.category]
            needs = TicketNeeds(
                id=ticket.id,
                channel=category.channel,
                skills=category.skills,
                language=category.language,
                waited_seconds=now - ticket.arrived,
            )
            decision = route(needs, self.pool, self.scenario.strategy, self.scenario.widening)
            if decision.agent_id is not None:
                self._start(ticket, decision.agent_id, now)
                return True
        return False

    def _heads(self) -> list[_Ticket]:
        heads: list[_Ticket] = []
        for queue in self.queues:
            while queue and not queue[0].waiting():
                queue.popleft()
            if queue:
                heads.append(queue[0])
        heads.sort(key=lambda ticket: ticket.arrived)
        return heads

    def _start(self, ticket: _Ticket, agent_id: int, now: float) -> None:
        self.queues[ticket.category].popleft()
        self.waiting -= 1
        seat_number = self.seat_of[agent_id]
        ticket.agent, ticket.assigned = seat_number, now
        channel = self.scenario.categories[ticket.category].channel
        self.pool.assign(agent_id, channel, at=self.scenario.start + timedelta(seconds=now))
        seat = self.seats[seat_number]
        if seat.holding == 0:
            seat.busy_since = now
        seat.holding += 1
        seat.handled += 1
        self._push(now + ticket.handle, _Kind.done, ticket.id)

    def _agent_report(self, number: int) -> AgentReport:
        agent, seat = self.scenario.agents[number], self.seats[number]
        busy = seat.busy
        if seat.holding:
            busy += max(0.0, self.horizon - seat.busy_since)
        on_shift = sum(max(0.0, min(end, self.horizon) - start) for start, end in self.on_shift[number])
        return AgentReport(
            id=agent.id,
            name=agent.name,
            handled=seat.handled,
            busy_hours=busy / HOUR,
            on_shift_hours=on_shift / HOUR,
            utilization=busy / on_shift if on_shift else 0.0,
        )

    def _report(self) -> SimulationReport:
        waits = sorted(t.assigned - t.arrived for t in self.tickets if t.assigned is not None)
        target = self.scenario.target_minutes * 60.0
        arrived = len(self.tickets)
        agents = tuple(self._agent_report(number) for number in range(len(self.seats)))
        busy = sum(agent.busy_hours for agent in agents)
        on_shift = sum(agent.on_shift_hours for agent in agents)
        return SimulationReport(
            arrived=arrived,
            handled=len(waits),
            abandoned=sum(1 for ticket in self.tickets if ticket.abandoned),
            unanswered=self.waiting,
            target_minutes=self.scenario.target_minutes,
            sla_attainment=sum(1 for wait in waits if wait <= target) / arrived if arrived else 1.0,
            waited_share=sum(1 for wait in waits if wait > 0) / len(waits) if waits else 0.0,
            mean_wait_minutes=sum(waits) / len(waits) / 60.0 if waits else 0.0,
            p50_wait_minutes=_percentile(waits, 0.50) / 60.0,
            p90_wait_minutes=_percentile(waits, 0.90) / 60.0,
            p99_wait_minutes=_percentile(waits, 0.99) / 60.0,
            utilization=busy / on_shift if on_shift else 0.0,
            agents=agents,
        )


def simulate(scenario: Scenario, *, seed: int) -> SimulationReport:
    """Play the scenario once; the same scenario and seed give the same report."""
    return _Run(scenario, seed).run()
