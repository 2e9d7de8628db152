"""SLA tables: calendars, policies, per-ticket clocks and the append-only metric event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, JSONType, UTCDateTime, where_set


class SlaCalendar(Base):
    """A business calendar; ``definition`` is the calendar JSON interchange format."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlaPolicy(Base):
    """One entry of the ordered policy list: the first active policy whose conditions match applies."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(Integer, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    targets: Mapped[dict[str, Any]] = mapped_column(JSONType)
    pauses: Mapped[dict[str, Any]] = mapped_column(JSONType)
    warn_share: Mapped[float] = mapped_column(Float, default=0.75)
    breach_actions: Mapped[list[str]] = mapped_column(JSONType)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlaClock(Base):
    """The state of one metric cycle of one ticket, as of ``evaluated_at``."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle"),
        Index("ix_sla_clocks_state_due_at", "state", "due_at"),
        Index("ix_sla_clocks_policy_id_metric_state", "policy_id", "metric", "state"),
        # Empty when a clock starts: partial, so that starting one does not write them.
        Index("ix_sla_clocks_fulfilled_at", "fulfilled_at", **where_set("fulfilled_at")),
        Index("ix_sla_clocks_breached_at", "breached_at", **where_set("breached_at")),
        Index("ix_sla_clocks_evaluated_at", "evaluated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    metric: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    priority: Mapped[str] = mapped_column(String(2))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    state: Mapped[str] = mapped_column(String(10))
    target_minutes: Mapped[float] = mapped_column(Float)
    business: Mapped[bool] = mapped_column(Boolean)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    business_minutes: Mapped[float] = mapped_column(Float)
    calendar_minutes: Mapped[float] = mapped_column(Float)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlaEvent(Base):
    """Append-only: activate, pause, resume, fulfil as they are derived; warn and breach as they fire;
    apply when a policy or target starts to apply. Clocks are derived from these and the targets."""

    __tablename__ = "sla_events"
    __table_args__ = (
        Index("ix_sla_events_ticket_id_id", "ticket_id", "id"),
        Index("ix_sla_events_kind_at", "kind", "at"),
        # A warning or a breach is recorded once per clock cycle, whatever the number of workers.
        Index(
            "uq_sla_events_alarm",
            "ticket_id",
            "metric",
            "cycle",
            "kind",
            unique=True,
            sqlite_where=text("kind IN ('warn', 'breach')"),
            postgresql_where=text("kind IN ('warn', 'breach')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    metric: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
