"""The command line: users, tokens, migrations, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from supportops.auth import service as accounts
from supportops.cli.main import app
from supportops.config import get_settings
from supportops.db.migrate import upgrade
from supportops.db.session import Database
from supportops.kit.clock import SystemClock
from supportops.tickets.models import Ticket

runner = CliRunner()


def test_users_and_tokens_are_created_from_the_command_line(cli_db: Database) -> None:
    made = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "Lee@Example.com",
            "--name",
            "Lee",
            "--role",
            "lead",
            "--password",
            "long enough pass",
        ],
    )
    assert made.exit_code == 0, made.output
    token = runner.invoke(app, ["tokens", "create", "--email", "lee@example.com", "--scope", "tickets:read"])
    assert token.exit_code == 0, token.output
    secret = token.stdout.strip().splitlines()[-1]
    with cli_db.unit_of_work(write=False) as session:
        principal = accounts.authenticate_token(session, secret=secret, now=SystemClock().now())
    assert principal.email == "lee@example.com"
    assert {s.value for s in principal.scopes} == {"tickets:read"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "--email", "nope", "--name", "X"], "email"),
        (["users", "create", "--email", "a@example.com", "--name", "X", "--password", "short"], "password"),
        (["users", "create", "--email", "a@example.com", "--name", "X", "--group-id", "99"], "Group 99"),
        (["tokens", "create", "--email", "ghost@example.com"], "no user"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(cli_db: Database, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_customer_cannot_get_an_admin_token(cli_db: Database) -> None:
    runner.invoke(app, ["users", "create", "--email", "c@example.com", "--name", "C", "--role", "customer"])
    result = runner.invoke(app, ["tokens", "create", "--email", "c@example.com", "--scope", "admin"])
    assert result.exit_code == 2 and "cannot hold" in result.stderr


def test_serving_an_unmigrated_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["worker"])
        assert result.exit_code == 2
        assert "supportops db upgrade" in result.stderr
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "args",
    [
        ["users", "create", "--email", "a@example.com", "--name", "A", "--role", "agent"],
        ["tokens", "create", "--email", "a@example.com"],
    ],
)
def test_a_command_on_an_unmigrated_database_says_to_upgrade_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "supportops db upgrade" in result.stderr
    assert "Traceback" not in result.output


def test_demo_loads_once_and_a_second_load_is_refused_cleanly(cli_db: Database) -> None:
    first = runner.invoke(app, ["demo", "load", "--tickets", "50"])
    assert first.exit_code == 0, first.output
    assert "loaded 50 tickets" in first.stdout
    second = runner.invoke(app, ["demo", "load", "--tickets", "50"])
    assert second.exit_code == 2
    assert "Traceback" not in second.output and second.stderr.startswith("error:")


def _tickets_of(db: Database) -> list[tuple[object, ...]]:
    columns = (Ticket.id, Ticket.subject, Ticket.status, Ticket.created_at, Ticket.updated_at)
    with db.unit_of_work(write=False) as session:
        return [tuple(row) for row in session.execute(select(*columns).order_by(Ticket.id))]


def test_demo_data_ending_at_a_given_instant_is_the_same_every_time(
    cli_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["demo", "load", "--tickets", "60", "--seed", "3", "--now", "2026-01-05T12:00:00Z"]
    assert runner.invoke(app, args).exit_code == 0
    first = _tickets_of(cli_db)
    assert max(row[4] for row in first) <= datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    other = tmp_path / "other.db"
    upgrade(f"sqlite:///{other}")
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", f"sqlite:///{other}")
    get_settings.cache_clear()
    assert runner.invoke(app, [*args[:-1], "2026-01-05T12:00:00"]).exit_code == 0  # no offset: UTC
    second = Database.from_url(f"sqlite:///{other}")
    try:
        assert _tickets_of(second) == first and len(first) == 60
    finally:
        second.engine.dispose()


def test_a_bad_demo_end_instant_is_refused_naming_the_option(cli_db: Database) -> None:
    result = runner.invoke(app, ["demo", "load", "--tickets", "10", "--now", "yesterday"])
    assert result.exit_code == 2
    assert "--now takes an ISO 8601 instant" in result.stderr and "Traceback" not in result.output
    assert _tickets_of(cli_db) == []


def test_upgrade_creates_the_sqlite_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'nested' / 'so.db'}")
    get_settings.cache_clear()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert (tmp_path / "var" / "nested" / "so.db").exists()
    finally:
        get_settings.cache_clear()


def test_skills_from_the_command_line(cli_db: Database) -> None:
    ok = runner.invoke(
        app, ["users", "create", "--email", "s@example.com", "--name", "S", "--skill", "billing=4"]
    )
    assert ok.exit_code == 0, ok.output
    with cli_db.unit_of_work(write=False) as session:
        user = accounts.find_user_by_email(session, "s@example.com")
        assert user is not None
        assert accounts.skills_of_users(session, [user.id])[user.id] == {"billing": 4}
    for bad in ("billing", "billing=9"):
        result = runner.invoke(
            app, ["users", "create", "--email", "t@example.com", "--name", "T", "--skill", bad]
        )
        assert result.exit_code == 2 and "skill" in result.stderr
