"""``supportops simulate``: how a team of interchangeable agents would keep up with a ticket rate.

A single-skill queue (see :func:`supportops.routing.simulation.single_queue`), arrivals at a
constant rate or from a weekly profile file (``{"mon": [24 hourly rates], ...}``), exponential
handle times. Prints the service level, waits and utilization as a small table, or as JSON with
``--json``. Bad input ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from supportops.cli.common import fail as _fail
from supportops.kit.errors import SupportOpsError
from supportops.routing.simulation import (
    Arrivals,
    HistoricalArrivals,
    RateProfile,
    SimulationReport,
    single_queue,
)
from supportops.routing.simulation import (
    simulate as run_simulation,
)
from supportops.routing.strategies import Strategy


def _profile(path: Path) -> RateProfile:
    try:
        week: Any = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise _fail(f"profile {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise _fail(f"profile {path}: not JSON ({exc})") from None
    if not isinstance(week, dict) or not all(isinstance(hours, list) for hours in week.values()):
        raise _fail(f'profile {path}: expected {{"mon": [24 hourly rates], ...}}')
    try:
        return RateProfile.from_week(week)
    except SupportOpsError as exc:
        raise _fail(f"profile {path}: {exc.detail}") from None
    except (TypeError, ValueError):
        raise _fail(f"profile {path}: every hourly rate must be a number") from None


def _history(hours: float) -> tuple[HistoricalArrivals, datetime]:
    """When tickets were opened in the last ``hours``, from the configured database."""
    from sqlalchemy import select

    from supportops.config import get_settings
    from supportops.db.session import Database
    from supportops.tickets.models import Ticket

    end = datetime.now(UTC)
    start = end - timedelta(hours=hours)
    db = Database.from_url(get_settings().database_url, pool_size=1)
    try:
        with db.unit_of_work(write=False) as session:
            instants = tuple(
                session.scalars(
                    select(Ticket.created_at)
                    .where(Ticket.created_at >= start, Ticket.created_at < end)
                    .order_by(Ticket.created_at)
                )
            )
    except Exception as exc:  # any database problem is one line, not a stack trace
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise _fail(f"could not read the ticket history ({first}); is the database migrated?") from None
    finally:
        db.engine.dispose()
    if not instants:
        raise _fail(f"no ticket was opened in the last {hours:g} hours; choose --rate or --profile")
    return HistoricalArrivals(instants), start


def _arrivals(rate: float | None, profile: Path | None) -> Arrivals:
    if (rate is None) == (profile is None):
        raise _fail("give one of --rate, --profile or --from-history")
    if profile is not None:
        return _profile(profile)
    assert rate is not None
    return RateProfile.constant(rate)


def _table(report: SimulationReport) -> str:
    lines = [
        f"tickets      {report.arrived} arrived, {report.handled} handled, "
        f"{report.abandoned} abandoned, {report.unanswered} unanswered",
        f"SLA          {report.sla_attainment:.1%} reached an agent within {report.target_minutes:g} min",
        f"wait (min)   mean {report.mean_wait_minutes:.1f}  p50 {report.p50_wait_minutes:.1f}  "
        f"p90 {report.p90_wait_minutes:.1f}  p99 {report.p99_wait_minutes:.1f}",
        f"utilization  {report.utilization:.1%}",
        "",
        f"{'agent':<12} {'handled':>8} {'utilization':>12}",
    ]
    lines += [f"{a.name:<12} {a.handled:>8} {a.utilization:>12.1%}" for a in report.agents]
    return "\n".join(lines)


def simulate(
    agents: Annotated[int, typer.Option(help="Agents on shift all the time, one ticket each.")] = 5,
    rate: Annotated[float | None, typer.Option(help="Tickets per hour, all week.")] = None,
    profile: Annotated[
        Path | None, typer.Option(help='A weekly profile: {"mon": [24 hourly rates], ...}.')
    ] = None,
    handle_minutes: Annotated[float, typer.Option(help="Mean handle time in minutes.")] = 10.0,
    target_minutes: Annotated[float, typer.Option(help="Service-level target: wait for an agent.")] = 15.0,
    hours: Annotated[float, typer.Option(help="Hours of arrivals to simulate.")] = 168.0,
    strategy: Annotated[Strategy, typer.Option(help="How an agent is chosen.")] = Strategy.skills,
    patience_minutes: Annotated[
        float | None, typer.Option(help="Mean wait before a customer gives up; default: never.")
    ] = None,
    from_history: Annotated[
        bool, typer.Option("--from-history", help="Replay when tickets were opened in the last --hours.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Same seed, same result.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Simulate a support queue: service level, waits and utilization for a number of agents."""
    start: datetime | None = None
    arrivals: Arrivals
    if from_history:
        if rate is not None or profile is not None:
            raise _fail("give one of --rate, --profile or --from-history")
        arrivals, start = _history(hours)
    try:
        if not from_history:
            arrivals = _arrivals(rate, profile)
        scenario = single_queue(
            agents=agents,
            arrivals=arrivals,
            handle_minutes=handle_minutes,
            target_minutes=target_minutes,
            hours=hours,
            strategy=strategy,
            patience_minutes=patience_minutes,
        )
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    if start is not None:
        scenario = replace(scenario, start=start)
    report = run_simulation(scenario, seed=seed)
    if as_json:
        typer.echo(orjson.dumps(asdict(report), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(_table(report))
