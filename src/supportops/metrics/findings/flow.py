"""Detectors about how tickets moved: ticket tennis, metric gaming, escalation avoidance and the
invisible backlog. Each reads the per-ticket facts of the resolved set (group paths, holds, reopen
gaps, moves to pending) as columns; only the backlog of a period that ended in the past replays the
event log of the few tickets touched since."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import exists, select

from supportops.metrics.findings.columns import TIERS
from supportops.metrics.findings.model import TITLES, Finding
from supportops.metrics.findings.scope import (
    EVENTS,
    SLA_EVENTS,
    TICKETS,
    FloatArray,
    IntArray,
    Scope,
    chunks,
    locate,
    ranked,
)
from supportops.metrics.kept import epochs, raw_time, read_columns
from supportops.metrics.snapshot import CLOCK_METRICS
from supportops.tickets.enums import Status

T, E = TICKETS, EVENTS


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


# --- ticket tennis ------------------------------------------------------------------------------


def ticket_tennis(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets that changed hands too often, or bounced between two groups and back."""
    h = t["min_handoffs"]
    f = scope.facts
    agents, groups = scope.fact("agent_stations"), scope.fact("group_stations")
    stations = np.maximum(agents, groups)
    candidates = (stations >= h) | (groups >= 3)
    travelled = candidates & (groups >= 2)  # the tickets whose group path is looked at
    at, ok = scope.position(f["bounce_ticket"])
    bounces = np.bincount(at[ok], minlength=len(scope)) * travelled
    matched = candidates & ((stations >= h) | (bounces > 0))
    if int(matched.sum()) < t["min_tickets"]:
        return None
    which = np.flatnonzero(matched)
    ids = scope.ids[which]
    handed, bounced = int((stations[which] >= h).sum()), int((bounces[which] > 0).sum())
    # The groups a matched ticket went through (a ticket that stayed in one group went through none).
    at, ok = scope.position(f["path_ticket"])
    ok[ok] = (matched & travelled)[at[ok]]
    through = Counter(f["path_group"][ok].tolist())
    at, ok = scope.position(f["bounce_ticket"])
    ok[ok] = matched[at[ok]]
    low = np.minimum(f["bounce_a"][ok], f["bounce_b"][ok])
    high = np.maximum(f["bounce_a"][ok], f["bounce_b"][ok])
    distinct = {(int(a), int(b), int(c)) for a, b, c in zip(at[ok], low, high, strict=True)}
    pairs: Counter[tuple[int, int]] = Counter((b, c) for _, b, c in distinct)
    order = np.lexsort((-ids, -(stations[which] + bounces[which])))
    names = scope.group_names(through)
    explanation = (
        f"{len(ids)} resolved tickets changed hands {h} or more times ({handed}) or bounced "
        f"A\u2192B\u2192A between groups ({bounced})"
    )
    if pairs:
        (a, b), n = min(pairs.items(), key=lambda x: (-x[1], x[0]))
        explanation += f"; most bounces between {names.get(a, a)} and {names.get(b, b)} ({n})"
    return Finding(
        pattern="ticket_tennis",
        title=TITLES["ticket_tennis"],
        explanation=explanation + ".",
        tickets=scope.cut(ids[order]),
        count=len(ids),
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
    gap = scope.fact("reopen_gap")
    which = np.flatnonzero((scope.column("reopens") > 0) & (gap <= window))
    owners = scope.column("assignee_id")[which].tolist()
    return {
        int(i): (float(g), o if o >= 0 else None)
        for i, g, o in zip(scope.ids[which], gap[which], owners, strict=True)
    }


def _quick_follow_ups(scope: Scope, window: float) -> dict[int, tuple[float, int | None]]:
    """Closed resolved tickets whose follow-up was opened within ``window`` seconds of closing."""
    f, s = scope.facts, scope.snapshot
    follow = np.flatnonzero(f["follow_up_of"] >= 0)
    at, ok = scope.position(f["follow_up_of"][follow])
    originals = np.searchsorted(f["id"], f["follow_up_of"][follow])
    closed = np.full(len(follow), np.nan)
    closed[ok] = f["closed"][np.minimum(originals[ok], len(f["id"]) - 1)]
    rows, known = locate(s.id, f["id"][follow])
    created = np.full(len(follow), np.nan)
    created[known] = s.created[rows[known]]
    gap = created - closed
    keep = ok & (gap <= window)
    owner = scope.column("assignee_id")
    found: dict[int, tuple[float, int | None]] = {}
    for original, g, o in zip(scope.ids[at[keep]], gap[keep], owner[at[keep]].tolist(), strict=True):
        if g < found.get(int(original), (math.inf, None))[0]:
            found[int(original)] = (float(g), o if o >= 0 else None)
    return found


def _silent_pending(scope: Scope) -> dict[int, list[int | None]]:
    """Moves to pending with no agent question since the customer last wrote: {ticket: [actors]}."""
    f = scope.texts
    _, ok = scope.position(f["move_ticket"])
    which = np.flatnonzero(ok & (f["move_asked"] == 0))
    which = which[np.argsort(f["move_event"][which], kind="stable")]
    silent: dict[int, list[int | None]] = defaultdict(list)
    for ticket_id, actor in zip(
        f["move_ticket"][which].tolist(), f["move_actor"][which].tolist(), strict=True
    ):
        silent[ticket_id].append(actor if actor >= 0 else None)
    return silent


def metric_gaming(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Solving to stop the clock: reopened (or followed up) within hours of solving, and pending
    used without a question to the customer."""
    window = t["reopen_within_hours"] * 3600
    reopened = _quick_reopens(scope, window)
    followed = _quick_follow_ups(scope, window)
    silent = _silent_pending(scope)
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


class _Holds(NamedTuple):
    """Per ticket, its worst stretch in a judged tier that ended with the ticket moving up."""

    ticket: IntArray
    seconds: FloatArray
    breached: list[str | None]
    """The SLA metric that breached during the hold, if one did."""
    group: IntArray
    """-1: no group."""
    holder: IntArray
    """The assignee during the hold; -1: none."""


def _breaches(scope: Scope, tickets: IntArray) -> tuple[IntArray, FloatArray, list[str]]:
    """The breach instants of ``tickets`` sorted by ticket, instant and metric: the alarms as they
    fired, and the clocks' breach instants (which a bulk recomputation or an import sets without
    firing alarms)."""
    s = scope.snapshot
    clocked = ~np.isnan(s.clock_breached) & np.isin(s.clock_ticket, tickets)
    dialect = scope.session.get_bind().dialect.name
    fired = read_columns(
        scope.session,
        select(SLA_EVENTS.c.ticket_id, raw_time(SLA_EVENTS.c.at, dialect), SLA_EVENTS.c.metric).where(
            SLA_EVENTS.c.kind == "breach"
        ),
    )
    names = sorted({*CLOCK_METRICS, *fired[2]})
    code = {name: i for i, name in enumerate(names)}
    ticket = np.concatenate((s.clock_ticket[clocked], np.array(fired[0], dtype=np.int64)))
    at = np.concatenate((s.clock_breached[clocked], epochs(fired[1], dialect)))
    metric = np.concatenate(
        (
            np.array([code[m] for m in CLOCK_METRICS], dtype=np.int64)[s.clock_metric[clocked]],
            np.array([code[m] for m in fired[2]], dtype=np.int64),
        )
    )
    keep = np.isin(ticket, tickets)
    order = np.lexsort((metric[keep], at[keep], ticket[keep]))
    return ticket[keep][order], at[keep][order], [names[m] for m in metric[keep][order].tolist()]


def _holds(scope: Scope, tiers: Iterable[str], limit: float) -> _Holds:
    """For each escalated ticket, its worst hold in one of ``tiers`` before a move to a higher tier
    (one past a breach before one without, then the longest, then the first), where it was past a
    breach or lasted ``limit`` seconds or more."""
    f = scope.facts
    at, ok = scope.position(f["hold_ticket"])
    judged = [TIERS.index(tier) for tier in tiers if tier in TIERS]
    ok[ok] = scope.column("escalations")[at[ok]] > 0
    which = np.flatnonzero(ok & np.isin(f["hold_tier"], judged))
    ticket = f["hold_ticket"][which]
    start, end = f["hold_start"][which], f["hold_end"][which]
    # The first breach within each hold: a ticket has a few breaches at most, so the holds step
    # through their ticket's breaches together.
    b_ticket, b_at, b_metric = _breaches(scope, np.unique(ticket))
    low, high = np.searchsorted(b_ticket, ticket), np.searchsorted(b_ticket, ticket, side="right")
    first = np.full(len(which), -1, dtype=np.int64)
    step = 0
    while True:
        candidate = low + step
        open_ = (candidate < high) & (first < 0)
        if not open_.any():
            break
        inside = open_.copy()
        when = b_at[np.minimum(candidate[open_], len(b_at) - 1)]
        inside[open_] = (when >= start[open_]) & (when <= end[open_])
        first[inside] = candidate[inside]
        step += 1
    flag = (first >= 0).astype(np.int64)
    seconds = end - start
    order = np.lexsort((np.arange(len(which)), -seconds, -flag, ticket))
    worst = order[np.r_[True, ticket[order][1:] != ticket[order][:-1]]] if len(order) else order
    worst = worst[(flag[worst] > 0) | (seconds[worst] >= limit)]
    return _Holds(
        ticket[worst],
        seconds[worst],
        [b_metric[k] if k >= 0 else None for k in first[worst].tolist()],
        f["hold_group"][which][worst],
        f["hold_holder"][which][worst],
    )


def escalation_avoidance(scope: Scope, t: dict[str, Any]) -> Finding | None:
    """Tickets a tier held past a breached SLA, or for too long, before moving them up."""
    limit = t["max_hold_hours"] * 3600
    holds = _holds(scope, t["hold_tiers"], limit)
    count = len(holds.ticket)
    if count < t["min_tickets"]:
        return None
    past = np.array([m is not None for m in holds.breached], dtype=np.int64)
    order = np.lexsort((-holds.ticket, -holds.seconds, -past))
    breached = int(past.sum())
    holders = Counter(holds.holder.tolist())
    groups = Counter(holds.group.tolist())
    people = scope.emails(holders)
    names = scope.group_names(groups)
    tiers = " or ".join(t["hold_tiers"])
    reasons = []
    if breached:
        reasons.append(f"past a breached SLA ({breached})")
    if count > breached:
        reasons.append(f"for {t['max_hold_hours']:g} h or more without a breach ({count - breached})")
    explanation = (
        f"{count} escalated tickets stayed in {tiers} {' or '.join(reasons)} before moving up; "
        f"the longest hold was {_hours(float(holds.seconds.max()))}."
    )
    metrics = Counter(m for m in holds.breached if m is not None)
    return Finding(
        pattern="escalation_avoidance",
        title=TITLES["escalation_avoidance"],
        explanation=explanation,
        tickets=scope.cut(holds.ticket[order]),
        count=count,
        agents=ranked(holders, people),
        groups=ranked(groups, names),
        thresholds=t,
        details=[
            {"breached": m, "tickets": n} for m, n in sorted(metrics.items(), key=lambda x: (-x[1], x[0]))
        ],
    )


# --- invisible backlog --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Idle:
    ticket_id: int
    last_touch: float
    """Epoch seconds."""
    status: str
    assignee: int | None
    group: int | None


def _idle_since_long_ago(scope: Scope, statuses: Sequence[str], since: datetime, at: datetime) -> list[_Idle]:
    """Open now and untouched since before ``since``: their state now is their state at ``at``."""
    s = scope.snapshot
    labels = s.labels.get("status", [])
    codes = [i for i, label in enumerate(labels) if label in statuses]
    which = np.flatnonzero(
        np.isin(s.status, codes) & (s.updated < since.timestamp()) & (s.created < at.timestamp())
    )
    return [
        _Idle(i, touched, str(labels[status]), a if a >= 0 else None, g if g >= 0 else None)
        for i, touched, status, a, g in zip(
            s.id[which].tolist(),
            s.updated[which].tolist(),
            s.status[which].tolist(),
            s.assignee_id[which].tolist(),
            s.group_id[which].tolist(),
            strict=True,
        )
    ]


def _idle_then_touched(scope: Scope, statuses: Sequence[str], since: datetime, at: datetime) -> list[_Idle]:
    """Touched after ``at`` but with no event in [since, at): their state at ``at`` is replayed from
    the events before it. Empty for a period that ends now."""
    snap, f = scope.snapshot, scope.facts
    where, known = locate(f["id"], snap.id)
    closed = np.full(len(snap.id), np.nan)
    closed[known] = f["closed"][where[known]]
    lo, hi = since.timestamp(), at.timestamp()
    candidate = (snap.updated >= hi) & (snap.created < lo) & ~(closed < hi)
    # A ticket first answered, resolved or closed within [since, at) had an event there: only the
    # others need their event log read.
    for instants in (snap.first_response, snap.last_resolved, closed):
        candidate &= ~((instants >= lo) & (instants < hi))
    quiet = ~exists(select(E.c.id).where(E.c.ticket_id == T.c.id, E.c.at >= since, E.c.at < at))
    ids: list[int] = []
    for part in chunks(snap.id[candidate].tolist()):
        ids.extend(scope.session.scalars(select(T.c.id).where(T.c.id.in_(part), quiet)))
    found: list[_Idle] = []
    for part in chunks(ids):
        state: dict[int, dict[str, Any]] = {}
        # Every event of these tickets, the later ones skipped here: a condition on the instant
        # would lead PostgreSQL to scan the whole event table instead of each ticket's index range.
        rows = scope.session.execute(
            select(E.c.ticket_id, E.c.at, E.c.kind, E.c.field, E.c.new_value, E.c.data)
            .where(E.c.ticket_id.in_(part))
            .order_by(E.c.ticket_id, E.c.id)
        )
        for ticket_id, when, kind, field, new_value, data in rows:
            if when >= at:
                continue
            s = state.setdefault(ticket_id, {"status": Status.new.value, "assignee": None, "group": None})
            s["touch"] = when.timestamp()
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
    oldest = (at.timestamp() - idle[0].last_touch) / 86400
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
