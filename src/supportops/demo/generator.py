"""Deterministic demo data: a help desk with organizations, customers, tiered agents and tickets.

``load`` simulates each ticket's history with the same rules the ticket services apply (the
lifecycle, auto-take on an agent's first reply, reopen on a customer reply, auto-close after N days)
and writes the rows those services would write: tickets, messages, time entries, ticket events in
the services' exact shape, and queued auto-close jobs. Counter columns are the fold of each ticket's
event log (:func:`supportops.tickets.counters.recompute`).

Same seed, same ``now`` and same ticket count give identical rows. Tickets are generated in creation
order and written in batches with Core bulk inserts and explicit ids, one transaction per batch, so
memory stays bounded however many tickets are asked for.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, column, func, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from supportops.auth.enums import Role, Tier
from supportops.auth.passwords import hash_password
from supportops.config import get_settings
from supportops.db.base import Base
from supportops.db.session import Database
from supportops.demo import catalog
from supportops.jobs.enums import JobStatus
from supportops.kit.clock import utc
from supportops.kit.errors import Conflict
from supportops.tickets import counters, lifecycle
from supportops.tickets.enums import PRIORITIES, AuthorKind, Status
from supportops.tickets.service import AUTO_CLOSE_JOB

__all__ = ["DEMO_LOGINS", "DemoLogin", "DemoSummary", "is_empty", "load"]


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


@dataclass(frozen=True)
class DemoSummary:
    """What ``load`` wrote; ``agents`` counts all staff (agents, leads and the admin)."""

    organizations: int
    customers: int
    agents: int
    groups: int
    tickets: int
    messages: int
    events: int
    seconds: float


def is_empty(db: Database) -> bool:
    """True when the database has no users (a fresh install)."""
    users = _table("users")
    with db.unit_of_work(write=False) as session:
        return session.execute(select(users.c.id).limit(1)).first() is None


# --- shape of the data ------------------------------------------------------------------------

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


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _dt(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


# Rows are written through untyped tables with values already in their stored form: timestamps as
# naive-UTC text in SQLAlchemy's SQLite format (PostgreSQL casts it to timestamp) and JSON as
# ``json.dumps`` text (cast to jsonb). That is what the typed columns would bind, without their
# per-value overhead, which dominates a million-ticket load.
_DATES: dict[int, str] = {}
_JSON_STRINGS: dict[str, str] = {}


def _ts(seconds: int) -> str:
    day, second = divmod(seconds, _DAY)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    hour, rest = divmod(second, _HOUR)
    minute, sec = divmod(rest, _MIN)
    return f"{date} {hour:02d}:{minute:02d}:{sec:02d}.000000"


def _ts_of(value: datetime | None) -> str | None:
    return None if value is None else _ts(int(value.timestamp()))


def _js(value: Any) -> str:
    if value is None:
        return "null"
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        out = _JSON_STRINGS.get(value)
        if out is None:
            out = json.dumps(value)
            if len(_JSON_STRINGS) < 10_000:
                _JSON_STRINGS[value] = out
        return out
    return json.dumps(value)


_MESSAGE_DATA = {
    (public, kind): (
        {"public": public, "author_kind": kind.value},
        json.dumps({"public": public, "author_kind": kind.value}),
    )
    for public in (True, False)
    for kind in AuthorKind
}
_LIGHT: dict[str, TableClause] = {}


def _light(name: str) -> TableClause:
    light = _LIGHT.get(name)
    if light is None:
        light = _LIGHT[name] = table(name, *(column(c.name) for c in _table(name).columns))
    return light


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


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
        trend = 0.8 + 0.4 * i / max(len(hours) - 1, 1)
        weekday = (hour // 24 + 3) % 7  # 1970-01-01 was a Thursday
        w = WEEKDAY_WEIGHTS[weekday] * HOUR_WEIGHTS[hour % 24] * noise * trend
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


# --- the cast -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Staff:
    id: int
    first: str
    role: Role
    tier: Tier | None


@dataclass
class _World:
    organizations: list[dict[str, Any]]
    users: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    memberships: list[dict[str, Any]]
    group_ids: dict[str, int]
    group_tier: dict[int, str]
    group_agents: dict[int, list[int]]
    staff: dict[int, _Staff]
    leads: list[int]
    customer_ids: list[int]
    customer_org: list[int | None]
    customer_first: list[str]
    customer_weights: list[float]
    org_plan: dict[int, str]
    customer_count: int
    staff_count: int


class _Ids:
    """The next free id per table, read once; the generator assigns ids itself."""

    TABLES = ("organizations", "users", "groups", "tickets", "messages", "ticket_events", "time_entries")

    def __init__(self, session: Session) -> None:
        self.next: dict[str, int] = {}
        for name in self.TABLES:
            current = session.execute(select(func.max(_table(name).c.id))).scalar()
            self.next[name] = int(current or 0) + 1

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


def _unique_name(rng: random.Random, taken: set[str]) -> str:
    for _ in range(1000):
        name = (
            f"{rng.choice(catalog.ORG_WORDS_A)} {rng.choice(catalog.ORG_WORDS_B)}"
            f"{rng.choice(catalog.ORG_SUFFIXES)}"
        )
        if name not in taken:
            return name
    return f"Customer {len(taken) + 1}"


def _slug(name: str) -> str:
    words = [
        w for w in name.lower().replace("&", " ").split() if w not in {"inc", "gmbh", "ltd", "ab", "sa", "co"}
    ]
    return "-".join("".join(ch for ch in w if ch.isalnum()) for w in words)


def _build_world(
    rng: random.Random,
    ids: _Ids,
    *,
    tickets: int,
    days: int,
    start: int,
    demo_hashes: dict[str, str],
) -> _World:
    customers_total = min(20000, 50 + tickets // 20)
    org_count = max(6, min(2000, customers_total // 12))
    per_day = tickets / days
    l1 = max(4, math.ceil(per_day / 20))
    l2 = max(3, math.ceil(l1 * 0.4))
    l3 = max(2, math.ceil(l1 * 0.15))
    leads = max(1, math.ceil((l1 + l2 + l3) / 12))

    def before_start(max_days: int) -> str:
        return _ts(start - rng.randrange(_DAY, max_days * _DAY))

    # organizations
    organizations: list[dict[str, Any]] = []
    org_plan: dict[int, str] = {}
    names: set[str] = set()
    domains: set[str] = set()
    for i in range(org_count):
        if i == 0:
            (name, domain), plan, shared = DEMO_ORGANIZATION, "enterprise", True
        else:
            name = _unique_name(rng, names)
            domain = f"{_slug(name)}.example"
            if domain in domains:
                domain = f"{_slug(name)}-{i}.example"
            plan = rng.choices(catalog.PLANS, weights=catalog.PLAN_WEIGHTS)[0]
            shared = rng.random() < {"free": 0.1, "pro": 0.3, "enterprise": 0.6}[plan]
        names.add(name)
        domains.add(domain)
        org_id = ids.take("organizations")
        org_plan[org_id] = plan
        organizations.append(
            {
                "id": org_id,
                "name": name,
                "domain": domain,
                "plan": plan,
                "shared_tickets": shared,
                "created_at": before_start(900),
            }
        )

    users: list[dict[str, Any]] = []
    emails: set[str] = set()

    def add_user(
        email: str, name: str, role: Role, org_id: int | None, password_hash: str | None, created_at: str
    ) -> int:
        user_id = ids.take("users")
        emails.add(email)
        users.append(
            {
                "id": user_id,
                "email": email,
                "name": name,
                "role": role.value,
                "organization_id": org_id,
                "password_hash": password_hash,
                "is_active": True,
                "language": rng.choice(catalog.LANGUAGES) if role == Role.customer else "en",
                "timezone": rng.choice(
                    catalog.TIMEZONES if role == Role.customer else catalog.STAFF_TIMEZONES
                ),
                "created_at": created_at,
            }
        )
        return user_id

    def person(domain: str) -> tuple[str, str, str]:
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        local = f"{first}.{last}".lower()
        email = f"{local}@{domain}"
        n = 2
        while email in emails:
            email = f"{local}{n}@{domain}"
            n += 1
        return first, f"{first} {last}", email

    # groups
    groups: list[dict[str, Any]] = []
    group_ids: dict[str, int] = {}
    group_tier: dict[int, str] = {}
    for name, tier, description in GROUPS:
        group_id = ids.take("groups")
        group_ids[name] = group_id
        group_tier[group_id] = tier.value
        groups.append(
            {
                "id": group_id,
                "name": name,
                "tier": tier.value,
                "description": description,
                "created_at": before_start(900),
            }
        )

    # staff: the demo logins come first in each kind
    staff: dict[int, _Staff] = {}
    memberships: list[dict[str, Any]] = []
    group_agents: dict[int, list[int]] = {gid: [] for gid in group_ids.values()}
    lead_ids: list[int] = []

    def add_staff(kind: str, index: int, role: Role, tier: Tier | None, group_names: list[str]) -> int:
        if index == 0:
            login = _LOGIN[kind]
            first, full, email = login.name.split()[0], login.name, login.email
            pw: str | None = demo_hashes[kind]
        else:
            first, full, email = person(catalog.STAFF_DOMAIN)
            pw = None
        user_id = add_user(email, full, role, None, pw, before_start(700))
        staff[user_id] = _Staff(user_id, first, role, tier)
        for group_name in group_names:
            gid = group_ids[group_name]
            memberships.append({"group_id": gid, "user_id": user_id})
            if role == Role.agent:
                group_agents[gid].append(user_id)
        return user_id

    add_staff("admin", 0, Role.admin, None, [])
    for i in range(leads):
        lead_ids.append(add_staff("lead", i, Role.lead, None, ["L1 Support", "L2 Specialists"]))
    for i in range(l1):
        add_staff("agent-l1", i, Role.agent, Tier.L1, ["L1 Support"])
    for i in range(l2):
        specialties = ["Integrations"] if i % 2 == 0 else ["Billing & Accounts"]
        if i % 3 == 2:
            specialties = ["Billing & Accounts", "Integrations"]
        add_staff("agent-l2", i, Role.agent, Tier.L2, ["L2 Specialists", *specialties])
    for i in range(l3):
        add_staff("agent-l3", i, Role.agent, Tier.L3, ["L3 Engineering"])
    staff_count = len(users)

    # customers: most in organizations (bigger plans, more people), a long tail of busy requesters
    org_ids = [o["id"] for o in organizations]
    org_weights = [{"free": 1.0, "pro": 2.0, "enterprise": 4.0}[org_plan[o]] for o in org_ids]
    org_domain = {o["id"]: o["domain"] for o in organizations}
    customer_ids: list[int] = []
    customer_org: list[int | None] = []
    customer_first: list[str] = []
    customer_weights: list[float] = []
    for i in range(customers_total):
        home: int | None
        pw: str | None
        if i == 0:
            login = _LOGIN["customer"]
            home = org_ids[0]
            first, full, email = login.name.split()[0], login.name, login.email
            pw = demo_hashes["customer"]
        else:
            if i < 8:  # colleagues of the demo customer
                home = org_ids[0]
            elif rng.random() < 0.85:
                home = rng.choices(org_ids, weights=org_weights)[0]
            else:
                home = None
            domain = org_domain[home] if home is not None else rng.choice(catalog.CONSUMER_DOMAINS)
            first, full, email = person(domain)
            pw = None
        user_id = add_user(email, full, Role.customer, home, pw, before_start(600))
        customer_ids.append(user_id)
        customer_org.append(home)
        customer_first.append(first)
        weight = rng.paretovariate(1.6)
        if home is not None and org_plan[home] == "enterprise":
            weight *= 1.5
        customer_weights.append(weight)
    # the demo customer files about 25 tickets, whatever the size of the load
    rest = sum(customer_weights[1:])
    share = min(0.03, 25 / max(tickets, 1))
    customer_weights[0] = rest * share / (1 - share)

    return _World(
        organizations=organizations,
        users=users,
        groups=groups,
        memberships=memberships,
        group_ids=group_ids,
        group_tier=group_tier,
        group_agents=group_agents,
        staff=staff,
        leads=lead_ids,
        customer_ids=customer_ids,
        customer_org=customer_org,
        customer_first=customer_first,
        customer_weights=_cumulative(customer_weights),
        org_plan=org_plan,
        customer_count=customers_total,
        staff_count=staff_count,
    )


# --- one ticket's history -------------------------------------------------------------------------


class _Horizon(Exception):
    """The next step would happen after ``now``: the ticket's history stops here."""


@dataclass
class _Closed:
    closed_at: int
    ticket_id: int
    requester: int
    customer_index: int
    subject: str
    category: str
    rank: int
    channel: str
    group_id: int | None
    tags: list[str]


class _Batch:
    def __init__(self) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.time_entries: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []


_UNSET: Any = object()


class _Ticket:
    """Simulates one ticket through the services' rules, recording rows as it goes."""

    def __init__(self, gen: _Generator, created: int, follow_up: _Closed | None) -> None:
        g = self.g = gen
        rng = g.rng
        w = g.world
        self.id = g.ids.take("tickets")
        self.t = created
        self.created = created
        self.events: list[dict[str, Any]] = []
        self.logged: list[counters.LoggedEvent] = []
        self.messages: list[dict[str, Any]] = []
        self.time_entries: list[dict[str, Any]] = []
        self._when = (-1, _EPOCH)
        self.status = Status.new
        self.assignee: int | None = None
        self.group: int | None = None
        self.closed_at: int | None = None
        self.resolved_at: int | None = None
        self.reopens = 0
        self.touches: dict[int, int] = {}
        self.custom_fields: dict[str, Any] = {}
        self.created_by: int | None = None
        self.follow_up = follow_up
        if follow_up is not None:
            self.customer_index = follow_up.customer_index
            self.rank = follow_up.rank
            self.category = follow_up.category
            self.channel = follow_up.channel
        else:
            self.customer_index = rng.choices(range(len(w.customer_ids)), cum_weights=w.customer_weights)[0]
            self.rank = rng.choices(range(5), cum_weights=g.priority_cum)[0]
            names, cum = g.category_cum[self.rank]
            self.category = rng.choices(names, cum_weights=cum)[0]
            self.channel = rng.choices(g.channels, cum_weights=g.channel_cum)[0]
        self.requester = w.customer_ids[self.customer_index]
        self.org = w.customer_org[self.customer_index]
        plan = w.org_plan.get(self.org, "free") if self.org is not None else "free"
        self.priority = g.priority_label[self.rank]
        words = catalog.CATEGORIES[self.category]
        self.text = words
        self.slots: dict[str, Any] = {
            "product": catalog.PRODUCT,
            "feature": rng.choice(catalog.FEATURES),
            "integration": rng.choice(catalog.INTEGRATIONS),
            "browser": rng.choice(catalog.BROWSERS),
            "error": rng.choice(catalog.ERRORS),
            "month": catalog.MONTHS[_dt(created).month - 1],
            "n": rng.randint(2, 500),
            "plan": plan,
            "invoice": f"INV-{rng.randint(10000, 99999)}",
            "release": f"{rng.randint(3, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "first": w.customer_first[self.customer_index],
            "agent": "",
            "hypothesis": "",
        }
        if follow_up is not None:
            self.subject = f"Follow-up: {follow_up.subject}"[:255]
            self.description = f"Follow-up to closed ticket #{follow_up.ticket_id}."
            self.tags = list(follow_up.tags)
        else:
            subject = rng.choice(words.subjects).format_map(self.slots)
            self.subject = (subject[:1].upper() + subject[1:])[:255]
            self.description = rng.choice(words.descriptions).format_map(self.slots)
            tags = set(rng.sample(words.tags, k=min(len(words.tags), rng.randint(1, 2))))
            if plan == "enterprise":
                tags.add("enterprise")
            self.tags = sorted(tags)
        self.slots["subject"] = self.subject.lower()
        self.severity: str | None = None
        if follow_up is None:
            if self.rank == 0:
                self.severity = "SEV1" if self.category == "outage" else "SEV2"
            elif self.rank == 1 and self.category in ("bug", "outage", "integration"):
                self.severity = rng.choice(("SEV2", "SEV3"))
            elif self.rank == 2 and self.category == "bug" and rng.random() < 0.3:
                self.severity = "SEV3"

    # -- time ----------------------------------------------------------------------------------

    def _at(self, t: int) -> int:
        t = max(t, self.t)
        if t > self.g.now:
            raise _Horizon
        self.t = t
        return t

    def _staff_delay(self, median: int, *, sigma: float = 0.9) -> int:
        """When staff act next: lognormal around the median; P3-P5 wait for business hours."""
        rng = self.g.rng
        t = self.t + max(30, int(median * rng.lognormvariate(0.0, sigma)))
        if self.rank >= 2:
            t = self._business(t)
        return self._at(t)

    def _customer_delay(self, median: int = 4 * _HOUR) -> int:
        return self._at(self.t + max(60, int(median * self.g.rng.lognormvariate(0.0, 1.1))))

    def _business(self, t: int) -> int:
        day, second = divmod(t, _DAY)
        weekday = (day + 3) % 7
        hour = second // _HOUR
        if weekday < 5 and 7 <= hour < 19:
            return t
        if weekday >= 5 or hour >= 19:
            day += 1
            while (day + 3) % 7 >= 5:
                day += 1
        return day * _DAY + 7 * _HOUR + self.g.rng.randrange(2 * _HOUR)

    # -- what the services write ---------------------------------------------------------------

    def _event(
        self,
        actor: int | None,
        kind: str,
        *,
        public: bool = False,
        field: str | None = None,
        old: Any = None,
        new: Any = None,
        data: dict[str, Any] | None = None,
        data_json: str | None = None,
    ) -> None:
        t = self.t
        if self._when[0] != t:
            self._when = (t, _dt(t))
        self.logged.append(counters.LoggedEvent(kind, self._when[1], field, old, new, data))
        self.events.append(
            {
                "id": self.g.ids.take("ticket_events"),
                "ticket_id": self.id,
                "at": _ts(t),
                "actor_id": actor,
                "kind": kind,
                "public": public,
                "field": field,
                "old_value": _js(old),
                "new_value": _js(new),
                "data": data_json or _js(data),
            }
        )

    def _set_status(self, actor: int | None, target: Status) -> None:
        problem = lifecycle.why_not(self.status, target, has_assignee=self.assignee is not None)
        if problem is not None:
            raise AssertionError(f"demo ticket {self.id}: {problem}")
        old = self.status
        self.status = target
        self._event(actor, "change", field="status", old=old.value, new=target.value, public=True)
        if target == Status.closed:
            self.closed_at = self.t
        elif target == Status.resolved:
            self.resolved_at = self.t

    def _create(self, creator: int | None, assignee: int | None, group: int | None) -> None:
        self.assignee, self.group = assignee, group
        self._event(
            creator,
            "created",
            public=True,
            data={
                "channel": self.channel,
                "priority": self.priority,
                "assignee_id": assignee,
                "group_id": group,
                "group_tier": self.g.world.group_tier[group] if group is not None else None,
                "follow_up_of_id": self.follow_up.ticket_id if self.follow_up else None,
            },
        )
        self.created_by = creator
        if assignee is not None:
            self._set_status(creator, Status.assigned)

    def _message(
        self,
        author: int | None,
        kind: AuthorKind,
        body: str,
        *,
        public: bool = True,
        status: Status | None = None,
    ) -> None:
        message_id = self.g.ids.take("messages")
        self.messages.append(
            {
                "id": message_id,
                "ticket_id": self.id,
                "author_id": author,
                "author_kind": kind.value,
                "public": public,
                "channel": self.channel,
                "body": body,
                "created_at": _ts(self.t),
            }
        )
        data, data_json = _MESSAGE_DATA[(public, kind)]
        self._event(author, "message", new=message_id, public=public, data=data, data_json=data_json)
        if kind == AuthorKind.agent and author is not None:
            self.touches[author] = self.touches.get(author, 0) + 1
        current = self.status
        if public and kind == AuthorKind.customer:
            move = lifecycle.after_customer_reply(current, has_assignee=self.assignee is not None)
            if move is not None:
                self._set_status(author, move)
        elif public and kind == AuthorKind.agent:
            if self.assignee is None and author is not None and self._may_take(author):
                self.assignee = author
                self._event(author, "change", field="assignee_id", old=None, new=author)
            move = lifecycle.after_agent_reply(current) if self.assignee is not None else None
            if move is not None and status is None:
                self._set_status(author, move)
        if status is not None and status != self.status:
            self._set_status(author, status)

    def _may_take(self, agent: int) -> bool:
        return self.group is None or agent in self.g.world.group_agents[self.group]

    def _update(
        self,
        actor: int | None,
        *,
        priority: str | None = None,
        custom_fields: dict[str, Any] | None = None,
        group: Any = _UNSET,
        assignee: Any = _UNSET,
    ) -> None:
        """update_ticket: simple fields, then the group, then the assignee (and its status move)."""
        if priority is not None and priority != self.priority:
            old_priority, self.priority = self.priority, priority
            self._event(actor, "change", field="priority", old=old_priority, new=priority, public=True)
        if custom_fields is not None:
            merged = {**self.custom_fields, **custom_fields}
            if merged != self.custom_fields:
                old_fields, self.custom_fields = self.custom_fields, merged
                self._event(actor, "change", field="custom_fields", old=old_fields, new=merged)
        if group is not _UNSET and group != self.group:
            old_group, self.group = self.group, group
            tier = self.g.world.group_tier[group] if group is not None else None
            self._event(
                actor, "change", field="group_id", old=old_group, new=group, data={"group_tier": tier}
            )
        if assignee is not _UNSET and assignee != self.assignee:
            assert assignee is None or self._may_take(assignee), "assignee outside the group"
            old_assignee, self.assignee = self.assignee, assignee
            self._event(actor, "change", field="assignee_id", old=old_assignee, new=assignee)
            move = lifecycle.after_assignment(self.status, has_assignee=assignee is not None)
            if move is not None:
                self._set_status(actor, move)

    def _log_time(self, agent: int) -> None:
        touches = self.touches.pop(agent, 0)
        if touches == 0:
            return
        rng = self.g.rng
        seconds = sum(max(60, int(300 * rng.lognormvariate(0.0, 0.6))) for _ in range(touches))
        seconds = min(seconds, 4 * _HOUR)
        entry_id = self.g.ids.take("time_entries")
        self.time_entries.append(
            {
                "id": entry_id,
                "ticket_id": self.id,
                "agent_id": agent,
                "started_at": _ts(self.t - seconds),
                "seconds": seconds,
                "source": "timer",
                "note": "",
            }
        )
        self._event(agent, "time", new=entry_id, data={"seconds": seconds, "agent_id": agent})

    # -- text ----------------------------------------------------------------------------------

    def _fill(self, template: str) -> str:
        return template.format_map(self.slots)

    def _agent_body(self, agent: int, *parts: str) -> str:
        rng = self.g.rng
        self.slots["agent"] = self.g.world.staff[agent].first
        greeting = self._fill(rng.choice(catalog.GREETINGS))
        signoff = self._fill(rng.choice(catalog.SIGNOFFS))
        return "\n\n".join([greeting, *(self._fill(p) for p in parts), signoff])

    def _customer_body(self, part: str) -> str:
        signoff = self._fill(self.g.rng.choice(catalog.CUSTOMER_SIGNOFFS))
        return f"{self._fill(part)}\n\n{signoff}"

    def _pick(self, options: Sequence[str]) -> str:
        return self.g.rng.choice(options)

    def _handoff_note(self, templates: Sequence[str]) -> str:
        hypothesis = self._fill(self._pick(self.text.hypotheses))
        self.slots["hypothesis"] = hypothesis  # the engineers' notes refer back to it
        said = self.description if len(self.description) <= 160 else self.description[:157] + "..."
        return self._pick(templates).format_map(
            {**self.slots, "tried": self._pick(self.text.tried), "said": said, "hypothesis": hypothesis}
        )

    # -- the story -----------------------------------------------------------------------------

    def simulate(self) -> None:
        with contextlib.suppress(_Horizon):
            self._story()
        if self.status == Status.resolved:
            self._after_resolution()

    def _agent_of(self, group: int) -> int:
        return self.g.rng.choice(self.g.world.group_agents[group])

    def _story(self) -> None:
        g, rng, w = self.g, self.g.rng, self.g.world
        l1 = w.group_ids["L1 Support"]
        fast = self.channel in ("chat", "phone")

        # intake
        agent: int
        if self.follow_up is not None:
            group = self.follow_up.group_id
            self._create(None, None, group)
            self._message(
                self.requester, AuthorKind.customer, self._customer_body(self._pick(catalog.FOLLOW_UPS))
            )
        elif self.channel == "phone":
            agent = self._agent_of(l1)
            self._create(agent, agent, l1)
            self._at(self.t + rng.randint(2 * _MIN, 10 * _MIN))
            self._message(
                agent, AuthorKind.agent, self._fill(self._pick(catalog.CALL_SUMMARIES)), public=False
            )
        else:
            routed = rng.random() < (0.8 if self.channel in ("email", "api") else 0.9)
            creator = None if self.channel == "email" else self.requester
            self._create(creator, None, l1 if routed or self.channel == "chat" else None)
            if self.channel == "email":
                self._at(self.t + rng.randint(5, 90))
                self._message(None, AuthorKind.system, self._fill(catalog.AUTO_ACK))
        forgettable = self.created >= g.now - FORGOTTEN_WITHIN
        if rng.random() < UNTOUCHED_CHANCE and forgettable:
            return

        # triage and assignment
        lead = rng.choice(w.leads)
        if self.group is None:
            self._staff_delay(30 * _MIN)
            self._update(lead, group=l1)
            self._set_status(lead, Status.triaged)
        group = self.group
        assert group is not None
        if self.assignee is not None:
            agent = self.assignee
        else:
            agent = self._agent_of(group)
            if not fast and rng.random() < 0.35:
                self._staff_delay(PICKUP_MEDIAN[self.rank] // 3)
                self._update(lead, assignee=agent)

        # plan
        escalate_l2 = escalate_l3 = False
        if self.follow_up is None and w.group_tier[group] == Tier.L1:
            p2, p3 = ESCALATION[self.category]
            escalate_l2 = rng.random() < p2
            escalate_l3 = escalate_l2 and rng.random() < p3
        on_hold = rng.random() < ON_HOLD_CHANCE.get(self.category, 0.0)
        exchanges = rng.choices(range(5), weights=EXCHANGE_WEIGHTS)[0]
        if fast:
            exchanges = max(exchanges, rng.choice((0, 0, 1, 2)))
        before = rng.randint(0, exchanges) if escalate_l2 else exchanges
        stall = rng.random() < STALL_CHANCE and forgettable

        # first response
        if self.channel == "chat":
            self._at(self.t + max(20, int(90 * rng.lognormvariate(0.0, 0.8))))
        elif self.channel == "phone":
            self._at(self.t + rng.randint(1 * _MIN, 5 * _MIN))
        else:
            self._staff_delay(FIRST_RESPONSE_MEDIAN[self.rank])
        if rng.random() < PRIORITY_CHANGE_CHANCE:
            new_rank = min(4, max(0, self.rank + rng.choice((-1, 1))))
            self._update(agent, priority=g.priority_label[new_rank])
        if before == 0 and not (escalate_l2 or on_hold):
            self._resolve(agent, first_reply=True)
            return
        if before > 0 and rng.random() < 0.7:
            self._message(
                agent,
                AuthorKind.agent,
                self._agent_body(agent, self._pick(self.text.questions)),
                status=Status.pending,
            )
        else:
            self._message(agent, AuthorKind.agent, self._agent_body(agent, self._pick(catalog.ACKS)))
        if stall:
            return
        if not self._exchanges(agent, before, fast=fast):
            return

        # L1 → L2
        if escalate_l2:
            agent = self._escalate_to_l2(agent, lead)
            if not self._exchanges(agent, exchanges - before, fast=False):
                return
            if escalate_l3:
                agent = self._engineering(agent)
                if self.status == Status.resolved:
                    return

        if on_hold:
            self._staff_delay(REPLY_MEDIAN[self.rank])
            self._message(
                agent,
                AuthorKind.agent,
                self._agent_body(agent, self._pick(catalog.ON_HOLD)),
                status=Status.on_hold,
            )
            self._at(self.t + rng.randint(1 * _DAY, 5 * _DAY))
            self._message(
                agent,
                AuthorKind.agent,
                self._agent_body(agent, self._pick(catalog.ON_HOLD_BACK)),
                status=Status.in_progress,
            )
        if rng.random() < 0.12:
            self._at(self.t + rng.randint(10 * _MIN, 2 * _HOUR))
            self._message(agent, AuthorKind.agent, self._fill(self._pick(catalog.NOTES)), public=False)
        self._resolve(agent)

    def _exchanges(self, agent: int, count: int, *, fast: bool) -> bool:
        """Question and answer rounds; False when the ticket was resolved for lack of a reply."""
        rng = self.g.rng
        for _ in range(count):
            if self.status != Status.pending:
                if fast:
                    self._at(self.t + max(20, int(150 * rng.lognormvariate(0.0, 0.7))))
                else:
                    self._staff_delay(REPLY_MEDIAN[self.rank])
                ask = Status.pending if not fast and rng.random() < 0.8 else None
                self._message(
                    agent,
                    AuthorKind.agent,
                    self._agent_body(agent, self._pick(self.text.questions)),
                    status=ask,
                )
            if self.status == Status.pending and rng.random() < 0.07:
                # the customer never answers: solved for lack of a reply after a few days
                self._at(self._business(self.t + rng.randint(3 * _DAY, 6 * _DAY)))
                self._message(
                    agent,
                    AuthorKind.agent,
                    self._agent_body(agent, self._pick(catalog.PENDING_TIMEOUTS)),
                    status=Status.resolved,
                )
                self._log_time(agent)
                return False
            if fast:
                self._at(self.t + max(20, int(120 * rng.lognormvariate(0.0, 0.8))))
            else:
                self._customer_delay()
            self._message(
                self.requester, AuthorKind.customer, self._customer_body(self._pick(self.text.answers))
            )
            if not fast and rng.random() < 0.25:
                self._at(self.t + rng.randint(5 * _MIN, 90 * _MIN))
                self._message(agent, AuthorKind.agent, self._fill(self._pick(catalog.NOTES)), public=False)
            if not fast and rng.random() < 0.06:
                self._customer_delay(20 * _HOUR)
                self._message(
                    self.requester, AuthorKind.customer, self._customer_body(self._pick(catalog.CHASERS))
                )
        return True

    def _escalate_to_l2(self, agent: int, lead: int) -> int:
        rng, w = self.g.rng, self.g.world
        l2 = w.group_ids[L2_GROUP_FOR.get(self.category, "L2 Specialists")]
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2)
        self._message(agent, AuthorKind.agent, self._handoff_note(catalog.HANDOFF_L2), public=False)
        self._log_time(agent)
        via_escalated = rng.random() < 0.7
        if via_escalated:
            self._set_status(agent, Status.escalated)
        specialist = self._agent_of(l2)
        self._staff_delay(PICKUP_MEDIAN[self.rank])
        self._update(rng.choice((lead, specialist)), group=l2, assignee=specialist)
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2)
        if self.status == Status.escalated:
            self._message(
                specialist,
                AuthorKind.agent,
                self._agent_body(specialist, self._pick(catalog.UPDATES)),
                status=Status.in_progress,
            )
        else:
            self._message(
                specialist, AuthorKind.agent, self._agent_body(specialist, self._pick(catalog.UPDATES))
            )
        return specialist

    def _engineering(self, specialist: int) -> int:
        rng, w = self.g.rng, self.g.world
        l3 = w.group_ids["L3 Engineering"]
        back_to = self.group
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2)
        self._message(specialist, AuthorKind.agent, self._handoff_note(catalog.HANDOFF_L3), public=False)
        self._log_time(specialist)
        self._set_status(specialist, Status.escalated)
        engineer = self._agent_of(l3)
        self._at(self.t + max(5 * _MIN, int(PICKUP_MEDIAN[self.rank] * rng.lognormvariate(0, 0.8))))
        self._update(engineer, group=l3, assignee=engineer)
        self._set_status(engineer, Status.engineering)
        self._at(self.t + int(ENGINEERING_MEDIAN[self.rank] * rng.lognormvariate(0.0, 0.8)))
        self._message(
            engineer, AuthorKind.agent, self._fill(self._pick(catalog.ENGINEERING_NOTES)), public=False
        )
        if rng.random() < 0.45:
            self._log_time(engineer)
            self._message(
                engineer,
                AuthorKind.agent,
                self._agent_body(engineer, self._pick(self.text.resolutions)),
                status=Status.resolved,
            )
            return engineer
        self._log_time(engineer)
        self._update(engineer, group=back_to, assignee=specialist)
        self._staff_delay(REPLY_MEDIAN[self.rank] // 2)
        self._set_status(specialist, Status.in_progress)
        return specialist

    def _resolve(self, agent: int, *, first_reply: bool = False) -> None:
        rng = self.g.rng
        if not first_reply:
            if self.channel == "chat":
                self._at(self.t + rng.randint(1 * _MIN, 6 * _MIN))
            else:
                self._staff_delay(REPLY_MEDIAN[self.rank])
        if not first_reply and rng.random() < 0.05:
            self._log_time(agent)
            self._set_status(self.requester, Status.resolved)  # the customer marks it solved
            return
        body = self._agent_body(agent, self._pick(self.text.resolutions))
        self._message(agent, AuthorKind.agent, body, status=Status.resolved)
        self._log_time(agent)

    def _after_resolution(self) -> None:
        """Reopens by customer reply, a satisfaction rating, and the auto-close N days later."""
        g, rng = self.g, self.g.rng
        try:
            while self.reopens < 2:
                resolved_at = self.resolved_at
                assert resolved_at is not None and self.assignee is not None
                hasty = resolved_at - self.created < _HOUR and self.category in ("bug", "integration")
                chance = HASTY_REOPEN_CHANCE if hasty else REOPEN_CHANCE
                if rng.random() >= chance:
                    break
                self._at(resolved_at + rng.randint(_HOUR, int(3.5 * _DAY)))
                self._message(
                    self.requester, AuthorKind.customer, self._customer_body(self._pick(catalog.REOPENS))
                )
                self.reopens += 1
                agent = self.assignee
                self._staff_delay(REPLY_MEDIAN[self.rank])
                self._message(agent, AuthorKind.agent, self._agent_body(agent, self._pick(catalog.ACKS)))
                if rng.random() < 0.5 and not self._exchanges(agent, 1, fast=False):
                    continue
                self._resolve(agent)
        except _Horizon:
            pass
        if self.status != Status.resolved:
            return
        resolved_at = self.resolved_at
        assert resolved_at is not None
        close_at = resolved_at + g.auto_close_days * _DAY
        if rng.random() < CSAT_CHANCE:
            rated_at = resolved_at + rng.randint(10 * _MIN, min(3 * _DAY, close_at - resolved_at - 1))
            if rated_at <= g.now:
                if self.reopens:
                    mood = "reopened"
                elif resolved_at - self.created > 5 * _DAY or self._reached_l3():
                    mood = "slow"
                else:
                    mood = "good"
                score = rng.choices(range(1, 6), weights=CSAT_WEIGHTS[mood])[0]
                self.t = rated_at
                self._update(None, custom_fields={"csat": score})
        if close_at <= g.now:
            self.t = max(self.t, close_at)
            self._set_status(None, Status.closed)
        else:
            resolved = _dt(resolved_at).isoformat()
            g.batch.jobs.append(
                {
                    "kind": AUTO_CLOSE_JOB,
                    "payload": _js({"ticket_id": self.id, "resolved_at": resolved}),
                    "status": JobStatus.queued.value,
                    "run_at": _ts(close_at),
                    "attempts": 0,
                    "max_attempts": 8,
                    "dedupe_key": f"{AUTO_CLOSE_JOB}:{self.id}:{resolved}",
                    "locked_by": None,
                    "locked_until": None,
                    "last_error": None,
                    "created_at": _ts(resolved_at),
                    "finished_at": None,
                }
            )

    def _reached_l3(self) -> bool:
        return any(e.field == "group_id" and (e.data or {}).get("group_tier") == "L3" for e in self.logged)

    # -- the row -------------------------------------------------------------------------------

    def row(self) -> dict[str, Any]:
        folded = counters.recompute(self.logged)
        return {
            "id": self.id,
            "subject": self.subject,
            "description": self.description,
            "status": self.status.value,
            "priority": self.priority,
            "severity": self.severity,
            "channel": self.channel,
            "category": self.category,
            "tags": _js(self.tags),
            "custom_fields": _js(self.custom_fields),
            "requester_id": self.requester,
            "organization_id": self.org,
            "assignee_id": self.assignee,
            "group_id": self.group,
            "follow_up_of_id": self.follow_up.ticket_id if self.follow_up else None,
            "created_by_id": self.created_by,
            "created_at": _ts(self.created),
            "updated_at": self.events[-1]["at"],
            "closed_at": _ts(self.closed_at) if self.closed_at is not None else None,
            "first_response_at": _ts_of(folded.first_response_at),
            "first_resolved_at": _ts_of(folded.first_resolved_at),
            "last_resolved_at": _ts_of(folded.last_resolved_at),
            "reopen_count": folded.reopen_count,
            "public_agent_replies": folded.public_agent_replies,
            "agent_stations": folded.agent_stations,
            "group_stations": folded.group_stations,
            "max_tier": folded.max_tier,
            "handle_seconds": folded.handle_seconds,
            "version": 1,
        }


# --- the generator ----------------------------------------------------------------------------


class _Generator:
    def __init__(
        self,
        *,
        rng: random.Random,
        world: _World,
        ids: _Ids,
        now: int,
        priority_label: tuple[str, ...],
        auto_close_days: int,
    ) -> None:
        self.rng = rng
        self.world = world
        self.ids = ids
        self.now = now
        self.priority_label = priority_label
        self.auto_close_days = auto_close_days
        self.priority_cum = _cumulative(PRIORITY_WEIGHTS)
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cum = _cumulative(list(CHANNEL_WEIGHTS.values()))
        self.category_cum = [(list(c), _cumulative(list(c.values()))) for c in CATEGORY_BY_RANK]
        self.batch = _Batch()
        self.closed: deque[_Closed] = deque(maxlen=2000)

    def _follow_up_of(self, created: int) -> _Closed | None:
        if not self.closed or self.rng.random() >= FOLLOW_UP_CHANCE:
            return None
        for _ in range(3):
            index = self.rng.randrange(len(self.closed))
            candidate = self.closed[index]
            if candidate.closed_at < created:
                del self.closed[index]
                return candidate
        return None

    def ticket(self, created: int) -> None:
        sim = _Ticket(self, created, self._follow_up_of(created))
        sim.simulate()
        batch = self.batch
        batch.tickets.append(sim.row())
        batch.messages.extend(sim.messages)
        batch.events.extend(sim.events)
        batch.time_entries.extend(sim.time_entries)
        if sim.closed_at is not None:
            self.closed.append(
                _Closed(
                    closed_at=sim.closed_at,
                    ticket_id=sim.id,
                    requester=sim.requester,
                    customer_index=sim.customer_index,
                    subject=sim.subject,
                    category=sim.category,
                    rank=sim.rank,
                    channel=sim.channel,
                    group_id=sim.group,
                    tags=sim.tags,
                )
            )


def _priority_labels() -> tuple[str, ...]:
    """P1..P5 in the default scheme; with P0-P3, P4 and P5 both become P3."""
    scheme = get_settings().priority_scheme
    labels = PRIORITIES[scheme]
    return tuple(labels[min(rank, len(labels) - 1)] for rank in range(5))


def _insert(session: Session, name: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_light(name).insert(), rows)


def _fix_sequences(session: Session) -> None:
    """PostgreSQL: move each id sequence past the ids the generator assigned itself."""
    for name in _Ids.TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {name}))"
            )
        )


def load(
    db: Database,
    *,
    tickets: int = 2000,
    seed: int = 7,
    now: datetime | None = None,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Load ``tickets`` tickets with history ending at ``now``, plus the people behind them.

    ``progress`` gets the number of tickets written so far after each committed batch. Raises
    Conflict when the demo logins already exist (the demo data is loaded once per database).
    """
    started = time.perf_counter()
    if tickets < 0:
        raise ValueError("tickets must be zero or more")
    batch_size = max(1, batch_size)
    now_dt = utc(now) if now is not None else datetime.now(UTC)
    now_s = math.floor(now_dt.timestamp())
    days = span_days(tickets)
    start = now_s - days * _DAY

    with db.unit_of_work(write=False) as session:
        users = _table("users")
        taken = session.execute(
            select(users.c.email).where(users.c.email.in_([d.email for d in DEMO_LOGINS]))
        ).first()
        if taken is not None:
            raise Conflict(
                f"The demo data is already loaded ({taken[0]} exists); load it into an empty database."
            )
        ids = _Ids(session)

    hashes = {login.role: hash_password(login.password) for login in DEMO_LOGINS}
    world = _build_world(
        random.Random(f"supportops-demo:{seed}:world"),
        ids,
        tickets=tickets,
        days=days,
        start=start,
        demo_hashes=hashes,
    )
    with db.unit_of_work() as session:
        _insert(session, "organizations", world.organizations)
        _insert(session, "groups", world.groups)
        _insert(session, "users", world.users)
        _insert(session, "group_memberships", world.memberships)
        if db.dialect == "postgresql":
            _fix_sequences(session)

    gen = _Generator(
        rng=random.Random(f"supportops-demo:{seed}:tickets"),
        world=world,
        ids=ids,
        now=now_s,
        priority_label=_priority_labels(),
        auto_close_days=get_settings().auto_close_days,
    )
    arrivals = _arrivals(random.Random(f"supportops-demo:{seed}:arrivals"), tickets, start, now_s)
    done = messages = events = 0

    def flush() -> None:
        nonlocal done, messages, events
        batch = gen.batch
        with db.unit_of_work() as session:
            _insert(session, "tickets", batch.tickets)
            _insert(session, "messages", batch.messages)
            _insert(session, "ticket_events", batch.events)
            _insert(session, "time_entries", batch.time_entries)
            _insert(session, "jobs", batch.jobs)
            if db.dialect == "postgresql":
                _fix_sequences(session)
        done += len(batch.tickets)
        messages += len(batch.messages)
        events += len(batch.events)
        gen.batch = _Batch()
        if progress is not None:
            progress(done)

    for created in arrivals:
        gen.ticket(created)
        if len(gen.batch.tickets) >= batch_size:
            flush()
    if gen.batch.tickets:
        flush()

    return DemoSummary(
        organizations=len(world.organizations),
        customers=world.customer_count,
        agents=world.staff_count,
        groups=len(world.groups),
        tickets=done,
        messages=messages,
        events=events,
        seconds=round(time.perf_counter() - started, 3),
    )
