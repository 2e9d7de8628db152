"""Reading the report dict and writing its figures in the units a person reads.

Absent means empty and null means "—"; a value of the wrong type is an error naming its field, so a
malformed report is refused with a message, never rendered half-right.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from supportops.kit.errors import InvalidInput

DASH = "\u2014"
EN_DASH = "\u2013"
TIMES = "\u00d7"
MINUS = "\u2212"
SLA_METRICS = {
    "first_response": "First response",
    "next_response": "Next response",
    "periodic_update": "Periodic update",
    "resolution": "Resolution",
}
"""The SLA metrics in the order a support lead reads them."""


def as_object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be an object, not {type(value).__name__}.", field=name)
    return value


def as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{name} must be a list, not {type(value).__name__}.", field=name)
    return value


def as_number(value: Any, name: str) -> float | None:
    """A finite number, or None for null (and for NaN or infinity, which no figure can be)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number or null, not {value!r}.", field=name)
    number = float(value)
    return number if math.isfinite(number) else None


def text_or_dash(value: Any) -> str:
    return DASH if value is None else str(value)


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def trim(number: float, decimals: int = 1) -> str:
    """``87.0`` → ``87``, ``93.46`` → ``93.5``, with thousands separators."""
    text = f"{number:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_count(value: float | None) -> str:
    return DASH if value is None else f"{round(value):,}"


def fmt_rate(value: float | None) -> str:
    """A fraction as a percentage: 0.935 → ``93.5%``."""
    return DASH if value is None else f"{trim(value * 100)}%"


def fmt_minutes(value: float | None) -> str:
    """Minutes in the unit a person reads: ``42 min``, ``3.5 h``, ``2.1 d``."""
    if value is None:
        return DASH
    if value < 59.95:
        return f"{trim(value)} min"
    hours = value / 60
    if hours < 23.95:
        return f"{trim(hours)} h"
    return f"{trim(hours / 24)} d"


def fmt_signed(value: float | None) -> str:
    """NPS runs from -100 to +100, so its sign is always shown."""
    if value is None:
        return DASH
    text = trim(value)
    if text.startswith("-"):
        return MINUS + text[1:]
    return text if text == "0" else f"+{text}"


def fmt_number(value: float | None) -> str:
    return DASH if value is None else trim(value)


def fmt_money(value: float | None) -> str:
    return DASH if value is None else f"{value:,.2f}"


UNIT_FORMATS = {
    "rate": fmt_rate,
    "minutes": fmt_minutes,
    "score": fmt_signed,
    "per_100": fmt_number,
    "currency": fmt_money,
    "count": fmt_count,
}


def fmt_instant(value: Any, name: str) -> str:
    """An ISO-8601 instant as ``2026-10-01 00:00 UTC``."""
    if value is None:
        return DASH
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO-8601 time, not {value!r}.", field=name) from None
    if instant.tzinfo is not None:  # the report writes UTC with a Z; a naive time is taken as UTC
        instant = instant.astimezone(UTC)
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def day_of(value: Any, name: str) -> str:
    return fmt_instant(value, name)[:10]


def target_text(target: dict[str, Any], name: str) -> str | None:
    """``Target ≥ 90% · red below 85%`` from a target band; None when it has no bound."""
    fmt = UNIT_FORMATS.get(str(target.get("unit")), fmt_number)
    g_min, g_max, r_below, r_above = (
        as_number(target.get(bound), f"{name}.{bound}")
        for bound in ("green_min", "green_max", "red_below", "red_above")
    )
    parts = []
    if g_min is not None and g_max is not None:
        parts.append(f"Target {fmt(g_min)}{EN_DASH}{fmt(g_max)}")
    elif g_min is not None:
        parts.append(f"Target ≥ {fmt(g_min)}")
    elif g_max is not None:
        parts.append(f"Target ≤ {fmt(g_max)}")
    red = [
        f"below {fmt(r_below)}" if r_below is not None else "",
        f"above {fmt(r_above)}" if r_above is not None else "",
    ]
    red = [r for r in red if r]
    if red:
        parts.append("red " + " or ".join(red))
    return " · ".join(parts) or None
