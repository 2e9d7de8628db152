"""``supportops import``: load another help desk's history, so that supportops can audit it.

``events FILE.jsonl`` reads the ticket-event log (one JSON object a line; docs/import.md);
``csv FILE`` reads an event log in CSV through a column mapping or a ``--preset``. Each rejected line
is reported on stderr as ``line N: <field>: <reason>``; the good lines still load. The last line on
stdout is the summary. Exit code 0 when every line loaded or was already imported, 1 when some line
was rejected, 2 when the command cannot run at all (an unreadable file, a missing column, bad options).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from supportops.cli.common import fail as _fail
from supportops.cli.common import require_migrated
from supportops.config import get_settings
from supportops.db.session import Database
from supportops.imports.csvlog import (
    PRESETS,
    CsvMapping,
    check_mapping,
    parse_map,
    preset,
    read_csv,
    with_defaults,
)
from supportops.imports.lines import SourceLine, read_jsonl
from supportops.imports.service import DEFAULT_SOURCE, ImportReport, check_source, import_lines
from supportops.kit.clock import SystemClock
from supportops.kit.errors import SupportOpsError
from supportops.tickets.enums import PRIORITIES

import_app = typer.Typer(no_args_is_help=True, help="Import another help desk's ticket history.")

InputFile = Annotated[Path, typer.Argument(help="The file to import.", dir_okay=False)]
Source = Annotated[
    str | None,
    typer.Option(help="Names the source: ticket ids and applied lines are remembered per source."),
]


def _database() -> Database:
    url = get_settings().database_url
    require_migrated(url)
    return Database.from_url(url)


def _run(lines: list[SourceLine], source: str) -> None:
    try:
        report: ImportReport = import_lines(
            _database(), lines, source=source, now=SystemClock().now(), settings=get_settings()
        )
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    for rejection in report.rejected:
        typer.echo(str(rejection), err=True)
    typer.echo(report.summary())
    if report.rejected:
        raise typer.Exit(code=1)


@import_app.command("events")
def events(file: InputFile, source: Source = None) -> None:
    """Load a ticket-event log: one JSON object a line (created, message, status, assign, priority,
    rating, handle_time, nps, presence, self_service)."""
    scheme = get_settings().priority_scheme
    try:
        name = check_source(source or DEFAULT_SOURCE)
        lines = list(read_jsonl(file, priorities=PRIORITIES[scheme]))
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    _run(lines, name)


@import_app.command("csv")
def csv_log(
    file: InputFile,
    case: Annotated[str | None, typer.Option(help="The column naming the case (the ticket).")] = None,
    timestamp: Annotated[str | None, typer.Option(help="The column with the event's time.")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(help="The status column; repeat to join several with '/' (Status/Sub Status)."),
    ] = None,
    team: Annotated[str | None, typer.Option(help="The column naming the team (the group).")] = None,
    level: Annotated[str | None, typer.Option(help="The column with the support level (the tier).")] = None,
    impact: Annotated[str | None, typer.Option(help="The column with the impact (the priority).")] = None,
    category: Annotated[str | None, typer.Option(help="The column with the category.")] = None,
    status_map: Annotated[
        str | None,
        typer.Option(help='JSON {"source status": "lifecycle status" or null to keep}, or @file.json.'),
    ] = None,
    level_map: Annotated[str | None, typer.Option(help='JSON {"level": "L1|L2|L3"}, or @file.json.')] = None,
    impact_map: Annotated[str | None, typer.Option(help='JSON {"impact": "P1"...}, or @file.json.')] = None,
    timestamp_format: Annotated[
        str | None, typer.Option(help="strptime format of the times; default ISO 8601.")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA zone of times without an offset (required for those).")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="The channel of every case; default email.")] = None,
    requester: Annotated[str | None, typer.Option(help="The customer email every case is filed for.")] = None,
    preset_name: Annotated[
        str | None, typer.Option("--preset", help=f"Columns and maps of a known log: {', '.join(PRESETS)}.")
    ] = None,
    source: Source = None,
) -> None:
    """Load an event log in CSV: one row per status change of a case."""
    settings = get_settings()
    scheme = settings.priority_scheme
    try:
        name = check_source(source or preset_name or "csv")
        base = preset(preset_name, scheme=scheme, source=name) if preset_name else None
        columns = {"case": case, "timestamp": timestamp}
        missing = [option for option, value in columns.items() if value is None and base is None]
        if missing or (not status and base is None):
            wanted = ", ".join(f"--{m}" for m in [*missing, *([] if status else ["status"])])
            raise _fail(f"name the columns with {wanted}, or use --preset")
        mapping = CsvMapping(
            case=case or (base.case if base else ""),
            timestamp=timestamp or (base.timestamp if base else ""),
            status=tuple(status) if status else (base.status if base else ()),
            team=team or (base.team if base else None),
            level=level or (base.level if base else None),
            impact=impact or (base.impact if base else None),
            category=category or (base.category if base else None),
            status_map=parse_map(status_map, "--status-map")
            if status_map
            else (base.status_map if base else {}),
            level_map=parse_map(level_map, "--level-map") if level_map else (base.level_map if base else {}),
            impact_map=parse_map(impact_map, "--impact-map")
            if impact_map
            else (base.impact_map if base else {}),
            timestamp_format=timestamp_format or (base.timestamp_format if base else None),
            timezone=timezone or (base.timezone if base else None),
            channel=channel or (base.channel if base else "email"),
            requester=(requester or (base.requester if base else "")).lower(),
        )
        if mapping.level is not None and mapping.team is None:
            raise _fail("--level needs --team: a support level belongs to the team handling the case")
        mapping = with_defaults(mapping, scheme=scheme, source=name)
        check_mapping(mapping, scheme=scheme)
        lines = list(read_csv(file, mapping, scheme=scheme, source=name))
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    except csv.Error as exc:
        raise _fail(f"{file} is not a readable CSV file ({exc})") from None
    except UnicodeDecodeError:
        raise _fail(f"{file} is not UTF-8 text") from None
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    _run(lines, name)
