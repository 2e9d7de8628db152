from __future__ import annotations

from enum import StrEnum

from supportops.config import PriorityScheme


class Status(StrEnum):
    new = "new"
    triaged = "triaged"
    assigned = "assigned"
    in_progress = "in_progress"
    pending = "pending"
    on_hold = "on_hold"
    escalated = "escalated"
    engineering = "engineering"
    resolved = "resolved"
    closed = "closed"


class StatusCategory(StrEnum):
    """What SLA pause rules and reports key on, so they also work for custom statuses."""

    open = "open"
    pending = "pending"
    on_hold = "on_hold"
    solved = "solved"


STATUS_CATEGORY: dict[Status, StatusCategory] = {
    Status.new: StatusCategory.open,
    Status.triaged: StatusCategory.open,
    Status.assigned: StatusCategory.open,
    Status.in_progress: StatusCategory.open,
    Status.escalated: StatusCategory.open,
    Status.engineering: StatusCategory.open,
    Status.pending: StatusCategory.pending,
    Status.on_hold: StatusCategory.on_hold,
    Status.resolved: StatusCategory.solved,
    Status.closed: StatusCategory.solved,
}
SOLVED_STATUSES: frozenset[str] = frozenset(
    s.value for s, c in STATUS_CATEGORY.items() if c == StatusCategory.solved
)
"""The statuses of a solved ticket, as stored."""


class Channel(StrEnum):
    web = "web"
    email = "email"
    chat = "chat"
    phone = "phone"
    api = "api"


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"


class AuthorKind(StrEnum):
    """Who wrote a message. ``system`` covers bots and auto-acknowledgements: never a response."""

    customer = "customer"
    agent = "agent"
    system = "system"


PRIORITIES: dict[PriorityScheme, tuple[str, ...]] = {
    "p1-p5": ("P1", "P2", "P3", "P4", "P5"),
    "p0-p3": ("P0", "P1", "P2", "P3"),
}

DEFAULT_PRIORITY: dict[PriorityScheme, str] = {"p1-p5": "P3", "p0-p3": "P2"}

PRIORITY_LABELS: dict[PriorityScheme, dict[str, str]] = {
    "p1-p5": {"P1": "critical", "P2": "high", "P3": "medium", "P4": "low", "P5": "request"},
    "p0-p3": {"P0": "critical", "P1": "high", "P2": "medium", "P3": "low"},
}
