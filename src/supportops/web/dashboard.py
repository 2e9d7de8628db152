"""The ops dashboard for leads and admins: the ops report of a chosen period, in the app.

The report itself is the same single page `supportops report --format html` writes; the dashboard
page holds the period form and shows that page in a frame, so the figures, charts and findings are
the ones of the CLI and the API (``GET /api/v1/reports/ops``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from supportops.kit.errors import InvalidInput, SupportOpsError
from supportops.metrics.capacity import capacity_plan
from supportops.metrics.periods import Period
from supportops.metrics.report import build_report, default_calendar
from supportops.metrics.report_html import render_report_html
from supportops.metrics.snapshot import store_for
from supportops.web.pages import State, WebIdentity, render, signed_in

router = APIRouter(include_in_schema=False)
DayParam = Annotated[str, Query(max_length=10)]
NumberParam = Annotated[str, Query(max_length=20)]
PLANNER_DEFAULTS = {
    "volume": "500",
    "handle_minutes": "20",
    "hours": "8",
    "utilization": "0.75",
    "service_level": "0.8",
    "within_minutes": "0.333",
    "shrinkage": "0.3",
}
"""The seed's example (500 tickets a day, 20 minutes each, 8-hour shifts at 75 %) and a live-channel
service level of 80 % answered within 20 seconds with 30 % shrinkage."""


def _lead(request: Request, state: State) -> WebIdentity | Response:
    return signed_in(
        request,
        state,
        allowed=lambda p: p.is_manager,
        refusal="Only leads and admins read the ops dashboard.",
    )


def _period(state: State, start: str, end: str) -> tuple[date, date, dict[str, str]]:
    """The period the form asks for (default: the last 30 days and today), and field errors."""
    today = state.clock.now().astimezone(UTC).date()
    errors: dict[str, str] = {}
    values: dict[str, date] = {"from": today - timedelta(days=29), "to": today + timedelta(days=1)}
    for name, raw in (("from", start), ("to", end)):
        if raw:
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = "Enter a date as YYYY-MM-DD."
    if not errors and values["from"] >= values["to"]:
        errors["from"] = "The first day must come before the end day."
    return values["from"], values["to"], errors


def _plan(values: dict[str, str]) -> tuple[dict[str, object] | None, dict[str, str]]:
    """The capacity plan for the planner form's values, or the errors by field."""
    numbers: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name, raw in values.items():
        try:
            numbers[name] = float(raw)
        except ValueError:
            errors[name] = "Enter a number."
    if errors:
        return None, errors
    try:
        plan = capacity_plan(
            volume=numbers["volume"],
            handle_minutes=numbers["handle_minutes"],
            hours=numbers["hours"],
            utilization=numbers["utilization"],
            service_level_target=numbers["service_level"],
            within_minutes=numbers["within_minutes"],
            shrinkage=numbers["shrinkage"],
        )
    except InvalidInput as exc:
        field = exc.field if exc.field in values else "volume"
        return None, {field: exc.detail}
    return plan, {}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    state: State,
    start: DayParam = "",
    end: DayParam = "",
    volume: NumberParam = PLANNER_DEFAULTS["volume"],
    handle_minutes: NumberParam = PLANNER_DEFAULTS["handle_minutes"],
    hours: NumberParam = PLANNER_DEFAULTS["hours"],
    utilization: NumberParam = PLANNER_DEFAULTS["utilization"],
    service_level: NumberParam = PLANNER_DEFAULTS["service_level"],
    within_minutes: NumberParam = PLANNER_DEFAULTS["within_minutes"],
    shrinkage: NumberParam = PLANNER_DEFAULTS["shrinkage"],
) -> Response:
    identity = _lead(request, state)
    if isinstance(identity, Response):
        return identity
    first, until, errors = _period(state, start, end)
    planner = {
        "volume": volume,
        "handle_minutes": handle_minutes,
        "hours": hours,
        "utilization": utilization,
        "service_level": service_level,
        "within_minutes": within_minutes,
        "shrinkage": shrinkage,
    }
    plan, plan_errors = _plan(planner)
    return render(
        request,
        "dashboard.html",
        200 if not (errors or plan_errors) else 422,
        title="Ops dashboard",
        identity=identity,
        first=start or first.isoformat(),
        until=end or until.isoformat(),
        errors=errors,
        report_url=None if errors else f"/dashboard/report?start={first}&end={until}",
        planner=planner,
        plan=plan,
        plan_errors=plan_errors,
    )


@router.get("/dashboard/report", response_class=HTMLResponse)
def dashboard_report(request: Request, state: State, start: DayParam = "", end: DayParam = "") -> Response:
    identity = _lead(request, state)
    if isinstance(identity, Response):
        return identity
    first, until, errors = _period(state, start, end)
    if errors:
        message = " ".join(f"{name}: {text}" for name, text in errors.items())
        return render(request, "error.html", 422, title="Bad period", message=message, identity=identity)
    period = Period.of(
        datetime.combine(first, time(), UTC), datetime.combine(until, time(), UTC), state.clock.now()
    )
    if period.as_of > period.end:
        period = Period.of(period.start, period.end)
    try:
        with state.db.unit_of_work(write=False) as session:
            calendar, name = default_calendar(session)
            report = build_report(
                session,
                period,
                calendar=calendar,
                calendar_name=name,
                now=state.clock.now(),
                store=store_for(state.settings.metrics_cache_dir),
                ticket_url=f"{str(request.base_url).rstrip('/')}/agent/tickets/{{id}}",
            )
    except SupportOpsError as exc:
        return render(
            request, "error.html", exc.status, title=exc.title, message=exc.detail, identity=identity
        )
    return HTMLResponse(render_report_html(report))
