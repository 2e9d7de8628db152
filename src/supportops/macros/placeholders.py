"""The placeholders a macro body may hold, and their substitution.

Only the names in :data:`PLACEHOLDERS` exist; ``{{ name }}`` (spaces optional) is replaced by its
value in one pass, so a value that itself looks like a placeholder stays as it is. No template engine
runs on what users write, and no attribute is reached beyond this list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS: tuple[str, ...] = (
    "ticket.id",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "requester.name",
    "requester.first_name",
    "requester.email",
    "organization.name",
    "agent.name",
    "agent.first_name",
)
KNOWN = frozenset(PLACEHOLDERS)

_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")


def used(body: str) -> list[str]:
    """The names written between double braces, in order of first use, known or not."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(body):
        seen.setdefault(match.group(1).strip(), None)
    return list(seen)


def unknown(body: str) -> list[str]:
    """Each unknown placeholder as written in braces (``{{ticket.owner}}``), in order of first use."""
    return ["{{" + name + "}}" for name in used(body) if name not in KNOWN]


def render(body: str, values: Mapping[str, str]) -> str:
    """The body with every known placeholder replaced; a known name without a value becomes ""."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        return values.get(name, "") if name in KNOWN else match.group(0)

    return _PLACEHOLDER.sub(value, body)


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else ""
