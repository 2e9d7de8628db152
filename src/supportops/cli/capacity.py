"""``supportops capacity``: agents needed for a volume, by the seed's formula and by Erlang C."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from supportops.kit.errors import SupportOpsError
from supportops.metrics.capacity import capacity_plan


def capacity(
    volume: Annotated[float, typer.Option(help="Tickets in the period.")],
    handle_minutes: Annotated[float, typer.Option(help="Average handle time per ticket, in minutes.")],
    hours: Annotated[float, typer.Option(help="Hours an agent works in the period.")] = 8.0,
    utilization: Annotated[float, typer.Option(help="Share of working time spent on tickets.")] = 0.75,
    service_level: Annotated[
        float, typer.Option(help="Erlang C: share to answer within --within-minutes.")
    ] = 0.8,
    within_minutes: Annotated[float, typer.Option(help="Erlang C: the answer target, in minutes.")] = 60.0,
    shrinkage: Annotated[float, typer.Option(help="Erlang C: share of scheduled time not available.")] = 0.3,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False,
) -> None:
    """Agents needed: the workload formula (volume x handle time / (hours x 60 x utilization)) and
    Erlang C for a service level, with shrinkage."""
    try:
        plan = capacity_plan(
            volume=volume,
            handle_minutes=handle_minutes,
            hours=hours,
            utilization=utilization,
            service_level_target=service_level,
            within_minutes=within_minutes,
            shrinkage=shrinkage,
        )
    except SupportOpsError as exc:
        typer.secho(f"error: {exc.detail}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
    agents, exact, erlang = plan["workload"]["agents"], plan["workload"]["exact"], plan["erlang_c"]
    if as_json:
        typer.echo(orjson.dumps(plan, option=orjson.OPT_INDENT_2).decode())
        return
    typer.echo(f"workload formula: {exact:.2f} -> {agents} agents")
    typer.echo(
        f"Erlang C: {erlang['load_erlangs']:.2f} erlangs; {erlang['agents_on_duty']} on duty answer "
        f"{erlang['service_level']:.1%} within {within_minutes:g} min "
        f"(P(wait) {erlang['probability_of_waiting']:.1%}, "
        f"mean wait {erlang['average_wait_minutes']:.1f} min, occupancy {erlang['occupancy']:.1%}); "
        f"{erlang['agents_to_schedule']} to schedule with {shrinkage:.0%} shrinkage"
    )
    typer.echo(f"agents={agents}")
