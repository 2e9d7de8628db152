"""``supportops sla``: batch deadlines and elapsed business time as JSON lines, and holiday lists.

``deadline`` reads ``{"start": ISO-8601 with offset, "minutes": number}`` lines and writes
``{"due": ...}``; ``elapsed`` reads ``{"start", "end"}`` and writes ``{"minutes": number}``. Instants
are written as ISO-8601 in UTC with a ``Z``: seconds always, a fraction only when it is not zero
(``2026-12-24T11:00:00Z``). The first bad line stops the run with its line number and exit code 2;
the answers to the lines before it have been written already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar

import orjson
import typer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from supportops.cli.common import fail as _fail
from supportops.kit.errors import SupportOpsError
from supportops.sla.calendar import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
    holiday_preset,
    holidays_from_ical,
)

sla_app = typer.Typer(no_args_is_help=True, help="Business calendars: deadlines, elapsed time, holidays.")

CalendarFile = Annotated[
    Path,
    typer.Option(
        "--calendar",
        exists=True,
        dir_okay=False,
        help="A calendar as JSON: timezone, week, holidays, overrides.",
    ),
]
_JSON_OUT = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


class DeadlineLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    start: AwareDatetime
    minutes: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ElapsedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    start: AwareDatetime
    end: AwareDatetime


Line = TypeVar("Line", bound=BaseModel)


def _describe(exc: ValidationError) -> str:
    """Every problem, each after the place it was found (when it has one)."""
    return "; ".join(
        ": ".join(filter(None, [".".join(str(part) for part in error["loc"]), error["msg"]]))
        for error in exc.errors()
    )


def _load_calendar(path: Path) -> Calendar:
    try:
        return Calendar.from_json(path.read_bytes())
    except ValidationError as exc:
        raise _fail(f"calendar {path}: {_describe(exc)}") from None


def _answer_lines(model: type[Line], answer: Callable[[Line], dict[str, Any]]) -> None:
    out = typer.get_binary_stream("stdout")
    for number, line in _numbered_lines(typer.get_text_stream("stdin")):
        try:
            result = answer(model.model_validate_json(line))
        except ValidationError as exc:
            raise _fail(f"line {number}: {_describe(exc)}") from None
        except SupportOpsError as exc:
            raise _fail(f"line {number}: {exc.detail}") from None
        out.write(orjson.dumps(result, option=_JSON_OUT))
    out.flush()


def _numbered_lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


@sla_app.command("deadline")
def deadline(calendar: CalendarFile) -> None:
    """Read {"start", "minutes"} lines on stdin; write {"due"} lines: start plus business minutes."""
    hours = _load_calendar(calendar)
    _answer_lines(DeadlineLine, lambda line: {"due": add_business_minutes(hours, line.start, line.minutes)})


@sla_app.command("elapsed")
def elapsed(calendar: CalendarFile) -> None:
    """Read {"start", "end"} lines on stdin; write {"minutes"} lines: the business minutes between."""
    hours = _load_calendar(calendar)
    _answer_lines(
        ElapsedLine, lambda line: {"minutes": business_minutes_between(hours, line.start, line.end)}
    )


@sla_app.command("holidays")
def holidays(
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 country code, e.g. DE.")] = None,
    subdivision: Annotated[str | None, typer.Option(help="A subdivision of the country, e.g. BY.")] = None,
    ical: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="An iCalendar file whose all-day events are holidays."
        ),
    ] = None,
    year: Annotated[
        list[int] | None,
        typer.Option(help="Repeat for several years; needed with --country and for repeating events."),
    ] = None,
    calendar: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Print this calendar with the holidays merged."),
    ] = None,
) -> None:
    """Print holidays as a JSON list of dates, from a country preset or an iCalendar file."""
    if (country is None) == (ical is None):
        raise _fail("give either --country or --ical")
    try:
        if country is not None:
            days = holiday_preset(country, subdivision, years=year or [])
        else:
            assert ical is not None
            days = holidays_from_ical(ical.read_bytes(), years=year or None)
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    if calendar is None:
        typer.echo(orjson.dumps([day.isoformat() for day in days]).decode())
    else:
        typer.echo(_load_calendar(calendar).with_holidays(days).to_json())
