"""Self-service outcomes: the L0 side of the deflection rate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, UTCDateTime


class SelfServiceEvent(Base):
    """A customer solved their problem without a ticket: ``resolved`` when they said so, ``indirect``
    when they left a started ticket right after reading a suggestion."""

    __tablename__ = "self_service_events"
    __table_args__ = (Index("ix_self_service_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None for an anonymous portal visitor."""
    outcome: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10), default="portal")
