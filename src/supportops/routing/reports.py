"""The tier report: where tickets get resolved, against the target bands of DOMAIN.md."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.tickets.models import Ticket

# Share of resolved tickets each tier should finish (L0 deflection is measured by the knowledge base).
TARGET_BANDS: dict[str, tuple[float, float]] = {"L1": (0.60, 0.80), "L2": (0.15, 0.25), "L3": (0.0, 0.05)}


class TierRow(BaseModel):
    tier: str
    """The highest tier the ticket reached before it was resolved; ``none`` if no group ever had it."""
    resolved: int
    share: float
    target_low: float | None
    target_high: float | None
    within_target: bool | None


def tier_report(
    session: Session, *, actor: Principal, since: datetime | None = None, until: datetime | None = None
) -> list[TierRow]:
    """Tickets first resolved in [since, until), by the highest tier they reached."""
    actor.require_staff("read the tier report")
    stmt = (
        select(Ticket.max_tier, func.count())
        .where(Ticket.first_resolved_at.is_not(None))
        .group_by(Ticket.max_tier)
    )
    if since is not None:
        stmt = stmt.where(Ticket.first_resolved_at >= since)
    if until is not None:
        stmt = stmt.where(Ticket.first_resolved_at < until)
    counts = {tier or "none": int(n) for tier, n in session.execute(stmt)}
    total = sum(counts.values())
    rows = []
    for tier in ("L1", "L2", "L3", "none"):
        n = counts.get(tier, 0)
        share = n / total if total else 0.0
        low, high = TARGET_BANDS.get(tier, (None, None))
        within = None if low is None or high is None or not total else low <= share <= high
        rows.append(
            TierRow(
                tier=tier, resolved=n, share=share, target_low=low, target_high=high, within_target=within
            )
        )
    return rows
