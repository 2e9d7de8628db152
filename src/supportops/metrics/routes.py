"""HTTP for the ops report, metric targets, cost inputs and the capacity plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from supportops.auth.deps import CurrentCtx
from supportops.kit.errors import InvalidInput
from supportops.metrics.capacity import capacity_plan
from supportops.metrics.costs import CostInputs, cost_inputs, set_cost_inputs
from supportops.metrics.periods import Period
from supportops.metrics.report import build_report, default_calendar
from supportops.metrics.snapshot import store_for
from supportops.metrics.targets import reset_target, set_target, targets

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


def _instant(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    """A day (YYYY-MM-DD, midnight UTC) or an ISO-8601 instant with offset."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field} takes YYYY-MM-DD or an ISO-8601 instant with offset, not {value!r}.", field=field
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} {value!r} has no UTC offset.", field=field)
    return parsed


@router.get("/reports/ops", response_model=None)
def ops_report(
    ctx: CurrentCtx,
    start: Annotated[
        str, Query(alias="from", description="YYYY-MM-DD (UTC midnight) or ISO-8601 with offset.")
    ],
    end: Annotated[str, Query(alias="to", description="Exclusive end, same forms.")],
    as_of: Annotated[str | None, Query(description="Compute as of this instant (default: to).")] = None,
    findings: bool = True,
    format: Annotated[Literal["json", "html"], Query()] = "json",
) -> dict[str, Any] | HTMLResponse:
    """The ops report of the period: every figure with its count, status against targets,
    breakdowns, series, distributions, tiers, findings and the capacity plan."""
    ctx.principal.require_manager("read the ops report")
    period = Period.of(
        _instant(start, "from"), _instant(end, "to"), _instant(as_of, "as_of") if as_of else None
    )
    with ctx.read() as session:
        calendar, name = default_calendar(session)
        report = build_report(
            session,
            period,
            calendar=calendar,
            calendar_name=name,
            with_findings=findings,
            now=ctx.now,
            store=store_for(ctx.settings.metrics_cache_dir),
        )
    if format == "html":
        from supportops.metrics.report_html import render_report_html

        return HTMLResponse(render_report_html(report))
    return report


class TargetBounds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    green_min: float | None = None
    green_max: float | None = None
    red_below: float | None = None
    red_above: float | None = None


@router.get("/metrics/targets")
def list_targets(ctx: CurrentCtx) -> dict[str, dict[str, Any]]:
    """Each metric's band: green inside [green_min, green_max], red past red_below / red_above."""
    ctx.principal.require_staff("read metric targets")
    with ctx.read() as session:
        return {metric: target.as_dict() for metric, target in targets(session).items()}


@router.put("/metrics/targets/{metric}")
def put_target(metric: str, body: TargetBounds, ctx: CurrentCtx) -> dict[str, Any]:
    ctx.principal.require_manager("change metric targets")
    with ctx.write() as session:
        return set_target(session, metric, body.model_dump(), now=ctx.now).as_dict()


@router.delete("/metrics/targets/{metric}")
def delete_target(metric: str, ctx: CurrentCtx) -> dict[str, Any]:
    """Back to DOMAIN.md's default band."""
    ctx.principal.require_manager("change metric targets")
    with ctx.write() as session:
        return reset_target(session, metric).as_dict()


@router.get("/metrics/costs")
def get_costs(ctx: CurrentCtx) -> CostInputs:
    ctx.principal.require_manager("read cost inputs")
    with ctx.read() as session:
        return cost_inputs(session)


@router.put("/metrics/costs")
def put_costs(body: dict[str, Any], ctx: CurrentCtx) -> CostInputs:
    """Change some cost inputs; the others keep their values."""
    ctx.principal.require_manager("change cost inputs")
    with ctx.write() as session:
        return set_cost_inputs(session, body, now=ctx.now)
