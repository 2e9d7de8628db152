"""Erlang C: the M/M/c queue in closed form, the independent reference for the simulation.

Poisson arrivals at rate lambda, exponential handle times of mean h, c interchangeable agents, first
come first served, nobody gives up. With the offered load A = lambda * h (in erlangs) and A < c:

    P(wait) = (A^c / c!) * c / (c - A)  /  (sum_{k<c} A^k / k!  +  (A^c / c!) * c / (c - A))
    ASA     = P(wait) * h / (c - A)                      (mean wait over all tickets)
    SL(t)   = 1 - P(wait) * exp(-(c - A) * t / h)        (share answered within t)

The terms are built by the recurrence A^k/k! = A^(k-1)/(k-1)! * A/k, so no factorial overflows.
"""

from __future__ import annotations

import math


def _offered(rate_per_hour: float, handle_minutes: float, agents: int) -> float:
    load = rate_per_hour * handle_minutes / 60.0
    if not load < agents:
        raise ValueError(f"{load:.2f} erlangs need more than {agents} agents to stay stable")
    return load


def probability_of_waiting(rate_per_hour: float, handle_minutes: float, agents: int) -> float:
    load = _offered(rate_per_hour, handle_minutes, agents)
    term, below = 1.0, 0.0
    for k in range(agents):
        below += term
        term *= load / (k + 1)
    queued = term * agents / (agents - load)
    return queued / (below + queued)


def average_speed_of_answer(rate_per_hour: float, handle_minutes: float, agents: int) -> float:
    """Mean wait in minutes, over all tickets (those answered at once count 0)."""
    load = _offered(rate_per_hour, handle_minutes, agents)
    return probability_of_waiting(rate_per_hour, handle_minutes, agents) * handle_minutes / (agents - load)


def service_level(rate_per_hour: float, handle_minutes: float, agents: int, within_minutes: float) -> float:
    load = _offered(rate_per_hour, handle_minutes, agents)
    waiting = probability_of_waiting(rate_per_hour, handle_minutes, agents)
    return 1.0 - waiting * math.exp(-(agents - load) * within_minutes / handle_minutes)


def occupancy(rate_per_hour: float, handle_minutes: float, agents: int) -> float:
    return _offered(rate_per_hour, handle_minutes, agents) / agents
