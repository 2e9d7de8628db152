"""What an import has already stored, so that importing the same file twice changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, UTCDateTime


class ImportRecord(Base):
    """``kind`` is ``ticket`` (``key`` is the source's ticket id, mapped to ``ticket_id``) or ``line``
    (``key`` is the digest of an applied line)."""

    __tablename__ = "import_records"
    __table_args__ = (UniqueConstraint("source", "kind", "key", name="uq_import_records_source_kind_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(200))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
