"""``supportops report``: the ops report for a period, as one offline HTML file or as JSON."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from pydantic import ValidationError

from supportops.cli.common import fail as _fail
from supportops.cli.common import instant, require_migrated
from supportops.config import get_settings
from supportops.db.session import Database
from supportops.kit.clock import SystemClock
from supportops.kit.errors import SupportOpsError
from supportops.metrics.periods import Period
from supportops.metrics.report import build_report, default_calendar
from supportops.metrics.snapshot import store_for
from supportops.sla.calendar.model import Calendar


class Format(StrEnum):
    html = "html"
    json = "json"


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} takes a date as YYYY-MM-DD, not {value!r}") from None


def _calendar(path: Path) -> Calendar:
    try:
        return Calendar.from_json(path.read_bytes())
    except OSError as exc:
        raise _fail(f"--calendar {path}: {exc.strerror}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "calendar"
        raise _fail(f"--calendar {path}: {where}: {first['msg']}") from None


def report(
    from_: Annotated[str, typer.Option("--from", help="First day of the period (UTC), YYYY-MM-DD.")],
    to: Annotated[str, typer.Option("--to", help="The day after the period (UTC, exclusive), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="File to write; - writes to standard output.")],
    fmt: Annotated[Format, typer.Option("--format", help="html (one offline file) or json.")] = Format.html,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Compute as of this ISO-8601 instant (default: --to).")
    ] = None,
    calendar: Annotated[
        Path | None,
        typer.Option(help="Business calendar JSON for business minutes (default: the first SLA policy's)."),
    ] = None,
    findings: Annotated[bool, typer.Option(help="Run the anti-pattern detectors.")] = True,
) -> None:
    """Every metric of the period against its targets, with breakdowns, trends, findings and the
    capacity plan."""
    first, until = _day(from_, "--from"), _day(to, "--to")
    if first >= until:
        raise _fail(f"--from {first} must be before --to {until}")
    custom = _calendar(calendar) if calendar is not None else None
    url = get_settings().database_url
    require_migrated(url)
    db = Database.from_url(url)
    try:
        period = Period.of_days(first, until, instant(as_of, "--as-of") if as_of else None)
        with db.unit_of_work(write=False) as session:
            chosen: Calendar | None = custom
            name = calendar.name if calendar is not None else None
            if chosen is None:
                chosen, name = default_calendar(session)
            data = build_report(
                session,
                period,
                calendar=chosen,
                calendar_name=name,
                with_findings=findings,
                now=SystemClock().now(),
                store=store_for(get_settings().metrics_cache_dir),
            )
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    finally:
        db.engine.dispose()
    if fmt is Format.json:
        payload = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    else:
        from supportops.metrics.report_html import render_report_html

        payload = render_report_html(data).encode()
    if str(out) == "-":
        typer.echo(payload.decode())
        return
    try:
        out.write_bytes(payload)
    except OSError as exc:
        raise _fail(f"--out {out}: {exc.strerror}") from None
    typer.echo(f"wrote {out} ({len(payload):,} bytes)")
