"""HTTP for the capacity plan."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from supportops.auth.deps import CurrentCtx
from supportops.metrics.capacity import capacity_plan

router = APIRouter(tags=["metrics"])


@router.get("/capacity")
def capacity(
    ctx: CurrentCtx,
    volume: Annotated[float, Query(gt=0)],
    handle_minutes: Annotated[float, Query(gt=0)],
    hours: Annotated[float, Query(gt=0)] = 8.0,
    utilization: Annotated[float, Query(gt=0, le=1)] = 0.75,
    service_level: Annotated[float, Query(gt=0, lt=1)] = 0.8,
    within_minutes: Annotated[float, Query(ge=0)] = 60.0,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.3,
) -> dict[str, Any]:
    """Agents needed for a volume: the seed's workload formula and Erlang C with shrinkage."""
    ctx.principal.require_staff("plan capacity")
    return capacity_plan(
        volume=volume,
        handle_minutes=handle_minutes,
        hours=hours,
        utilization=utilization,
        service_level_target=service_level,
        within_minutes=within_minutes,
        shrinkage=shrinkage,
    )
