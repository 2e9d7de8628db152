"""What a detector returns: a named, explained finding with the tickets as evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PATTERNS: tuple[str, ...] = (
    "speed_over_quality",
    "ticket_tennis",
    "knowledge_hoarding",
    "metric_gaming",
    "escalation_avoidance",
    "channel_forcing",
    "copy_paste_responses",
    "invisible_backlog",
    "no_feedback_loop",
    "over_automation",
)
"""The anti-patterns of DOMAIN.md, in its order; the ids are fixed (stored thresholds key on them)."""

TITLES: dict[str, str] = {
    "speed_over_quality": "Speed over quality",
    "ticket_tennis": "Ticket tennis",
    "knowledge_hoarding": "Knowledge hoarding",
    "metric_gaming": "Metric gaming",
    "escalation_avoidance": "Escalation avoidance",
    "channel_forcing": "Channel forcing",
    "copy_paste_responses": "Copy-paste responses",
    "invisible_backlog": "Invisible backlog",
    "no_feedback_loop": "No feedback loop",
    "over_automation": "Over-automation",
}


@dataclass(frozen=True)
class Finding:
    pattern: str
    title: str
    explanation: str
    """One line a team lead understands, with the figures."""
    tickets: list[int]
    """Evidence, the worst first, at most the evidence limit."""
    count: int
    """How many tickets match in all (the evidence list may be cut)."""
    agents: list[str]
    """Emails of the agents involved, most involved first; empty where it does not apply."""
    groups: list[str]
    """Names of the groups involved, most involved first; empty where it does not apply."""
    thresholds: dict[str, float | int | list[str]]
    """The thresholds this detector used."""
    details: list[dict[str, Any]] = field(default_factory=list)
    """The breakdown behind the explanation, where one helps: the recurring issues with a suggested
    article title, the pasted replies, the agents a pattern concentrates on."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "title": self.title,
            "explanation": self.explanation,
            "tickets": list(self.tickets),
            "count": self.count,
            "agents": list(self.agents),
            "groups": list(self.groups),
            "thresholds": {k: list(v) if isinstance(v, list) else v for k, v in self.thresholds.items()},
            "details": [dict(d) for d in self.details],
        }
