"""The shape of the demo data: the demo logins, the odds and delays every ticket draws from, and
when tickets arrive. Shared by the cast, the ticket simulation and the loader."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from supportops.auth.enums import Tier


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    name: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "admin@helpdesk.example", "demo-admin-pass", "Avery Stone"),
    DemoLogin("lead", "lead@helpdesk.example", "demo-lead-pass", "Morgan Blake"),
    DemoLogin("agent-l1", "l1@helpdesk.example", "demo-l1-pass", "Sam Rivera"),
    DemoLogin("agent-l2", "l2@helpdesk.example", "demo-l2-pass", "Jordan Reyes"),
    DemoLogin("agent-l3", "l3@helpdesk.example", "demo-l3-pass", "Riley Novak"),
    DemoLogin("customer", "casey@northwind.example", "demo-customer-pass", "Casey Miller"),
)
_LOGIN = {login.role: login for login in DEMO_LOGINS}
DEMO_ORGANIZATION = ("Northwind Traders", "northwind.example")


_MIN = 60
_HOUR = 3600
_DAY = 86400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Ranks 0..4 are P1..P5 of the default scheme.
PRIORITY_WEIGHTS = (0.03, 0.12, 0.45, 0.25, 0.15)
CHANNEL_WEIGHTS = {"email": 0.45, "web": 0.30, "chat": 0.15, "phone": 0.07, "api": 0.03}
CATEGORY_BY_RANK: tuple[dict[str, float], ...] = (
    {"outage": 0.55, "bug": 0.30, "integration": 0.10, "account": 0.05},
    {"bug": 0.40, "integration": 0.25, "outage": 0.08, "account": 0.15, "billing": 0.12},
    {"bug": 0.25, "integration": 0.15, "billing": 0.20, "account": 0.20, "how-to": 0.20},
    {"how-to": 0.35, "account": 0.20, "billing": 0.15, "bug": 0.20, "integration": 0.10},
    {"feature-request": 0.55, "how-to": 0.45},
)
# (chance of an L1 → L2 handoff, chance of L2 → L3 after that)
ESCALATION = {
    "outage": (0.55, 0.60),
    "bug": (0.30, 0.35),
    "integration": (0.35, 0.15),
    "billing": (0.20, 0.02),
    "account": (0.12, 0.05),
    "how-to": (0.03, 0.0),
    "feature-request": (0.05, 0.0),
}
ON_HOLD_CHANCE = {"integration": 0.15, "billing": 0.08, "bug": 0.04}
FIRST_RESPONSE_MEDIAN = (8 * _MIN, 40 * _MIN, 150 * _MIN, 5 * _HOUR, 9 * _HOUR)
REPLY_MEDIAN = (30 * _MIN, 90 * _MIN, 4 * _HOUR, 8 * _HOUR, 12 * _HOUR)
PICKUP_MEDIAN = (15 * _MIN, 60 * _MIN, 4 * _HOUR, 8 * _HOUR, 12 * _HOUR)
ENGINEERING_MEDIAN = (3 * _HOUR, 10 * _HOUR, 30 * _HOUR, 48 * _HOUR, 72 * _HOUR)
EXCHANGE_WEIGHTS = (0.70, 0.17, 0.08, 0.03, 0.02)
CSAT_WEIGHTS = {
    "good": (0.02, 0.02, 0.04, 0.20, 0.72),
    "slow": (0.07, 0.06, 0.12, 0.30, 0.45),
    "reopened": (0.18, 0.15, 0.20, 0.25, 0.22),
}
CSAT_CHANCE = 0.4
CSAT_COMMENT_CHANCE = 0.35
# Relationship survey: every 90 days to customers with a ticket in the 90 days before it.
NPS_EVERY = 90 * _DAY
NPS_ANSWER_CHANCE = 0.25
NPS_COMMENT_CHANCE = 0.4
# Scores 0..10. A customer answers as a happy one (NPS about +42) or, with the share of their
# recent tickets that were reopened or slow, as an unhappy one (about +1): about +30 overall.
NPS_WEIGHTS = {
    "happy": (0.005, 0.005, 0.01, 0.01, 0.015, 0.035, 0.05, 0.12, 0.20, 0.25, 0.30),
    "unhappy": (0.02, 0.02, 0.03, 0.04, 0.05, 0.07, 0.09, 0.15, 0.20, 0.16, 0.17),
}
# Self-service resolutions per ticket created: 0.39 confirmed ("resolved") and a fifth of that
# "indirect", so deflection is 28% counting confirmed ones only and 32% counting both.
SELF_SERVICE_PER_TICKET = 0.467
SELF_SERVICE_INDIRECT_SHARE = 1 / 6
SELF_SERVICE_ANONYMOUS = 0.3
REOPEN_CHANCE = 0.045
HASTY_REOPEN_CHANCE = 0.12  # resolved within the hour: speed over quality
FOLLOW_UP_CHANCE = 0.012
# Invisible backlog: tickets touched once and forgotten, or never touched. Only in the last weeks;
# older ones were found and worked eventually, so the backlog does not grow with the history.
STALL_CHANCE = 0.012
UNTOUCHED_CHANCE = 0.003
FORGOTTEN_WITHIN = 60 * 86400
PRIORITY_CHANGE_CHANCE = 0.03

# Arrivals by UTC hour of day and weekday (Monday first): customers in Europe and the Americas.
# fmt: off
HOUR_WEIGHTS = (
    0.12, 0.08, 0.06, 0.05, 0.05, 0.07, 0.15, 0.35, 0.70, 0.95, 1.00, 1.00,
    0.90, 0.95, 1.00, 1.00, 0.95, 0.85, 0.70, 0.55, 0.45, 0.35, 0.25, 0.18,
)
# fmt: on
WEEKDAY_WEIGHTS = (1.15, 1.10, 1.05, 1.00, 0.90, 0.30, 0.25)

# Agent work and shifts. Each touch of a ticket (a reply or a note) costs the agent lognormal time
# around the median of their tier; a time entry sums an agent's touches in one stretch online.
TOUCH_MEDIAN = {Tier.L1: 5 * _MIN, Tier.L2: 12 * _MIN, Tier.L3: 40 * _MIN}
TOUCH_SIGMA = 0.6
# Handle seconds each tier's agents log within their shifts per ticket created (the rest is on-call
# work), measured from the story over 2,000 to 100,000-ticket demos. A bigger team covers more of
# the day, so less of its work is on call: utilization runs from about 70% at 2,000 tickets to 78%
# at 100,000. Staffing divides the forecast workload by these; if the story changes, the
# utilization test says so and they are measured again.
HANDLE_PER_TICKET = {Tier.L1: 680.0, Tier.L2: 330.0, Tier.L3: 80.0}
# Of a ticket's handle time, the share done on the day it arrives and on each day after.
WORK_LAG = (0.48, 0.10, 0.09, 0.06, 0.05, 0.05, 0.04, 0.03, 0.02, 0.02, 0.02, 0.015, 0.01, 0.01, 0.005)
TARGET_UTILIZATION = 0.75
PEAK_WEEK = 1.25  # the busiest weeks against the average one: trend 1.2, and some noise
ABSENCE = 0.06  # sick days and vacation: the share of rostered days nobody works
FULL_TIME_WEEK = 5 * 7.5 * _HOUR  # online, lunch excluded
MAX_SHIFT = 8.5 * _HOUR  # online per day
MIN_SHIFT = 3 * _HOUR
MIN_AGENTS = {Tier.L1: 2, Tier.L2: 2, Tier.L3: 1}
PART_TIME_CHANCE = 0.25
SICK_DAY_CHANCE = 0.025
VACATION_WEEKS_PER_YEAR = 2
COVERAGE = (7 * _HOUR, 22 * _HOUR)  # UTC hours a tier's staggered shifts try to cover ...
LOCAL_STARTS = (7 * 60, 14 * 60)  # ... starting within these local hours (minutes after midnight)
COVERAGE_CENTER = 12 * _HOUR + 30 * _MIN  # the middle of the arrivals' day
URGENT_WAIT = _HOUR  # P1/P2 wait this long at most for the assignee's shift, else on call
MAX_ENTRY = 4 * _HOUR

GROUPS: tuple[tuple[str, Tier, str], ...] = (
    ("L1 Support", Tier.L1, "First response and common issues, all channels."),
    ("L2 Specialists", Tier.L2, "Complex troubleshooting across the product."),
    ("Billing & Accounts", Tier.L2, "Invoices, refunds, account ownership and access."),
    ("Integrations", Tier.L2, "API, webhooks and third-party connectors."),
    ("L3 Engineering", Tier.L3, "Code-level issues escalated to the engineering on-call."),
)
L2_GROUP_FOR = {
    "billing": "Billing & Accounts",
    "account": "Billing & Accounts",
    "integration": "Integrations",
}


def span_days(tickets: int) -> int:
    """Days of history: 90 for 2,000 tickets, growing to about two years for a million."""
    return int(min(730, max(30, round(90 * (max(tickets, 1) / 2000) ** 0.337))))


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _seasonality(hour: int, i: int, hours: int) -> float:
    """The expected arrival weight of epoch hour ``hour``, the ``i``-th of ``hours`` in the span:
    weekday and hour-of-day pattern times a slow growth from 0.8 to 1.2 (extrapolated outside)."""
    trend = 0.8 + 0.4 * i / max(hours - 1, 1)
    weekday = (hour // 24 + 3) % 7  # 1970-01-01 was a Thursday
    return WEEKDAY_WEIGHTS[weekday] * HOUR_WEIGHTS[hour % 24] * trend


def _arrivals(rng: random.Random, count: int, start: int, end: int) -> Iterator[int]:
    """``count`` creation times (epoch seconds, ascending, all in [start, end)) with weekday and
    hour-of-day seasonality, day-to-day noise, occasional busy days and slow growth."""
    first_hour = start // _HOUR
    hours = range(first_hour, (end - 1) // _HOUR + 1)
    weights: list[float] = []
    noise = 1.0
    for i, hour in enumerate(hours):
        if i == 0 or hour % 24 == 0:
            noise = rng.lognormvariate(0.0, 0.15) * (2.0 if rng.random() < 0.02 else 1.0)
        lo, hi = max(start, hour * _HOUR), min(end, (hour + 1) * _HOUR)
        w = _seasonality(hour, i, len(hours)) * noise
        weights.append(w * (hi - lo) / _HOUR)
    total = sum(weights)
    running = 0.0
    emitted = 0
    for i, hour in enumerate(hours):
        running += weights[i]
        target = count if i == len(hours) - 1 else min(count, round(count * running / total))
        lo, hi = max(start, hour * _HOUR), min(end, (hour + 1) * _HOUR)
        offsets = sorted(rng.randrange(hi - lo) for _ in range(target - emitted))
        emitted = max(emitted, target)
        for offset in offsets:
            yield lo + offset


def _weekly_workload(count: int, start: int, end: int) -> dict[int, float]:
    """The work expected per week (keyed by the epoch day of its Monday), in tickets' worth, when
    ``count`` tickets arrive in [start, end): the arrival pattern without its noise, each day's
    tickets worked on over the following days as ``WORK_LAG`` says. No tickets arrive before
    ``start``; the last week is completed past ``end`` as if arrivals went on."""
    first_hour = start // _HOUR
    hours = (end - 1) // _HOUR + 1 - first_hour
    inside = 0.0
    for i in range(hours):
        hour = first_hour + i
        lo, hi = max(start, hour * _HOUR), min(end, (hour + 1) * _HOUR)
        inside += _seasonality(hour, i, hours) * (hi - lo) / _HOUR
    scale = count / inside if inside > 0 else 0.0
    first_day, last_day = start // _DAY, (end - 1) // _DAY
    first_monday, last_monday = _monday(first_day), _monday(last_day)
    arrivals: dict[int, float] = {}
    for hour in range(first_hour, (last_monday + 7) * 24):
        covered = min(_HOUR, (hour + 1) * _HOUR - start)
        weight = _seasonality(hour, hour - first_hour, hours) * covered / _HOUR * scale
        arrivals[hour // 24] = arrivals.get(hour // 24, 0.0) + weight
    out: dict[int, float] = {}
    for monday in range(first_monday, last_monday + 1, 7):
        out[monday] = sum(
            share * arrivals.get(day - lag, 0.0)
            for day in range(monday, monday + 7)
            for lag, share in enumerate(WORK_LAG)
        )
    return out


def _monday(day: int) -> int:
    """The epoch day of the Monday on or before epoch day ``day``."""
    return day - (day + 3) % 7


def _headcount(tickets: int, days: int) -> dict[Tier, int]:
    """Agents per tier for the busiest weeks' forecast workload (the arrivals grow by half over the
    history) at the target utilization, at least the few that keep every group staffed."""
    weekly = tickets / max(days, 1) * 7 * PEAK_WEEK
    return {
        tier: max(MIN_AGENTS[tier], math.ceil(weekly * HANDLE_PER_TICKET[tier] / _need_per_agent()))
        for tier in (Tier.L1, Tier.L2, Tier.L3)
    }


def _need_per_agent() -> float:
    """Seconds of handle time a full-time agent absorbs per week at the target utilization."""
    return FULL_TIME_WEEK * TARGET_UTILIZATION * (1 - ABSENCE)
