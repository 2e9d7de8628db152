"""Survey rows. A survey is sent (``sent_at``) and later answered (``answered_at``, ``score``);
CSAT and NPS count answers by ``answered_at``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, UTCDateTime


class CsatSurvey(Base):
    """One satisfaction survey per resolution of a ticket: 1-5 and a comment."""

    __tablename__ = "csat_surveys"
    __table_args__ = (
        UniqueConstraint("ticket_id", "resolved_at", name="uq_csat_surveys_ticket_id_resolved_at"),
        Index("ix_csat_surveys_answered_at", "answered_at"),
        # A customer's history beside their ticket: latest answers and the average, from the index.
        Index("ix_csat_surveys_requester_id_answered_at", "requester_id", "answered_at", "score"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """The resolution the survey asks about."""
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="survey")
    """``survey`` (the signed link), ``import`` or ``demo``."""


class NpsSurvey(Base):
    """One relationship survey sent to a customer: 0-10 and a comment."""

    __tablename__ = "nps_surveys"
    __table_args__ = (
        Index("ix_nps_surveys_answered_at", "answered_at"),
        Index("ix_nps_surveys_customer_id_sent_at", "customer_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="survey")
