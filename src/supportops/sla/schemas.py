"""What the SLA API reads and writes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from supportops.kit.text import DbId, ShortText
from supportops.sla.calendar import Calendar
from supportops.sla.clocks import Metric
from supportops.sla.policy import PolicyRules, Targets


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    definition: Calendar


class CalendarRead(BaseModel):
    id: int
    name: str
    definition: Calendar
    updated_at: datetime


class PolicyIn(PolicyRules):
    name: ShortText
    description: str = Field(default="", max_length=1000)
    position: int = Field(ge=0, le=1_000_000)
    """Explicit order: the lowest position that matches applies."""
    active: bool = True
    calendar_id: DbId


class PolicyRead(PolicyIn):
    model_config = ConfigDict(extra="ignore")

    id: int
    updated_at: datetime


class Minutes(BaseModel):
    business: float
    calendar: float


class ClockRead(BaseModel):
    metric: Metric
    cycle: int
    state: str
    policy_id: int | None
    """None when the built-in policy applies."""
    target_minutes: float
    business: bool
    activated_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    fulfilled_at: datetime | None
    used: Minutes
    left: Minutes | None
    """Until due, for a running clock; negative once past due."""


class MetricEventRead(BaseModel):
    metric: Metric
    cycle: int
    kind: str
    at: datetime


class ComplianceRow(BaseModel):
    metric: Metric
    priority: str
    group_id: int | None
    met: int
    breached: int
    compliance: float | None
    """met ÷ (met + breached); None when neither happened."""


class Presets(BaseModel):
    presets: dict[str, Targets]
