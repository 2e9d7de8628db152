"""Events the SLA domain publishes; routing escalates on them, metrics and webhooks may listen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportops.events.bus import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SlaBreached(DomainEvent):
    """A running clock passed its target; ``escalate`` says whether the policy asks for it."""

    ticket_id: int
    metric: str
    target_minutes: float
    business: bool
    breached_at: datetime
    at: datetime
    escalate: bool
    description: str
