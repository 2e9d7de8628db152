"""Fixtures for the demo generator tests; the migrated SQLite template comes from tests/conftest.py."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportops.db.session import Database
from supportops.demo import generator

# Microseconds on purpose: generated times are whole seconds and must still not pass ``now``.
NOW = datetime(2026, 11, 20, 15, 30, 12, 345678, tzinfo=UTC)
TICKETS = 300
MID_TICKETS = 5000  # enough for rates and shares to settle, small enough for a test


def _copy_of(template: Path, path: Path) -> Database:
    shutil.copy(template, path)
    return Database.from_url(f"sqlite:///{path}")


@pytest.fixture
def demo_now() -> datetime:
    return NOW


@pytest.fixture
def make_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Callable[[str], Database]]:
    """Migrated, empty SQLite databases under the test's tmp_path, one per name."""
    created: list[Database] = []

    def make(name: str) -> Database:
        db = _copy_of(sqlite_template, tmp_path / f"{name}.db")
        created.append(db)
        return db

    yield make
    for db in created:
        db.engine.dispose()


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip argon2 for the demo logins where a test does not log in."""
    monkeypatch.setattr(generator.loader, "hash_password", lambda password: f"not-a-hash:{password}")


@pytest.fixture(scope="module")
def loaded(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, generator.DemoSummary]]:
    """One demo load of TICKETS tickets at NOW, shared by a module's read-only checks."""
    db = _copy_of(sqlite_template, tmp_path_factory.mktemp("demo") / "loaded.db")
    summary = generator.load(db, tickets=TICKETS, seed=7, now=NOW)
    yield db, summary
    db.engine.dispose()


@pytest.fixture(scope="module")
def mid_loaded(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, generator.DemoSummary]]:
    """One mid-size demo load at NOW, shared by a module's read-only checks of rates and bands."""
    db = _copy_of(sqlite_template, tmp_path_factory.mktemp("demo-mid") / "mid.db")
    summary = generator.load(db, tickets=MID_TICKETS, seed=7, now=NOW)
    yield db, summary
    db.engine.dispose()
