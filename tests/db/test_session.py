"""Units of work: all or nothing, and concurrent SQLite writers from separate engines all land."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportops.auth.models import Organization
from supportops.db.session import Database
from supportops.kit.clock import FrozenClock
from tests.conftest import START


def test_a_failed_unit_of_work_leaves_nothing(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        session.add(Organization(name="Half", shared_tickets=False, created_at=clock.now()))
        session.flush()
        raise RuntimeError("boom")
    with db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Organization)) == 0


def test_writers_of_two_engines_on_one_sqlite_file_all_commit(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    shutil.copy(sqlite_template, path)
    engines = [Database.from_url(f"sqlite:///{path}", pool_size=4) for _ in range(2)]  # like two processes
    errors: list[BaseException] = []

    def write(db: Database, worker: int) -> None:
        try:
            for n in range(60):
                with db.unit_of_work() as session:
                    session.add(
                        Organization(name=f"org-{worker}-{n}", shared_tickets=False, created_at=START)
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(engines[i % 2], i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engines[0].unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Organization)) == 240
    for e in engines:
        e.engine.dispose()


def test_migrated_sqlite_files_are_in_wal_mode(sqlite_template: Path) -> None:
    import sqlite3

    with sqlite3.connect(sqlite_template) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
