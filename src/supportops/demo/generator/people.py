"""The cast: organizations, support groups, staff in tiers and customers, built once before any
ticket so that every ticket can draw its requester, group and agents from them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from supportops.auth.enums import Role, Tier
from supportops.demo import catalog
from supportops.demo.generator.rows import _Ids, _ts
from supportops.demo.generator.shape import (
    _DAY,
    _LOGIN,
    DEMO_ORGANIZATION,
    GROUPS,
    _cumulative,
    _headcount,
)


@dataclass(frozen=True)
class _Staff:
    id: int
    first: str
    role: Role
    tier: Tier | None
    timezone: str


@dataclass
class _World:
    organizations: list[dict[str, Any]]
    users: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    memberships: list[dict[str, Any]]
    skills: list[dict[str, Any]]
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


# skill → (lowest, highest) proficiency, per kind of staff; L2 specialists add their group's skills
_SKILLS: dict[str, dict[str, tuple[int, int]]] = {
    "lead": {"how-to": (4, 5), "account": (3, 4), "billing": (3, 4), "bug": (2, 4)},
    "agent-l1": {
        "how-to": (3, 5),
        "account": (2, 4),
        "billing": (2, 3),
        "bug": (1, 2),
        "feature-request": (2, 4),
    },
    "agent-l2": {"bug": (3, 5), "how-to": (3, 5)},
    "agent-l3": {"bug": (4, 5), "outage": (4, 5), "integration": (3, 4)},
}
_SPECIALTY_SKILLS: dict[str, dict[str, tuple[int, int]]] = {
    "Billing & Accounts": {"billing": (4, 5), "account": (4, 5)},
    "Integrations": {"integration": (4, 5), "outage": (2, 3)},
}


def _skills_of(user_id: int, kind: str, group_names: list[str]) -> list[dict[str, Any]]:
    """Skills drawn from their own stream (seeded by the user id) so the rest of the data set
    does not depend on them."""
    ranges = dict(_SKILLS.get(kind, {}))
    for group_name in group_names:
        ranges.update(_SPECIALTY_SKILLS.get(group_name, {}))
    draw = random.Random(user_id * 7919)
    return [
        {"user_id": user_id, "skill": skill, "proficiency": draw.randint(low, high)}
        for skill, (low, high) in sorted(ranges.items())
    ]


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
    heads = _headcount(tickets, days)
    l1, l2, l3 = heads[Tier.L1], heads[Tier.L2], heads[Tier.L3]
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
    skills: list[dict[str, Any]] = []
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
        staff[user_id] = _Staff(user_id, first, role, tier, users[-1]["timezone"])
        for group_name in group_names:
            gid = group_ids[group_name]
            memberships.append({"group_id": gid, "user_id": user_id})
            if role == Role.agent:
                group_agents[gid].append(user_id)
        skills.extend(_skills_of(user_id, kind, group_names))
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
        skills=skills,
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
