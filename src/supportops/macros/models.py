"""Macro rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, BigId, JSONType, UTCDateTime


class Macro(Base):
    """A canned reply with placeholders, and the ticket changes applied with it.

    ``scope`` is ``shared`` or ``user:<owner id>``: one unique index on (scope, lower-case title) then
    keeps titles unique per scope on both databases, which a NULL owner of shared macros would not."""

    __tablename__ = "macros"
    __table_args__ = (
        UniqueConstraint("scope", "title_key", name="uq_macros_scope_title_key"),
        Index("ix_macros_scope_position_id", "scope", "position", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    title_key: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    actions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """``{"status", "priority", "add_tags"}``, each optional."""
    visibility: Mapped[str] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Whose personal macro it is; for a shared one, who wrote it (None: the system)."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
