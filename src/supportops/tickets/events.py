"""Events the ticket domain publishes; SLA, routing, metrics and webhooks subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportops.events.bus import DomainEvent
from supportops.tickets.counters import LoggedEvent


@dataclass(frozen=True, kw_only=True)
class TicketCreated(DomainEvent):
    """Carries the new ticket's fields and first events, so that subscribers need not read back
    what was just written."""

    ticket_id: int
    at: datetime
    follow_up_of_id: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    history: tuple[LoggedEvent, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TicketChanged(DomainEvent):
    """Fields other than status changed: {field: (old, new)}."""

    ticket_id: int
    at: datetime
    actor_id: int | None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TicketStatusChanged(DomainEvent):
    ticket_id: int
    at: datetime
    actor_id: int | None
    old: str
    new: str
    reopened: bool


@dataclass(frozen=True, kw_only=True)
class MessagePosted(DomainEvent):
    ticket_id: int
    message_id: int
    at: datetime
    public: bool
    author_kind: str
