"""Targets and warning thresholds per metric, and the green / amber / red status they give.

A target is a band: green inside ``[green_min, green_max]``, red below ``red_below`` or above
``red_above``, amber in between; a missing bound is open. The defaults are DOMAIN.md's targets;
each can be replaced (``metric_targets`` rows) and reset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from supportops.kit.errors import InvalidInput, NotFound
from supportops.metrics.models import MetricTarget

Status = Literal["green", "amber", "red", "none"]
BOUNDS = ("green_min", "green_max", "red_below", "red_above")


@dataclass(frozen=True)
class Target:
    unit: str
    """``rate`` (a fraction), ``minutes``, ``score`` (NPS), ``per_100`` (volume) or ``currency``."""
    green_min: float | None = None
    green_max: float | None = None
    red_below: float | None = None
    red_above: float | None = None
    measure: str = "value"
    """Which figure of the metric the status reads."""

    def status(self, value: float | None) -> Status:
        if value is None:
            return "none"
        if (self.red_below is not None and value < self.red_below) or (
            self.red_above is not None and value > self.red_above
        ):
            return "red"
        if (self.green_min is None or value >= self.green_min) and (
            self.green_max is None or value <= self.green_max
        ):
            return "green"
        return "amber"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_TARGETS: dict[str, Target] = {
    "csat": Target("rate", green_min=0.90, red_below=0.85),
    "frt": Target("minutes", green_max=60, red_above=240, measure="calendar median"),
    "ttr": Target("minutes", green_max=1440, red_above=4320, measure="calendar median"),
    "fcr": Target("rate", green_min=0.70, red_below=0.50),
    "nps": Target("score", green_min=30, red_below=10),
    "ticket_volume": Target("per_100", green_min=5, green_max=15, red_above=25),
    "deflection_rate": Target("rate", green_min=0.30, red_below=0.20),
    "escalation_rate": Target("rate", green_min=0.10, green_max=0.20, red_above=0.30),
    "reopen_rate": Target("rate", green_max=0.05, red_above=0.10),
    "agent_utilization": Target("rate", green_min=0.70, green_max=0.80, red_below=0.60, red_above=0.90),
    "cost_per_ticket": Target("currency", green_min=5, green_max=25, red_above=40),
    "sla_compliance": Target("rate", green_min=0.95, red_below=0.85, measure="resolution"),
    "article_effectiveness": Target("rate", green_min=0.80, red_below=0.60),
    "search_success": Target("rate", green_min=0.70, red_below=0.50),
    "content_freshness": Target("rate", green_min=0.90, red_below=0.70),
}
"""Every metric with a target. AHT and backlog have none by default: they are read against
capacity, not against a fixed band."""


def targets(session: Session) -> dict[str, Target]:
    """The defaults overlaid with the stored replacements."""
    result = dict(DEFAULT_TARGETS)
    for row in session.scalars(select(MetricTarget)):
        default = DEFAULT_TARGETS.get(row.metric)
        if default is None:
            continue
        result[row.metric] = Target(
            default.unit, row.green_min, row.green_max, row.red_below, row.red_above, default.measure
        )
    return result


def _known(metric: str) -> Target:
    default = DEFAULT_TARGETS.get(metric)
    if default is None:
        raise NotFound(
            f"Unknown metric {metric!r}; targets exist for {', '.join(sorted(DEFAULT_TARGETS))}.",
        )
    return default


def set_target(session: Session, metric: str, bounds: dict[str, float | None], *, now: datetime) -> Target:
    """Replace a metric's band. Unknown bounds, or bounds that contradict each other, are refused."""
    default = _known(metric)
    unknown = sorted(set(bounds) - set(BOUNDS))
    if unknown:
        raise InvalidInput(f"Unknown target bound {unknown[0]!r}; use {', '.join(BOUNDS)}.", field=unknown[0])
    values = {name: bounds.get(name) for name in BOUNDS}
    for name, value in values.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise InvalidInput(f"{name} must be a number or null.", field=name)
    g_min, g_max, r_below, r_above = (values[name] for name in BOUNDS)
    if g_min is None and g_max is None:
        raise InvalidInput("A target needs green_min or green_max.", field="green_min")
    if g_min is not None and g_max is not None and g_min > g_max:
        raise InvalidInput("green_min must not exceed green_max.", field="green_min")
    if r_below is not None and g_min is not None and r_below > g_min:
        raise InvalidInput("red_below must not exceed green_min.", field="red_below")
    if r_above is not None and g_max is not None and r_above < g_max:
        raise InvalidInput("red_above must not be below green_max.", field="red_above")
    row = session.get(MetricTarget, metric)
    if row is None:
        row = MetricTarget(metric=metric, updated_at=now)
        session.add(row)
    row.green_min, row.green_max, row.red_below, row.red_above = g_min, g_max, r_below, r_above
    row.updated_at = now
    session.flush()
    return Target(default.unit, g_min, g_max, r_below, r_above, default.measure)


def reset_target(session: Session, metric: str) -> Target:
    default = _known(metric)
    session.execute(delete(MetricTarget).where(MetricTarget.metric == metric))
    return default
