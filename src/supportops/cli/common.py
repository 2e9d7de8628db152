"""What every command shares: one red line and exit code 2 for bad input, instants read from the
command line, and the migration check."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from supportops.db import migrate


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def instant(value: str, option: str, *, naive_is_utc: bool = False) -> datetime:
    """An ISO 8601 instant given to ``option``. Without a UTC offset it is refused, or taken as UTC
    where the option says so."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"{option} takes an ISO 8601 instant (2026-12-01T12:00:00Z), not {value!r}") from None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            raise fail(f"{option} {value!r} has no UTC offset; add one, e.g. {value}+00:00")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def require_migrated(url: str) -> None:
    if migrate.pending(url):
        raise fail("the database is not at the newest migration; run `supportops db upgrade` first")
