"""``supportops``: serve, work, migrate, manage users and tokens, load demo data."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError

from supportops.auth import service as accounts
from supportops.auth.enums import Role, Scope
from supportops.auth.schemas import TokenCreate, UserCreate
from supportops.cli.capacity import capacity
from supportops.cli.common import fail as _fail
from supportops.cli.common import instant
from supportops.cli.common import require_migrated as _require_migrated
from supportops.cli.imports import import_app
from supportops.cli.kb import kb_app
from supportops.cli.report import report
from supportops.cli.simulate import simulate
from supportops.cli.sla import sla_app
from supportops.cli.triage import triage_app
from supportops.config import get_settings
from supportops.db import migrate
from supportops.db.session import Database
from supportops.kit.clock import SystemClock
from supportops.kit.errors import SupportOpsError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
users_app = typer.Typer(no_args_is_help=True, help="Users.")
tokens_app = typer.Typer(no_args_is_help=True, help="API tokens.")
demo_app = typer.Typer(no_args_is_help=True, help="Demo data.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(demo_app, name="demo")
app.add_typer(sla_app, name="sla")
app.add_typer(kb_app, name="kb")
app.add_typer(triage_app, name="triage")
app.add_typer(import_app, name="import")
app.command("simulate")(simulate)
app.command("capacity")(capacity)
app.command("report")(report)


def _database() -> Database:
    url = get_settings().database_url
    _require_migrated(url)
    return Database.from_url(url)


@contextmanager
def _plain_errors() -> Iterator[None]:
    """Bad input ends the command with one line naming the problem, never a traceback."""
    try:
        yield
    except ValidationError as exc:
        raise _fail(_validation_message(exc)) from None
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None


def _parse_skills(values: list[str]) -> dict[str, str]:
    skills: dict[str, str] = {}
    for value in values:
        name, sep, level = value.partition("=")
        if not sep or not name.strip():
            raise _fail(f"--skill takes SKILL=LEVEL (for example billing=4), not {value!r}")
        skills[name.strip()] = level.strip()
    return skills


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    return f"{field}: {first['msg']}"


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    migrate.upgrade(get_settings().database_url)
    typer.echo("database is up to date")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree (on a scratch SQLite database)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'check.db'}"
        migrate.upgrade(url)
        migrate.check(url)
    typer.echo("migrations match the models")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="customer, agent, lead or admin.")] = Role.agent,
    password: Annotated[
        str | None, typer.Option(help="Password; omit for token-only or email-only users.")
    ] = None,
    organization_id: Annotated[int | None, typer.Option()] = None,
    group_id: Annotated[list[int] | None, typer.Option(help="Repeat for several groups.")] = None,
    skill: Annotated[
        list[str] | None, typer.Option(help="SKILL=LEVEL with LEVEL 1-5, e.g. billing=4; repeat for several.")
    ] = None,
) -> None:
    """Create a user."""
    clock = SystemClock()
    with _plain_errors():
        data = UserCreate(
            email=email,
            name=name,
            role=role,
            password=password,
            organization_id=organization_id,
            group_ids=group_id or [],
            skills=_parse_skills(skill or []),
        )
        with _database().unit_of_work() as session:
            user = accounts.create_user_unchecked(session, data=data, now=clock.now())
            typer.echo(f"created {user.role} {user.email} (id {user.id})")


@tokens_app.command("create")
def tokens_create(
    email: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[
        list[Scope] | None, typer.Option(help="Repeat for several; default: all the role allows.")
    ] = None,
) -> None:
    """Create an API token and print its secret (shown only this once) as the last line."""
    clock = SystemClock()
    with _plain_errors(), _database().unit_of_work() as session:
        user = accounts.find_user_by_email(session, email)
        if user is None:
            raise _fail(f"no user with email {email}")
        issued = accounts.issue_token(
            session, user=user, data=TokenCreate(name=name, scopes=scope), now=clock.now()
        )
        typer.echo(
            f"token {issued.token.id} for {user.email}, scopes {', '.join(issued.token.scopes)}:",
            err=True,
        )
        typer.echo(issued.secret)


@demo_app.command("load")
def demo_load(
    tickets: Annotated[int, typer.Option(min=1, max=10_000_000, help="How many tickets.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed and --now, same data.")] = 7,
    now: Annotated[
        str | None,
        typer.Option(
            help="The instant the history ends, in ISO 8601 (2026-12-01T12:00:00Z; without an offset, "
            "UTC). Default: the current time."
        ),
    ] = None,
) -> None:
    """Load the deterministic demo data set (organizations, agents, tickets with history)."""
    from supportops.demo.generator import load

    ends = instant(now, "--now", naive_is_utc=True) if now is not None else None
    db = _database()
    step = max(tickets // 20, 1000)

    def progress(done: int) -> None:
        if done % step < 1 or done == tickets:
            typer.echo(f"  {done:,} / {tickets:,} tickets", err=True)

    with _plain_errors():
        summary = load(db, tickets=tickets, seed=seed, now=ends, progress=progress)
    typer.echo(
        f"loaded {summary.tickets:,} tickets, {summary.messages:,} messages, {summary.events:,} events, "
        f"{summary.customers:,} customers, {summary.agents} agents, {summary.sla_clocks:,} SLA clocks "
        f"in {summary.seconds:.1f}s"
    )


@sla_app.command("recompute")
def sla_recompute(
    chunk: Annotated[int, typer.Option(min=100, max=100_000, help="Tickets per transaction.")] = 5000,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Processes sharing the work.")] = 1,
) -> None:
    """Recompute every ticket's SLA clocks from its history, under the policies in force now."""
    from datetime import UTC, datetime

    from supportops.sla.bulk import recompute_all

    db = _database()
    step = 100_000

    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        if done % step < count:
            typer.echo(f"  {done:,} tickets", err=True)

    with _plain_errors():
        report = recompute_all(
            db,
            now=datetime.now(UTC),
            settings=get_settings(),
            chunk=chunk,
            workers=workers,
            progress=progress,
        )
    typer.echo(
        f"recomputed {report.tickets:,} tickets: {report.clocks:,} clocks, "
        f"{report.metric_events:,} new metric events in {report.seconds:.1f}s"
    )


def _print_logins() -> None:
    from supportops.demo.generator import DEMO_LOGINS

    typer.echo("\nDemo logins (password after the email):")
    for login in DEMO_LOGINS:
        typer.echo(f"  {login.role:<9} {login.email:<32} {login.password}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="HTTP worker processes.")] = 1,
    worker: Annotated[bool, typer.Option(help="Run the job worker inside the server.")] = True,
    writer_process: Annotated[
        bool,
        typer.Option(help="Commit ticket creation in a process of its own (one more core at work)."),
    ] = True,
) -> None:
    """Serve the API and the web UI."""
    import os

    from supportops import registry
    from supportops.cli import serving
    from supportops.db import writer

    settings = get_settings()
    _require_migrated(settings.database_url)
    if not worker:
        # Read again by the app of this process (one HTTP worker) as by spawned ones: the settings
        # read above are cached, and would still say to run the worker.
        os.environ["SUPPORTOPS_RUN_WORKER_IN_SERVE"] = "false"
        get_settings.cache_clear()
    writes, previous = None, signal.getsignal(signal.SIGTERM)
    if writer_process and writer.suits(settings.database_url):
        try:
            writes = writer.start(settings.database_url, setup=registry.loaded)
        except writer.WriterNotStarted as exc:
            raise _fail(f"{exc}; `serve --no-writer-process` serves without it") from None
        os.environ.update(writes.environment())  # the HTTP processes, spawned or this one, read it
        # uvicorn raises a SIGTERM again once it has shut down; as an exception it lets the writer
        # process be stopped below instead of ending this process on the spot.
        previous = signal.signal(signal.SIGTERM, _end_on_signal)
    try:
        serving.serve(
            "supportops.app:serve_app",
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            hang_seconds=settings.http_hang_seconds,
            log_level="warning",
            access_log=False,
        )
    except (serving.AddressInUse, serving.ProcessesFailed) as exc:
        raise _fail(str(exc)) from None
    finally:
        if writes is not None:
            for name in writes.environment():
                os.environ.pop(name, None)
            writes.stop()
            signal.signal(signal.SIGTERM, previous)


def _end_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@app.command("worker")
def run_worker() -> None:
    """Run the durable job worker until interrupted (run several for more throughput)."""
    from supportops import registry
    from supportops.jobs.worker import Worker

    assert registry.LOADED
    _require_migrated(get_settings().database_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from supportops.surveys import jobs as survey_jobs

    settings = get_settings()
    db, clock = _database(), SystemClock()
    with db.unit_of_work() as session:  # recurring jobs start with the worker
        survey_jobs.ensure_scheduled(session, now=clock.now())
    w = Worker(db, clock=clock, poll_seconds=settings.worker_poll_seconds)
    signal.signal(signal.SIGTERM, lambda *_: w.stop())
    try:
        w.run()
    except KeyboardInterrupt:
        w.stop()


@app.command("run")
def run(
    demo_tickets: Annotated[
        int, typer.Option(min=0, help="Demo tickets to load into an empty database.")
    ] = 2000,
) -> None:
    """Migrate, load the demo data into an empty database, print the demo logins, and serve."""
    from supportops.demo.generator import is_empty

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    if demo_tickets and is_empty(_database()):
        typer.echo("empty database: loading demo data…")
        demo_load(tickets=demo_tickets, seed=7)
    _print_logins()
    typer.echo(f"\nsupportops is running at http://{settings.host}:{settings.port}  (Ctrl+C stops it)")
    typer.echo(f"API docs: http://{settings.host}:{settings.port}/api/v1/docs")
    sys.stdout.flush()
    serve(host=None, port=None, workers=1, worker=True)


if __name__ == "__main__":
    app()
