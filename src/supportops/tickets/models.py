from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, JSONType, UTCDateTime, where_set


class Ticket(Base):
    """A customer's request. Counter columns are derived from the event log and kept in step."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_id", "status", "id"),
        Index("ix_tickets_priority_id", "priority", "id"),
        Index("ix_tickets_assignee_id_id", "assignee_id", "id"),
        Index("ix_tickets_group_id_id", "group_id", "id"),
        # A queue of one agent's or one group's tickets in a few statuses, read a status at a time.
        Index("ix_tickets_assignee_id_status_id", "assignee_id", "status", "id"),
        Index("ix_tickets_group_id_status_id", "group_id", "status", "id"),
        Index("ix_tickets_requester_id_id", "requester_id", "id"),
        Index("ix_tickets_organization_id_id", "organization_id", "id"),
        Index("ix_tickets_updated_at_id", "updated_at", "id"),
        Index("ix_tickets_created_at", "created_at"),
        # Empty when a ticket is opened: partial, so that creation does not write them.
        Index("ix_tickets_last_resolved_at", "last_resolved_at", **where_set("last_resolved_at")),
        Index("ix_tickets_first_response_at", "first_response_at", **where_set("first_response_at")),
        Index("ix_tickets_follow_up_of_id", "follow_up_of_id", **where_set("follow_up_of_id")),
        Index("ix_tickets_sla_due_at_id", "sla_due_at", "id"),
        Index("ix_tickets_sla_breached_id", "sla_breached", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    severity: Mapped[str | None] = mapped_column(String(4))
    channel: Mapped[str] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSONType)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    public_agent_replies: Mapped[int] = mapped_column(Integer, default=0)
    agent_stations: Mapped[int] = mapped_column(Integer, default=0)
    group_stations: Mapped[int] = mapped_column(Integer, default=0)
    max_tier: Mapped[str | None] = mapped_column(String(2))
    tier: Mapped[str | None] = mapped_column(String(2))
    """The tier of the group the ticket was last moved to."""
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times the ticket moved up a tier."""
    handle_seconds: Mapped[int] = mapped_column(Integer, default=0)

    # Kept by the SLA domain: the next due and warning instants of running clocks, and whether a
    # clock has breached and still runs. Ticket lists filter and sort on them.
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Message(Base):
    """A public reply or an internal note. Customers never see internal notes."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_kind: Mapped[str] = mapped_column(String(10))
    public: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketEvent(Base):
    """Append-only history: who changed what, when, from what to what. Triggers forbid edits."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class TimeEntry(Base):
    """Agent handle time on one ticket touch (timer or manual entry)."""

    __tablename__ = "time_entries"
    __table_args__ = (
        Index("ix_time_entries_agent_id_started_at", "agent_id", "started_at"),
        Index("ix_time_entries_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
