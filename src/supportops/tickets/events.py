"""Events the ticket domain publishes; SLA, routing, metrics and webhooks subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportops.events.bus import DomainEvent
from supportops.tickets.counters import LoggedEvent

SLA_SUMMARY = ("sla_due_at", "sla_warn_at", "sla_breached")
"""Columns of the ticket row that the SLA domain computes and keeps."""


@dataclass(frozen=True, kw_only=True)
class TicketPrepared(DomainEvent):
    """A new ticket's row is computed and about to be written. A subscriber that keeps columns of
    the row (:data:`SLA_SUMMARY`) puts their values in ``columns``, so that the row is written
    once instead of inserted and then updated in the same transaction; what it computed on the
    way it may leave in ``notes``, which its TicketCreated carries."""

    at: datetime
    fields: dict[str, Any]
    history: tuple[LoggedEvent, ...]
    columns: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TicketCreated(DomainEvent):
    """Carries the new ticket's fields and first events, so that subscribers need not read back
    what was just written, and the notes its subscribers left on its TicketPrepared."""

    ticket_id: int
    at: datetime
    follow_up_of_id: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    history: tuple[LoggedEvent, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)


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
