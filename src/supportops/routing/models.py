"""What routing knows about an agent beyond their account: presence, languages, capacity, shift."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, JSONType, UTCDateTime


class AgentProfile(Base):
    __tablename__ = "agent_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    presence_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    languages: Mapped[list[str]] = mapped_column(JSONType)
    capacity: Mapped[dict[str, int]] = mapped_column(JSONType)
    """Concurrent unsolved tickets per channel."""
    shift_calendar_id: Mapped[int | None] = mapped_column(ForeignKey("sla_calendars.id"))
    """Working hours as a business calendar; none means always on shift."""
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When routing last gave this agent a ticket; round robin starts from the longest idle."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PresenceChange(Base):
    """The presence log: each change of an agent's presence. Utilization divides handle time by the
    time online it gives."""

    __tablename__ = "presence_log"
    __table_args__ = (Index("ix_presence_log_agent_id_at", "agent_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
