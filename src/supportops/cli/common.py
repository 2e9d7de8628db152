"""What every command shares: one red line and exit code 2 for bad input, and the migration check."""

from __future__ import annotations

import typer

from supportops.db import migrate


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def require_migrated(url: str) -> None:
    if migrate.pending(url):
        raise fail("the database is not at the newest migration; run `supportops db upgrade` first")
