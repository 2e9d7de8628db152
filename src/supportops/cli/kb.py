"""``supportops kb``: bulk-import articles and list knowledge-base gaps.

``import FILE.jsonl`` reads one article a line (the fields of ``POST /api/v1/kb/articles``). Each
rejected line is reported on stderr as ``line N: <field>: <reason>``; the good lines still load. The
last line on stdout is ``imported=N skipped=N rejected=N``. Exit code 0 when every line loaded or was
already there, 1 when some line was rejected, 2 when the command cannot run at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportops.auth import service as accounts
from supportops.auth.principal import SYSTEM, Principal
from supportops.cli.common import fail, require_migrated
from supportops.config import get_settings
from supportops.db.session import Database
from supportops.kit.clock import SystemClock
from supportops.knowledge import gaps
from supportops.knowledge.importing import import_lines

kb_app = typer.Typer(no_args_is_help=True, help="The knowledge base: import articles, find gaps.")


def _database() -> Database:
    url = get_settings().database_url
    require_migrated(url)
    return Database.from_url(url)


def _author(db: Database, email: str | None) -> Principal:
    if email is None:
        return SYSTEM
    with db.unit_of_work(write=False) as session:
        user = accounts.find_user_by_email(session, email)
        if user is None:
            raise fail(f"no user with the email {email}")
        principal = accounts.principal_for(session, user)
    if not principal.is_staff:
        raise fail(f"{email} is not staff; articles are written by agents, leads or admins")
    return principal


@kb_app.command("import")
def import_articles(
    file: Annotated[Path, typer.Argument(help="JSON lines, one article each.", dir_okay=False)],
    author: Annotated[str | None, typer.Option(help="Email of the staff member credited as author.")] = None,
) -> None:
    """Import articles from a JSON-lines file."""
    db = _database()
    actor = _author(db, author)
    try:
        with file.open("rb") as handle:
            lines = list(enumerate(handle, start=1))
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None
    with db.unit_of_work() as session:
        summary = import_lines(session, actor=actor, lines=lines, now=SystemClock().now())
    for rejection in summary.rejected:
        typer.echo(rejection, err=True)
    typer.echo(summary.line())
    if summary.rejected:
        raise typer.Exit(code=1)


@kb_app.command("gaps")
def find_gaps(
    days: Annotated[
        int, typer.Option(min=1, max=365, help="Look at tickets resolved in this many days.")
    ] = 30,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
) -> None:
    """Recurring issues resolved without an article, largest first."""
    db = _database()
    with db.unit_of_work(write=False) as session:
        report = gaps.find(session, actor=SYSTEM, now=SystemClock().now(), days=days, limit=limit)
    typer.echo(
        f"{report.resolved_without_article} tickets resolved without an article since {report.since:%Y-%m-%d}"
    )
    for gap in report.clusters:
        ids = ", ".join(f"#{t.ticket_id}" for t in gap.examples)
        typer.echo(f"{gap.size:5d}  {gap.suggested_title}  [{', '.join(gap.terms)}]  e.g. {ids}")
