"""Editable report settings: a target band per metric, and named settings (cost inputs, finding
thresholds, survey schedule)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from supportops.db.base import Base, JSONType, UTCDateTime


class MetricTarget(Base):
    """Green inside [green_min, green_max]; red below ``red_below`` or above ``red_above``; amber
    between. A missing bound is open."""

    __tablename__ = "metric_targets"

    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    green_min: Mapped[float | None] = mapped_column(Float)
    green_max: Mapped[float | None] = mapped_column(Float)
    red_below: Mapped[float | None] = mapped_column(Float)
    red_above: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OpsSetting(Base):
    __tablename__ = "ops_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
