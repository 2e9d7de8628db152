"""Test databases: every test runs on SQLite and on PostgreSQL, each built by the migrations.

SQLite: the migrated template file is copied per test. PostgreSQL: a fresh database per run
(from SUPPORTOPS_TEST_POSTGRES_URL), migrated once and truncated after each test. With CI=true an
unreachable PostgreSQL fails the run; elsewhere those tests skip with one reason line.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from supportops import registry
from supportops.app import create_app
from supportops.config import Settings, get_settings
from supportops.db.migrate import upgrade
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from supportops.knowledge import live
from supportops.metrics import snapshot
from supportops.metrics.findings import columns as finding_columns

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning


def _postgres_admin_url() -> str:
    return os.environ.get("SUPPORTOPS_TEST_POSTGRES_URL", DEFAULT_PG)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        with psycopg.connect(_postgres_admin_url(), connect_timeout=5):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, an unreachable PostgreSQL drops its half of the suite with one summary line."""
    on_postgres = [
        i for i in items if getattr(i, "callspec", None) and i.callspec.params.get("db") == "postgres"
    ]
    if not on_postgres or _in_ci():
        return
    reason = _postgres_unreachable()
    if reason is None:
        return
    config.stash[_PG_SKIPPED] = (
        f"PostgreSQL unreachable at {_postgres_admin_url()} ({reason}): "
        f"{len(on_postgres)} PostgreSQL tests skipped; set SUPPORTOPS_TEST_POSTGRES_URL to run them."
    )
    kept = set(map(id, on_postgres))
    items[:] = [i for i in items if id(i) not in kept]
    config.hook.pytest_deselected(items=on_postgres)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    message = config.stash.get(_PG_SKIPPED, None)
    if message:
        terminalreporter.write_line(message, yellow=True)


_PG_SKIPPED = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin_url = _postgres_admin_url()
    name = f"supportops_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {admin_url}: {str(exc).strip().splitlines()[0]}"
        if _in_ci():
            pytest.fail(message + " (CI=true requires it)", pytrace=False)
        pytest.skip(message)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in registry.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    # The suggestion index, the metrics snapshot and the finding facts are held per database URL,
    # and the PostgreSQL tests share one URL (truncated between tests).
    live.forget()
    snapshot.forget_all()
    finding_columns.forget_all()
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database.from_url(f"sqlite:///{path}", pool_size=5)
        yield database
        database.engine.dispose()
    else:
        database = Database.from_url(request.getfixturevalue("postgres_url"), pool_size=5)
        try:
            yield database
        finally:
            _truncate_all(database)
            database.engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite://", run_worker_in_serve=False, metrics_cache_dir=None)


@pytest.fixture
def client(db: Database, clock: FrozenClock, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, db=db, run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def cli_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The test database as the one the command line opens (``SUPPORTOPS_DATABASE_URL``)."""
    monkeypatch.setenv("SUPPORTOPS_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()
