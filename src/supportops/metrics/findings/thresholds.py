"""The thresholds of every detector: defaults, validation, and the stored overrides.

Overrides live in ``ops_settings`` under the key ``findings`` as ``{pattern: {threshold: value}}``;
only what was set is stored, so a default changed in a later version still reaches everyone who
never touched it. Every value is checked against its spec before anything is written.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from supportops.kit.errors import InvalidInput
from supportops.metrics.findings.model import PATTERNS
from supportops.metrics.models import OpsSetting
from supportops.tickets.enums import Status

SETTING_KEY = "findings"

Thresholds = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    kind: Literal["int", "float", "list"]
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    """For lists: the values an entry may take."""
    item_pattern: str | None = None
    """For lists: the form an entry must have (a custom field's key, a tag)."""


_TIERS = ("L0", "L1", "L2", "L3")
_LARGEST = 1e9
"""No threshold needs more; a bound keeps absurd numbers out of the arithmetic."""
_STATUSES = tuple(s.value for s in Status)

SPECS: dict[str, dict[str, Spec]] = {
    "speed_over_quality": {
        "fast_minutes": Spec("float", 60, "A resolution within this many minutes of creation is fast.", 1),
        "low_score_max": Spec("int", 2, "A CSAT score at or below this (1-5) is a low rating.", 1, 4),
        "rate_ratio": Spec(
            "float",
            1.5,
            "Fires when the fast tickets' reopen-or-low-rating rate is at least this multiple of the "
            "other resolved tickets' rate.",
            1,
        ),
        "min_tickets": Spec("int", 5, "Fast tickets reopened or rated low needed to fire.", 1),
        "agent_min_tickets": Spec(
            "int", 3, "An agent is named when at least this many of their fast tickets went bad.", 1
        ),
    },
    "ticket_tennis": {
        "min_handoffs": Spec(
            "int",
            3,
            "Agent or group stations (counting the first owner, as DOMAIN.md counts handoffs) that "
            "make a ticket tennis.",
            2,
        ),
        "min_tickets": Spec("int", 3, "Tickets needed to fire.", 1),
    },
    "knowledge_hoarding": {
        "min_cluster_tickets": Spec(
            "int", 5, "Resolved tickets without an article that make a recurring issue.", 2
        ),
        "max_clusters": Spec("int", 10, "Recurring issues listed, the largest first.", 1, 100),
        "signature_terms": Spec(
            "int", 3, "Shared subject terms (the most frequent recurring ones) that define an issue.", 2, 6
        ),
        "max_term_share": Spec(
            "float",
            0.5,
            "A term in more than this share of a category's tickets, or of all of them, is too generic"
            " to define an issue.",
            0.05,
            1,
        ),
    },
    "metric_gaming": {
        "reopen_within_hours": Spec(
            "float", 72, "A reopen (or a follow-up to a closed ticket) this soon after solving counts.", 1
        ),
        "question_markers": Spec(
            "list",
            ["?", "could you", "can you", "please send", "please confirm", "please let me know"],
            "Text (case-insensitive) that makes an agent message a question to the customer; a move to "
            "pending without one since the customer last wrote counts.",
        ),
        "min_tickets": Spec("int", 3, "Tickets needed to fire.", 1),
    },
    "escalation_avoidance": {
        "hold_tiers": Spec(
            "list", ["L1"], "The tiers whose holding before escalating is judged.", choices=_TIERS
        ),
        "max_hold_hours": Spec(
            "float",
            24,
            "Holding a ticket this long before escalating counts even without an SLA breach.",
            0.25,
        ),
        "min_tickets": Spec("int", 3, "Tickets needed to fire.", 1),
    },
    "channel_forcing": {
        "phone_phrases": Spec(
            "list",
            [
                "please call us",
                "call us at",
                "call us on",
                "give us a call",
                "phone us",
                "call our support line",
                "call our hotline",
                "contact us by phone",
                "reach us by phone",
            ],
            "Phrases (case-insensitive) sending the customer to the phone.",
        ),
        "email_phrases": Spec(
            "list",
            [
                "please email us",
                "email us at",
                "e-mail us at",
                "send us an email",
                "contact us by email",
                "write to us at",
                "reach us by email",
            ],
            "Phrases sending the customer to email.",
        ),
        "chat_phrases": Spec(
            "list",
            ["use our live chat", "start a chat", "open a chat", "chat with us", "contact us via chat"],
            "Phrases sending the customer to chat.",
        ),
        "web_phrases": Spec(
            "list",
            [
                "through the portal",
                "via the portal",
                "use our web form",
                "use the contact form",
                "submit a ticket",
                "open a new ticket",
            ],
            "Phrases sending the customer to the portal or a web form.",
        ),
        "min_tickets": Spec("int", 1, "Tickets needed to fire.", 1),
    },
    "copy_paste_responses": {
        "min_tickets": Spec("int", 5, "Tickets that must get the same reply for it to count as pasted.", 2),
        "min_chars": Spec("int", 40, "Shorter replies (after greeting and sign-off) are ignored.", 1),
        "min_bad_rate": Spec(
            "float",
            0.2,
            "Share of those tickets reopened or rated low that flags the reply, counted cautiously (the "
            "lower end of its 95% confidence interval), so a handful of tickets needs a higher share.",
            0.01,
            1,
        ),
        "low_score_max": Spec("int", 2, "A CSAT score at or below this is a low rating.", 1, 4),
    },
    "invisible_backlog": {
        "min_idle_days": Spec("float", 3, "Days without any event that make an open ticket invisible.", 0.1),
        "statuses": Spec(
            "list",
            ["new", "triaged", "assigned", "in_progress", "escalated", "engineering", "on_hold"],
            "Statuses judged (pending waits on the customer and is left out by default).",
            choices=_STATUSES,
        ),
        "min_tickets": Spec("int", 1, "Tickets needed to fire.", 1),
    },
    "no_feedback_loop": {
        "categories": Spec(
            "list",
            ["bug", "feature-request"],
            "Ticket categories that should reach product (case-insensitive).",
        ),
        "feedback_tags": Spec(
            "list",
            ["product-feedback"],
            "A tag that links a ticket to product feedback.",
            item_pattern=r"[\w.:-]{1,64}",
        ),
        "feedback_fields": Spec(
            "list",
            ["feedback_url"],
            "A custom field that links a ticket to product feedback when set (not empty).",
            item_pattern=r"[a-z][a-z0-9_]{0,39}",
        ),
        "min_tickets": Spec("int", 3, "Tickets needed to fire.", 1),
    },
    "over_automation": {
        "csat_margin": Spec(
            "float", 0.10, "Fires when bot-only CSAT is this far (0-1) below human-handled CSAT.", 0.01, 1
        ),
        "reopen_margin": Spec(
            "float",
            0.05,
            "… or when the bot-only reopen rate is this far above the human-handled one.",
            0.01,
            1,
        ),
        "min_tickets": Spec("int", 10, "Bot-only tickets needed to judge.", 1),
        "min_ratings": Spec("int", 5, "Ratings on bot-only tickets needed to compare CSAT.", 1),
    },
}
assert tuple(SPECS) == PATTERNS

DEFAULT_THRESHOLDS: Thresholds = {
    pattern: {key: copy.deepcopy(spec.default) for key, spec in specs.items()}
    for pattern, specs in SPECS.items()
}
"""Per pattern, every threshold and its default. Treat as read-only; the functions return copies."""


def _check(pattern: str, key: str, value: Any) -> Any:
    """The value, normalised, or InvalidInput naming ``findings.<pattern>.<key>``."""
    spec = SPECS[pattern][key]
    field = f"findings.{pattern}.{key}"
    if spec.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{field} must be a list of strings.", field=field)
        items = [v.strip() for v in value]
        if any(not v or len(v) > 200 or "\x00" in v for v in items) or len(items) > 100:
            raise InvalidInput(
                f"{field} takes at most 100 non-empty strings of up to 200 characters.", field=field
            )
        if spec.item_pattern is not None:
            wrong = [v for v in items if not re.fullmatch(spec.item_pattern, v)]
            if wrong:
                raise InvalidInput(f"{field}: {wrong[0]!r} is not a valid name.", field=field)
        if spec.choices is not None:
            wrong = [v for v in items if v not in spec.choices]
            if wrong:
                raise InvalidInput(
                    f"{field}: {wrong[0]!r} is not one of {', '.join(spec.choices)}.", field=field
                )
        return list(dict.fromkeys(items))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{field} must be a number.", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number.", field=field)
    if spec.kind == "int" and isinstance(value, float) and not value.is_integer():
        raise InvalidInput(f"{field} must be a whole number.", field=field)
    if spec.minimum is not None and value < spec.minimum:
        raise InvalidInput(f"{field} must be at least {spec.minimum:g}.", field=field)
    ceiling = spec.maximum if spec.maximum is not None else _LARGEST
    if value > ceiling:
        raise InvalidInput(f"{field} must be at most {ceiling:g}.", field=field)
    return int(value) if spec.kind == "int" else float(value)


def validate(values: Any) -> dict[str, dict[str, Any]]:
    """Check a partial ``{pattern: {threshold: value}}``; ``None`` as a value means "the default"."""
    if not isinstance(values, dict):
        raise InvalidInput("findings must be an object of {pattern: {threshold: value}}.", field="findings")
    checked: dict[str, dict[str, Any]] = {}
    for pattern, entries in values.items():
        if pattern not in SPECS:
            raise InvalidInput(
                f"Unknown finding {pattern!r}; the findings are {', '.join(PATTERNS)}.",
                field=f"findings.{pattern}",
            )
        if not isinstance(entries, dict):
            raise InvalidInput(
                f"findings.{pattern} must be an object of {{threshold: value}}.", field=f"findings.{pattern}"
            )
        for key, value in entries.items():
            if key not in SPECS[pattern]:
                raise InvalidInput(
                    f"Unknown threshold {key!r} for {pattern}; it has {', '.join(SPECS[pattern])}.",
                    field=f"findings.{pattern}.{key}",
                )
            checked.setdefault(pattern, {})[key] = None if value is None else _check(pattern, key, value)
    return checked


def overlay(base: Thresholds, changes: dict[str, dict[str, Any]]) -> Thresholds:
    """``base`` with checked ``changes`` applied; ``None`` puts the default back."""
    result = copy.deepcopy(base)
    for pattern, entries in changes.items():
        for key, value in entries.items():
            result[pattern][key] = copy.deepcopy(SPECS[pattern][key].default) if value is None else value
    return result


def _stored(session: Session) -> dict[str, dict[str, Any]]:
    """The stored overrides that are still valid (an entry a later version dropped is skipped)."""
    row = session.get(OpsSetting, SETTING_KEY)
    if row is None or not isinstance(row.value, dict):
        return {}
    kept: dict[str, dict[str, Any]] = {}
    for pattern, entries in row.value.items():
        if pattern not in SPECS or not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            if key not in SPECS[pattern] or value is None:
                continue
            try:
                kept.setdefault(pattern, {})[key] = _check(pattern, key, value)
            except InvalidInput:
                continue
    return kept


def load_thresholds(session: Session) -> Thresholds:
    """The defaults overlaid with the stored overrides."""
    return overlay(DEFAULT_THRESHOLDS, _stored(session))


def save_thresholds(session: Session, values: dict[str, dict[str, Any]], *, now: datetime) -> Thresholds:
    """Store overrides (a partial map; ``None`` resets one to its default) and return the thresholds
    now in force. Nothing is stored when any value is refused."""
    checked = validate(values)
    stored = _stored(session)
    for pattern, entries in checked.items():
        for key, value in entries.items():
            if value is None:
                stored.get(pattern, {}).pop(key, None)
            else:
                stored.setdefault(pattern, {})[key] = value
    stored = {p: e for p, e in stored.items() if e}
    row = session.get(OpsSetting, SETTING_KEY)
    if row is None:
        session.add(OpsSetting(key=SETTING_KEY, value=stored, updated_at=now))
    else:
        row.value = stored
        row.updated_at = now
    session.flush()
    return overlay(DEFAULT_THRESHOLDS, stored)


def resolve(session: Session, thresholds: dict[str, dict[str, Any]] | None) -> Thresholds:
    """What a run uses: the stored thresholds, or the given ones overlaid on the defaults."""
    if thresholds is None:
        return load_thresholds(session)
    return overlay(DEFAULT_THRESHOLDS, validate(thresholds))
