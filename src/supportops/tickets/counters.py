"""Per-ticket counters derived from the event log.

The services apply each event as it happens; :func:`recompute` folds a whole log, and the two must
agree (a test checks it). The counters follow DOMAIN.md: first response is the first public reply by
a human agent; reopens count resolved → open moves; stations count each new assignee or group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from supportops.tickets.enums import AuthorKind, Status
from supportops.tickets.lifecycle import is_reopen

TIER_RANK = {"L0": 0, "L1": 1, "L2": 2, "L3": 3}


@dataclass(frozen=True)
class Counters:
    first_response_at: datetime | None = None
    first_resolved_at: datetime | None = None
    last_resolved_at: datetime | None = None
    reopen_count: int = 0
    public_agent_replies: int = 0
    agent_stations: int = 0
    group_stations: int = 0
    max_tier: str | None = None
    tier: str | None = None
    escalations: int = 0
    handle_seconds: int = 0


@dataclass(frozen=True)
class LoggedEvent:
    """The part of a ticket event the counters read."""

    kind: str
    at: datetime
    field: str | None = None
    old_value: Any = None
    new_value: Any = None
    data: dict[str, Any] | None = None


def on_message(c: Counters, *, at: datetime, public: bool, author_kind: str) -> Counters:
    if not public or author_kind != AuthorKind.agent:
        return c
    return replace(
        c,
        public_agent_replies=c.public_agent_replies + 1,
        first_response_at=c.first_response_at or at,
    )


def on_status(c: Counters, *, at: datetime, old: str | None, new: str) -> Counters:
    if new == Status.resolved:
        return replace(c, first_resolved_at=c.first_resolved_at or at, last_resolved_at=at)
    if old is not None and is_reopen(Status(old), Status(new)):
        return replace(c, reopen_count=c.reopen_count + 1)
    return c


def on_assignee(c: Counters, *, new: int | None) -> Counters:
    return c if new is None else replace(c, agent_stations=c.agent_stations + 1)


def on_group(c: Counters, *, new: int | None, tier: str | None) -> Counters:
    if new is None:
        return c
    c = replace(c, group_stations=c.group_stations + 1)
    return on_tier(c, tier=tier)


def on_tier(c: Counters, *, tier: str | None) -> Counters:
    if tier is None:
        return c
    rose = c.tier is not None and TIER_RANK[tier] > TIER_RANK[c.tier]
    highest = c.max_tier if c.max_tier is not None and TIER_RANK[c.max_tier] >= TIER_RANK[tier] else tier
    return replace(c, tier=tier, max_tier=highest, escalations=c.escalations + rose)


def on_time(c: Counters, *, seconds: int) -> Counters:
    return replace(c, handle_seconds=c.handle_seconds + seconds)


def apply(c: Counters, event: LoggedEvent) -> Counters:
    data = event.data or {}
    if event.kind == "message":
        return on_message(
            c,
            at=event.at,
            public=bool(data.get("public")),
            author_kind=str(data.get("author_kind")),
        )
    if event.kind == "time":
        return on_time(c, seconds=int(data.get("seconds", 0)))
    if event.kind == "created":
        if data.get("assignee_id") is not None:
            c = on_assignee(c, new=data["assignee_id"])
        if data.get("group_id") is not None:
            c = on_group(c, new=data["group_id"], tier=data.get("group_tier"))
        return c
    if event.kind == "change":
        if event.field == "status":
            return on_status(c, at=event.at, old=event.old_value, new=event.new_value)
        if event.field == "assignee_id":
            return on_assignee(c, new=event.new_value)
        if event.field == "group_id":
            return on_group(c, new=event.new_value, tier=data.get("group_tier"))
    return c


def recompute(events: Iterable[LoggedEvent]) -> Counters:
    c = Counters()
    for event in events:
        c = apply(c, event)
    return c
