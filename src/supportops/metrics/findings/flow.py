"""Detectors about how tickets moved: ticket tennis, metric gaming, escalation avoidance and the
invisible backlog. Each narrows the tickets with counter columns first and reads the event log of
the few that remain."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select, union_all

from supportops.metrics.findings.model import TITLES, Finding
from supportops.metrics.findings.scope import (
    EVENTS,
    MESSAGES,
    SLA_CLOCKS,
    SLA_EVENTS,
    SOLVED,
    TICKETS,
    Scope,
    chunks,
    instant,
    json_text,
    ranked,
)
from supportops.tickets.counters import TIER_RANK
from supportops.tickets.enums import AuthorKind, Status

T, E, M = TICKETS, EVENTS, MESSAGES


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


# --- ticket tennis ------------------------------------------------------------------------------


def _id(value: Any) -> int | None:
    """An id that SQL pulled out of JSON as text (or as a number, on SQLite)."""
    return None if value is None or value == "null" else int(value)


def _group_paths(scope: Scope, ticket_ids: Iterable[int]) -> dict[int, list[int]]:
    """The groups each ticket was in, in order (leaving a group for none is skipped)."""
    paths: dict[int, list[int]] = defaultdict(list)
    for part in chunks(ticket_ids):
        rows = scope.session.execute(
            select(E.c.ticket_id, json_text(E.c.new_value, scope.dialect), E.c.data["group_id"].as_string())
            .where(
                E.c.ticket_id.in_(part),
                or_(E.c.kind == "created", and_(E.c.kind == "change", E.c.field == "group_id")),
            )
            .order_by(E.c.ticket_id, E.c.id)
        )
        for ticket_id, changed_to, created_in in rows:
            group = _id(created_in if created_in is not None else changed_to)
            path = paths[ticket_id]
            if group is not None and (not path or path[-1] != group):
                path.append(group)
    return paths


def _bounces(path: Sequence[int]) -> list[tuple[int, int]]:
    """Every A → B → A in a group path, as (A, B)."""
    return [(path[i], path[i + 1]) for i in range(len(path) - 2) if path[i] == path[i + 2]]


def ticket_tennis(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets that changed hands too often, or bounced between two groups and back."""
    h = t["min_handoffs"]
    rows = [
        r for r in scope.tickets() if max(r.agent_stations, r.group_stations) >= h or r.group_stations >= 3
    ]
    if not rows:
        return None
    paths = _group_paths(scope, (r.id for r in rows if r.group_stations >= 2))
    matched: list[tuple[int, int, int]] = []  # (id, stations, bounces)
    handed = bounced = 0
    through: Counter[int] = Counter()
    pairs: Counter[tuple[int, int]] = Counter()
    for r in rows:
        path = paths.get(r.id, [])
        bounces = _bounces(path)
        stations = max(r.agent_stations, r.group_stations)
        if stations < h and not bounces:
            continue
        handed += stations >= h
        bounced += bool(bounces)
        matched.append((r.id, stations, len(bounces)))
        through.update(set(path))
        pairs.update({(min(a, b), max(a, b)) for a, b in bounces})
    if len(matched) < t["min_tickets"]:
        return None
    matched.sort(key=lambda m: (-(m[1] + m[2]), -m[0]))
    names = scope.group_names(through)
    explanation = (
        f"{len(matched)} resolved tickets changed hands {h} or more times ({handed}) or bounced "
        f"A\u2192B\u2192A between groups ({bounced})"
    )
    if pairs:
        (a, b), n = min(pairs.items(), key=lambda x: (-x[1], x[0]))
        explanation += f"; most bounces between {names.get(a, a)} and {names.get(b, b)} ({n})"
    return Finding(
        pattern="ticket_tennis",
        title=TITLES["ticket_tennis"],
        explanation=explanation + ".",
        tickets=scope.cut([m[0] for m in matched]),
        count=len(matched),
        agents=[],
        groups=ranked(through, names),
        thresholds=t,
        details=[
            {"between": [names.get(a, str(a)), names.get(b, str(b))], "tickets": n}
            for (a, b), n in sorted(pairs.items(), key=lambda x: (-x[1], x[0]))
        ],
    )


# --- metric gaming ------------------------------------------------------------------------------


def _quick_reopens(scope: Scope, window: float) -> dict[int, tuple[float, int | None]]:
    """Resolved tickets reopened within ``window`` seconds of a resolution: {id: (gap, assignee)}."""
    owners = {r.id: r.assignee for r in scope.tickets() if r.reopens > 0}
    found: dict[int, tuple[float, int | None]] = {}
    for part in chunks(owners):
        solved_at: dict[int, float] = {}
        rows = scope.session.execute(
            select(
                E.c.ticket_id,
                instant(E.c.at),
                json_text(E.c.old_value, scope.dialect),
                json_text(E.c.new_value, scope.dialect),
            )
            .where(E.c.ticket_id.in_(part), E.c.kind == "change", E.c.field == "status")
            .order_by(E.c.ticket_id, E.c.id)
        )
        for ticket_id, at, old, new in rows:
            if new == Status.resolved.value:
                solved_at[ticket_id] = at
            elif old == Status.resolved.value and new not in SOLVED and ticket_id in solved_at:
                gap = at - solved_at[ticket_id]
                if gap <= window and gap < found.get(ticket_id, (math.inf, None))[0]:
                    found[ticket_id] = (gap, owners[ticket_id])
    return found


def _quick_follow_ups(scope: Scope, window: float) -> dict[int, tuple[float, int | None]]:
    """Closed resolved tickets whose follow-up was opened within ``window`` seconds of closing."""
    follow_up = TICKETS.alias("follow_up")
    opened = scope.session.execute(
        select(follow_up.c.follow_up_of_id, instant(follow_up.c.created_at)).where(
            follow_up.c.follow_up_of_id.in_(scope.resolved_ids(T.c.closed_at.is_not(None)))
        )
    ).all()
    owners = {r.id: r.assignee for r in scope.tickets()}
    closed: dict[int, float] = {}
    for part in chunks(original for original, _ in opened):
        closed.update(
            (i, at)
            for i, at in scope.session.execute(select(T.c.id, instant(T.c.closed_at)).where(T.c.id.in_(part)))
        )
    found: dict[int, tuple[float, int | None]] = {}
    for original, at in opened:
        gap = at - closed[original]
        if gap <= window and gap < found.get(original, (math.inf, None))[0]:
            found[original] = (gap, owners.get(original))
    return found


def _contains(column: ColumnElement[str], text: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive substring test (SQLite's LIKE already ignores case, for ASCII letters)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if dialect == "postgresql":
        return column.ilike(pattern, escape="\\")
    return column.like(pattern, escape="\\")


def _silent_pending(scope: Scope, markers: Sequence[str]) -> dict[int, list[int | None]]:
    """Moves to pending with no agent question since the customer last wrote: {ticket: [actors]}.

    Per move, the public agent messages after the customer's latest public message (up to the move)
    are joined in and tested for a question marker in SQL; only the moves with none come back."""
    moves = (
        select(E.c.id, E.c.ticket_id, E.c.at, E.c.actor_id)
        .where(
            E.c.ticket_id.in_(scope.resolved_ids()),
            E.c.kind == "change",
            E.c.field == "status",
            E.c.new_value == Status.pending.value,
        )
        .subquery()
    )
    customer = M.alias("customer")
    last_customer = (
        select(func.max(customer.c.id))
        .where(
            customer.c.ticket_id == moves.c.ticket_id,
            customer.c.public.is_(True),
            customer.c.author_kind == AuthorKind.customer.value,
            customer.c.created_at <= moves.c.at,
        )
        .scalar_subquery()
    )
    since_customer = and_(
        M.c.ticket_id == moves.c.ticket_id,
        M.c.public.is_(True),
        M.c.author_kind == AuthorKind.agent.value,
        M.c.created_at <= moves.c.at,
        M.c.id > func.coalesce(last_customer, 0),
    )
    asks = or_(*(_contains(M.c.body, m, scope.dialect) for m in markers)) if markers else false()
    asked = func.max(case((asks, 1), else_=0))
    rows = scope.session.execute(
        select(moves.c.ticket_id, moves.c.actor_id)
        .select_from(moves.outerjoin(M, since_customer))
        .group_by(moves.c.id, moves.c.ticket_id, moves.c.actor_id)
        .having(func.coalesce(asked, 0) == 0)
        .order_by(moves.c.id)
    )
    silent: dict[int, list[int | None]] = defaultdict(list)
    for ticket_id, actor_id in rows:
        silent[ticket_id].append(actor_id)
    return silent


def metric_gaming(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Solving to stop the clock: reopened (or followed up) within hours of solving, and pending
    used without a question to the customer."""
    window = t["reopen_within_hours"] * 3600
    reopened = _quick_reopens(scope, window)
    followed = _quick_follow_ups(scope, window)
    silent = _silent_pending(scope, t["question_markers"])
    tickets = set(reopened) | set(followed) | set(silent)
    if len(tickets) < t["min_tickets"]:
        return None
    agents: Counter[int | None] = Counter()
    for _, owner in [*reopened.values(), *followed.values()]:
        agents[owner] += 1
    for actors in silent.values():
        agents.update(actors)

    def badness(ticket_id: int) -> tuple[float, ...]:
        signals = (ticket_id in reopened) + (ticket_id in followed) + (ticket_id in silent)
        gap = min(reopened.get(ticket_id, (window, None))[0], followed.get(ticket_id, (window, None))[0])
        return (-signals, -len(silent.get(ticket_id, ())), gap, -ticket_id)

    ordered = sorted(tickets, key=badness)
    hours = f"{t['reopen_within_hours']:g} h"
    parts = []
    if reopened:
        parts.append(f"{len(reopened)} reopened within {hours} of being resolved")
    if followed:
        parts.append(f"{len(followed)} came back as a follow-up within {hours} of closing")
    if silent:
        moves = sum(len(a) for a in silent.values())
        parts.append(
            f"{len(silent)} set to pending without asking the customer anything "
            f"({moves} move{'s' if moves != 1 else ''})"
        )
    names = scope.emails(agents)
    return Finding(
        pattern="metric_gaming",
        title=TITLES["metric_gaming"],
        explanation=f"{len(tickets)} resolved tickets look solved to stop the clock: {'; '.join(parts)}.",
        tickets=scope.cut(ordered),
        count=len(tickets),
        agents=ranked(agents, names),
        groups=[],
        thresholds=t,
        details=[
            {"signal": "reopened_soon", "tickets": len(reopened)},
            {"signal": "follow_up_soon", "tickets": len(followed)},
            {"signal": "pending_without_question", "tickets": len(silent)},
        ],
    )


# --- escalation avoidance -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Hold:
    """A stretch in a judged tier that ended with the ticket moving up."""

    ticket_id: int
    seconds: float
    breached: str | None
    """The SLA metric that breached during the hold, if one did."""
    group_id: int | None
    holder: int | None


def _breaches(scope: Scope, part: list[int]) -> dict[int, list[tuple[float, str]]]:
    """Breach instants by ticket: the alarms as they fired, and the clocks' breach instants (which a
    bulk recomputation or an import sets without firing alarms)."""
    found: dict[int, list[tuple[float, str]]] = defaultdict(list)
    fired = select(SLA_EVENTS.c.ticket_id, instant(SLA_EVENTS.c.at), SLA_EVENTS.c.metric).where(
        SLA_EVENTS.c.ticket_id.in_(part), SLA_EVENTS.c.kind == "breach"
    )
    clocked = select(SLA_CLOCKS.c.ticket_id, instant(SLA_CLOCKS.c.breached_at), SLA_CLOCKS.c.metric).where(
        SLA_CLOCKS.c.ticket_id.in_(part), SLA_CLOCKS.c.breached_at.is_not(None)
    )
    for ticket_id, at, metric in scope.session.execute(union_all(fired, clocked)):
        found[ticket_id].append((at, metric))
    for times in found.values():
        times.sort()
    return found


def _holds(scope: Scope, ticket_ids: Iterable[int], tiers: Iterable[str]) -> list[_Hold]:
    """For each ticket, its worst hold in one of ``tiers`` before a move to a higher tier."""
    judged = set(tiers)
    worst: dict[int, _Hold] = {}
    for part in chunks(ticket_ids):
        breaches = _breaches(scope, part)
        rows = scope.session.execute(
            select(
                E.c.ticket_id,
                instant(E.c.at),
                E.c.field,
                json_text(E.c.new_value, scope.dialect),
                E.c.data["group_id"].as_string(),
                E.c.data["group_tier"].as_string(),
                E.c.data["assignee_id"].as_string(),
            )
            .where(
                E.c.ticket_id.in_(part),
                or_(
                    E.c.kind == "created",
                    and_(E.c.kind == "change", E.c.field.in_(("group_id", "assignee_id"))),
                ),
            )
            .order_by(E.c.ticket_id, E.c.id)
        )
        state: dict[int, dict[str, Any]] = {}
        for ticket_id, at, field, new_value, created_group, tier, created_assignee in rows:
            s = state.setdefault(ticket_id, {"tier": None, "group": None, "assignee": None, "since": None})
            if field is None:  # created
                s["assignee"] = _id(created_assignee)
                group = _id(created_group)
            elif field == "assignee_id":
                s["assignee"] = _id(new_value)
                continue
            else:
                group = _id(new_value)
            if group is None or tier not in TIER_RANK:
                continue
            if s["tier"] in judged and TIER_RANK[tier] > TIER_RANK[s["tier"]] and s["since"] is not None:
                start = s["since"]
                metric = next((m for b, m in breaches.get(ticket_id, ()) if start <= b <= at), None)
                hold = _Hold(ticket_id, at - start, metric, s["group"], s["assignee"])
                old = worst.get(ticket_id)
                if old is None or (hold.breached is not None, hold.seconds) > (
                    old.breached is not None,
                    old.seconds,
                ):
                    worst[ticket_id] = hold
            if tier != s["tier"]:
                s["since"] = at if tier in judged else None
            s["tier"], s["group"] = tier, group
    return list(worst.values())


def escalation_avoidance(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets a tier held past a breached SLA, or for too long, before moving them up."""
    limit = t["max_hold_hours"] * 3600
    escalated = (r.id for r in scope.tickets() if r.escalations > 0)
    holds = [
        h for h in _holds(scope, escalated, t["hold_tiers"]) if h.breached is not None or h.seconds >= limit
    ]
    if len(holds) < t["min_tickets"]:
        return None
    holds.sort(key=lambda h: (h.breached is None, -h.seconds, -h.ticket_id))
    breached = sum(h.breached is not None for h in holds)
    people = scope.emails(h.holder for h in holds)
    names = scope.group_names(h.group_id for h in holds)
    tiers = " or ".join(t["hold_tiers"])
    reasons = []
    if breached:
        reasons.append(f"past a breached SLA ({breached})")
    if len(holds) > breached:
        reasons.append(f"for {t['max_hold_hours']:g} h or more without a breach ({len(holds) - breached})")
    explanation = (
        f"{len(holds)} escalated tickets stayed in {tiers} {' or '.join(reasons)} before moving up; "
        f"the longest hold was {_hours(max(h.seconds for h in holds))}."
    )
    metrics = Counter(h.breached for h in holds if h.breached is not None)
    return Finding(
        pattern="escalation_avoidance",
        title=TITLES["escalation_avoidance"],
        explanation=explanation,
        tickets=scope.cut([h.ticket_id for h in holds]),
        count=len(holds),
        agents=ranked(Counter(h.holder for h in holds), people),
        groups=ranked(Counter(h.group_id for h in holds), names),
        thresholds=t,
        details=[
            {"breached": m, "tickets": n} for m, n in sorted(metrics.items(), key=lambda x: (-x[1], x[0]))
        ],
    )


# --- invisible backlog --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Idle:
    ticket_id: int
    last_touch: datetime
    status: str
    assignee: int | None
    group: int | None


def _idle_since_long_ago(scope: Scope, statuses: Sequence[str], since: datetime, at: datetime) -> list[_Idle]:
    """Open now and untouched since before ``since``: their state now is their state at ``at``."""
    rows = scope.session.execute(
        select(T.c.id, T.c.updated_at, T.c.status, T.c.assignee_id, T.c.group_id).where(
            T.c.status.in_(statuses), T.c.updated_at < since, T.c.created_at < at
        )
    )
    return [_Idle(*row) for row in rows]


def _idle_then_touched(scope: Scope, statuses: Sequence[str], since: datetime, at: datetime) -> list[_Idle]:
    """Touched after ``at`` but with no event in [since, at): their state at ``at`` is replayed from
    the events before it. Empty for a period that ends now."""
    quiet = ~exists(select(E.c.id).where(E.c.ticket_id == T.c.id, E.c.at >= since, E.c.at < at))
    ids = list(
        scope.session.scalars(
            select(T.c.id).where(
                T.c.updated_at >= at,
                T.c.created_at < since,
                or_(T.c.closed_at.is_(None), T.c.closed_at >= at),
                quiet,
            )
        )
    )
    found: list[_Idle] = []
    for part in chunks(ids):
        state: dict[int, dict[str, Any]] = {}
        rows = scope.session.execute(
            select(E.c.ticket_id, E.c.at, E.c.kind, E.c.field, E.c.new_value, E.c.data)
            .where(E.c.ticket_id.in_(part), E.c.at < at)
            .order_by(E.c.ticket_id, E.c.id)
        )
        for ticket_id, when, kind, field, new_value, data in rows:
            s = state.setdefault(ticket_id, {"status": Status.new.value, "assignee": None, "group": None})
            s["touch"] = when
            if kind == "created":
                s["assignee"], s["group"] = (data or {}).get("assignee_id"), (data or {}).get("group_id")
            elif kind == "change" and field in ("status", "assignee_id", "group_id"):
                s[{"status": "status", "assignee_id": "assignee", "group_id": "group"}[field]] = new_value
        for ticket_id, s in state.items():
            if s["status"] in statuses and "touch" in s:
                found.append(_Idle(ticket_id, s["touch"], s["status"], s["assignee"], s["group"]))
    return found


def invisible_backlog(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Open tickets nobody has touched (no event of any kind) for days, at the period's end."""
    at = scope.backlog_at
    since = at - timedelta(days=t["min_idle_days"])
    statuses = t["statuses"]
    idle = _idle_since_long_ago(scope, statuses, since, at) + _idle_then_touched(scope, statuses, since, at)
    if len(idle) < t["min_tickets"]:
        return None
    idle.sort(key=lambda i: (i.last_touch, i.ticket_id))
    unassigned = sum(i.assignee is None for i in idle)
    oldest = (at - idle[0].last_touch) / timedelta(days=1)
    when = "at the end of the period" if at == scope.period.end else "now"
    people = scope.emails(i.assignee for i in idle)
    names = scope.group_names(i.group for i in idle)
    explanation = (
        f"{len(idle)} open tickets had no activity for {t['min_idle_days']:g} days or more {when}, "
        f"{unassigned} of them unassigned; the longest untouched for {oldest:.0f} days."
    )
    by_status = Counter(i.status for i in idle)
    return Finding(
        pattern="invisible_backlog",
        title=TITLES["invisible_backlog"],
        explanation=explanation,
        tickets=scope.cut([i.ticket_id for i in idle]),
        count=len(idle),
        agents=ranked(Counter(i.assignee for i in idle), people),
        groups=ranked(Counter(i.group for i in idle), names),
        thresholds=t,
        details=[
            {"status": s, "tickets": n} for s, n in sorted(by_status.items(), key=lambda x: (-x[1], x[0]))
        ],
    )
