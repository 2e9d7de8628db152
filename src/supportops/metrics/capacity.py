"""Capacity planning: the seed's workload formula, and Erlang C with a service level and shrinkage.

Workload formula (the seed's): agents = volume * handle time / (available hours * utilization),
rounded up; 500 tickets * 20 min / (8 h * 60 * 0.75) = 27.8, so 28 agents.

Erlang C treats the period as a queue with Poisson arrivals (volume / hours per hour), exponential
handle times and N agents: the probability that a ticket waits is C(N, A) with A = rate * AHT the offered
load in erlangs, and the service level (share answered within t) is 1 - C(N, A)*e^(-(N - A)*t / AHT).
The smallest N that reaches the target is the agents needed on duty; shrinkage (breaks, meetings,
absence) turns it into agents to schedule: N / (1 - shrinkage), rounded up.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from supportops.kit.errors import InvalidInput

MAX_AGENTS = 100_000


def _positive(value: float, name: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InvalidInput(f"{name} must be a number above 0, not {value}", field=name)


def _share(value: float, name: str, *, allow_zero: bool = False) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    if not (math.isfinite(value) and low_ok and value < 1):
        bound = "from 0 up to (not including) 1" if allow_zero else "between 0 and 1 (exclusive)"
        raise InvalidInput(f"{name} must be {bound}, not {value}", field=name)


def workload_agents(
    *, volume: float, handle_minutes: float, hours: float, utilization: float
) -> tuple[int, float]:
    """The seed's formula: (agents rounded up, the exact quotient)."""
    _positive(volume, "volume")
    _positive(handle_minutes, "handle_minutes")
    _positive(hours, "hours")
    if not (math.isfinite(utilization) and 0 < utilization <= 1):
        raise InvalidInput(
            f"utilization must be above 0 and at most 1, not {utilization}", field="utilization"
        )
    exact = volume * handle_minutes / (hours * 60 * utilization)
    return math.ceil(exact - 1e-9), exact


def erlang_c(agents: int, load: float) -> float:
    """Probability that an arriving ticket waits, for ``agents`` serving ``load`` erlangs; 1 when
    the agents cannot keep up (load ≥ agents). Computed with the stable Erlang B recurrence."""
    if agents <= load:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return agents * b / (agents - load * (1 - b))


def service_level(agents: int, load: float, *, within_minutes: float, handle_minutes: float) -> float:
    if agents <= load:
        return 0.0
    return 1 - erlang_c(agents, load) * math.exp(-(agents - load) * within_minutes / handle_minutes)


@dataclass(frozen=True)
class Staffing:
    load_erlangs: float
    agents_on_duty: int
    service_level: float
    probability_of_waiting: float
    average_wait_minutes: float
    occupancy: float
    agents_to_schedule: int


def erlang_staffing(
    *,
    volume: float,
    handle_minutes: float,
    hours: float,
    service_level_target: float,
    within_minutes: float,
    shrinkage: float = 0.0,
) -> Staffing:
    """The fewest agents whose service level reaches the target, and how many to schedule."""
    _positive(volume, "volume")
    _positive(handle_minutes, "handle_minutes")
    _positive(hours, "hours")
    _share(service_level_target, "service_level")
    _share(shrinkage, "shrinkage", allow_zero=True)
    if not (math.isfinite(within_minutes) and within_minutes >= 0):
        raise InvalidInput(f"within_minutes must be 0 or more, not {within_minutes}", field="within_minutes")
    load = volume / (hours * 60) * handle_minutes
    agents = max(1, math.floor(load) + 1)
    while (
        service_level(agents, load, within_minutes=within_minutes, handle_minutes=handle_minutes)
        < service_level_target
    ):
        agents += 1
        if agents > MAX_AGENTS:
            raise InvalidInput(
                f"more than {MAX_AGENTS} agents would be needed; check the inputs", field="volume"
            )
    waiting = erlang_c(agents, load)
    return Staffing(
        load_erlangs=load,
        agents_on_duty=agents,
        service_level=service_level(
            agents, load, within_minutes=within_minutes, handle_minutes=handle_minutes
        ),
        probability_of_waiting=waiting,
        average_wait_minutes=waiting * handle_minutes / (agents - load),
        occupancy=load / agents,
        agents_to_schedule=math.ceil(agents / (1 - shrinkage) - 1e-9),
    )


def capacity_plan(
    *,
    volume: float,
    handle_minutes: float,
    hours: float,
    utilization: float,
    service_level_target: float,
    within_minutes: float,
    shrinkage: float,
) -> dict[str, Any]:
    """Both answers, as the command line and the API report them."""
    agents, exact = workload_agents(
        volume=volume, handle_minutes=handle_minutes, hours=hours, utilization=utilization
    )
    staffing = erlang_staffing(
        volume=volume,
        handle_minutes=handle_minutes,
        hours=hours,
        service_level_target=service_level_target,
        within_minutes=within_minutes,
        shrinkage=shrinkage,
    )
    return {"workload": {"agents": agents, "exact": exact}, "erlang_c": asdict(staffing)}
