#!/usr/bin/env python3
"""Routing decisions: latency of one decision with the agent index, against a scan of every agent.

A seeded random team of 500 agents (2 to 5 of 12 skills at levels 1-5; English and sometimes
German, French or Spanish; capacity 3-8 email, 1-3 chat, 0-1 phone, already partly loaded;
70 % online, 20 % away, 10 % offline; 85 % on shift) and 10,000 open tickets (1-2 skills at a
minimum of 1-4, a channel, a language, 0-25 minutes waited, so every widening step occurs). Each
strategy makes --decisions decisions over the tickets in turn under the default widening; one
timed decision includes the assignment it leads to and, once 1,500 of the run's assignments are
held, the release of the oldest, so the load stays steady.

Baseline, measured in the same run on the same tickets: a scan of all agents per decision with
no index, applying the same rules to the same mutable state; it writes no reason text, which
favours it. Every decision of the two is compared.

Usage:  .venv/bin/python bench/routing.py [--agents 500] [--tickets 10000] [--decisions 20000]
                                          [--seed 11] [--json var/bench/routing.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from supportops.routing.strategies import (
    DEFAULT_WIDENING,
    AgentPool,
    AgentState,
    Presence,
    Requirement,
    Strategy,
    TicketNeeds,
    route,
)

SKILLS = tuple(f"skill{n:02d}" for n in range(12))
EXTRA_LANGUAGES = ("de", "fr", "es")
CHANNELS = ("email", "chat", "phone")
CHANNEL_WEIGHTS = (0.6, 0.3, 0.1)
HELD = 1_500
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def make_team(count: int, rng: random.Random) -> list[AgentState]:
    team = []
    for number in range(1, count + 1):
        capacity = {"email": rng.randint(3, 8), "chat": rng.randint(1, 3), "phone": rng.randint(0, 1)}
        languages = {"en"} | {lang for lang in EXTRA_LANGUAGES if rng.random() < 0.25}
        team.append(
            AgentState(
                id=number,
                name=f"agent {number}",
                skills={skill: rng.randint(1, 5) for skill in rng.sample(SKILLS, rng.randint(2, 5))},
                languages=frozenset(languages),
                capacity=capacity,
                open_tickets={channel: rng.randint(0, limit) // 2 for channel, limit in capacity.items()},
                presence=rng.choices(list(Presence), weights=[70, 20, 10])[0],
                on_shift=rng.random() < 0.85,
                last_assigned_at=None
                if rng.random() < 0.1
                else NOW - timedelta(seconds=rng.randint(0, 28_800)),
            )
        )
    return team


def make_tickets(count: int, rng: random.Random) -> list[TicketNeeds]:
    return [
        TicketNeeds(
            id=number,
            channel=rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0],
            skills={skill: rng.randint(1, 4) for skill in rng.sample(SKILLS, rng.randint(1, 2))},
            language="en" if rng.random() < 0.8 else rng.choice(EXTRA_LANGUAGES),
            waited_seconds=rng.uniform(0, 1_500),
        )
        for number in range(1, count + 1)
    ]


@dataclass
class ScanAgent:
    state: AgentState
    open: dict[str, int]
    open_total: int
    last: float


class ScanTeam:
    """The baseline: every decision looks at every agent."""

    def __init__(self, team: Sequence[AgentState]) -> None:
        self.agents = [
            ScanAgent(
                state=a,
                open=dict(a.open_tickets),
                open_total=sum(a.open_tickets.values()),
                last=float("-inf") if a.last_assigned_at is None else a.last_assigned_at.timestamp(),
            )
            for a in team
        ]
        self.by_id = {agent.state.id: agent for agent in self.agents}

    def choose(self, needs: TicketNeeds, strategy: Strategy) -> int | None:
        step = DEFAULT_WIDENING.steps[DEFAULT_WIDENING.step_at(needs.waited_seconds)]
        requirement = Requirement.under(needs, step)
        channel = needs.channel
        best: tuple[float, ...] | None = None
        chosen: int | None = None
        for agent in self.agents:
            state = agent.state
            if state.presence is not Presence.online or not state.on_shift:
                continue
            if agent.open.get(channel, 0) >= state.capacity.get(channel, 0):
                continue
            if not requirement.accepts(state):
                continue
            key = self.key(agent, needs, strategy)
            if best is None or key < best:
                best, chosen = key, state.id
        return chosen

    @staticmethod
    def key(agent: ScanAgent, needs: TicketNeeds, strategy: Strategy) -> tuple[float, ...]:
        if strategy is Strategy.skills:
            total = sum(agent.state.skills.get(skill, 0) for skill in needs.skills)
            return (-total, agent.open_total, agent.last, agent.state.id)
        if strategy is Strategy.least_loaded:
            ratio = agent.open.get(needs.channel, 0) / agent.state.capacity[needs.channel]
            return (ratio, agent.last, agent.state.id)
        return (agent.last, agent.state.id)

    def assign(self, agent_id: int, channel: str, at: datetime) -> None:
        agent = self.by_id[agent_id]
        agent.open[channel] = agent.open.get(channel, 0) + 1
        agent.open_total += 1
        agent.last = at.timestamp()

    def release(self, agent_id: int, channel: str) -> None:
        agent = self.by_id[agent_id]
        agent.open[channel] -= 1
        agent.open_total -= 1


Decide = Callable[[TicketNeeds], int | None]


def timed_run(
    decide: Decide,
    assign: Callable[[int, str, datetime], None],
    release: Callable[[int, str], None],
    tickets: Sequence[TicketNeeds],
    decisions: int,
) -> tuple[list[int], list[int | None]]:
    """Nanoseconds per decision (with its assignment and release) and the agent chosen each time."""
    held: deque[tuple[int, str]] = deque()
    spent: list[int] = []
    chosen: list[int | None] = []
    clock = time.perf_counter_ns
    for turn in range(decisions):
        needs = tickets[turn % len(tickets)]
        at = NOW + timedelta(seconds=turn)
        started = clock()
        agent_id = decide(needs)
        if agent_id is not None:
            assign(agent_id, needs.channel, at)
            held.append((agent_id, needs.channel))
            if len(held) > HELD:
                release(*held.popleft())
        spent.append(clock() - started)
        chosen.append(agent_id)
    return spent, chosen


def percentile(values: Sequence[int], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] / 1_000


@dataclass(frozen=True)
class Row:
    indexed_p50_us: float
    indexed_p99_us: float
    indexed_mean_us: float
    scan_p50_us: float
    scan_p99_us: float
    scan_mean_us: float
    assigned_share: float
    same_decisions: int
    decisions: int


def bench_strategy(
    strategy: Strategy, team: list[AgentState], tickets: list[TicketNeeds], decisions: int
) -> Row:
    pool = AgentPool(team)
    indexed, ours = timed_run(
        lambda needs: route(needs, pool, strategy, DEFAULT_WIDENING).agent_id,
        lambda agent_id, channel, at: pool.assign(agent_id, channel, at=at),
        pool.release,
        tickets,
        decisions,
    )
    scan = ScanTeam(team)
    scanned, theirs = timed_run(
        lambda needs: scan.choose(needs, strategy), scan.assign, scan.release, tickets, decisions
    )
    return Row(
        indexed_p50_us=percentile(indexed, 0.50),
        indexed_p99_us=percentile(indexed, 0.99),
        indexed_mean_us=statistics.fmean(indexed) / 1_000,
        scan_p50_us=percentile(scanned, 0.50),
        scan_p99_us=percentile(scanned, 0.99),
        scan_mean_us=statistics.fmean(scanned) / 1_000,
        assigned_share=sum(1 for agent_id in ours if agent_id is not None) / decisions,
        same_decisions=sum(1 for a, b in zip(ours, theirs, strict=True) if a == b),
        decisions=decisions,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    team, tickets = make_team(args.agents, rng), make_tickets(args.tickets, rng)
    print(
        f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} cpus; "
        f"{args.agents} agents, {args.tickets} open tickets, {args.decisions} decisions per strategy"
    )
    print(
        f"{'strategy':<13} {'p50 µs':>8} {'p99 µs':>8} {'scan p50':>9} {'scan p99':>9} "
        f"{'p50 ratio':>9} {'p99 ratio':>9} {'assigned':>9} {'same':>7}"
    )
    results: dict[str, object] = {"seed": args.seed, "agents": args.agents, "tickets": args.tickets}
    for strategy in Strategy:
        row = bench_strategy(strategy, team, tickets, args.decisions)
        results[strategy.value] = asdict(row)
        print(
            f"{strategy.value:<13} {row.indexed_p50_us:>8.1f} {row.indexed_p99_us:>8.1f} "
            f"{row.scan_p50_us:>9.1f} {row.scan_p99_us:>9.1f} "
            f"{row.scan_p50_us / row.indexed_p50_us:>8.1f}x {row.scan_p99_us / row.indexed_p99_us:>8.1f}x "
            f"{row.assigned_share:>9.1%} {row.same_decisions:>7}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
