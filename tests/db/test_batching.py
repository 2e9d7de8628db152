"""Group commit: queued units share a transaction, one failure fails alone, nothing is written twice."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportops.auth.models import Organization
from supportops.db.batching import WriteBatcher
from supportops.db.session import Database
from supportops.kit.errors import InvalidInput
from tests.conftest import START


def _names(db: Database) -> list[str]:
    with db.unit_of_work(write=False) as session:
        return sorted(session.scalars(select(Organization.name)))


def _add(name: str, sessions: list[int], fail: bool = False) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        sessions.append(id(session))
        session.add(Organization(name=name, shared_tickets=False, created_at=START))
        session.flush()
        if fail:
            raise InvalidInput(f"{name} is refused", field="name")
        return name

    return work


async def _run_queued_behind_a_blocker(
    batcher: WriteBatcher, works: list[Callable[[Session], str]]
) -> list[str | BaseException]:
    """Hold the writer in a first unit until every other unit is queued, so they form one batch."""
    release = threading.Event()

    def blocker(session: Session) -> str:
        release.wait(timeout=10)
        return "blocker"

    first = asyncio.ensure_future(batcher.run(blocker))
    await asyncio.sleep(0.05)  # the writer thread has taken the blocker
    rest = [asyncio.ensure_future(batcher.run(work)) for work in works]
    await asyncio.sleep(0.05)  # all of them are queued
    release.set()
    await first
    return await asyncio.gather(*rest, return_exceptions=True)


def test_queued_units_share_one_transaction(db: Database) -> None:
    batcher = WriteBatcher(db)
    sessions: list[int] = []
    results = asyncio.run(
        _run_queued_behind_a_blocker(batcher, [_add(f"org-{n}", sessions) for n in range(5)])
    )
    batcher.close()
    assert results == [f"org-{n}" for n in range(5)]
    assert len(set(sessions)) == 1
    assert _names(db) == [f"org-{n}" for n in range(5)]


def test_a_failing_unit_fails_alone_and_the_others_are_written_once(db: Database) -> None:
    batcher = WriteBatcher(db)
    sessions: list[int] = []
    works = [_add(f"org-{n}", sessions, fail=(n == 2)) for n in range(5)]
    results = asyncio.run(_run_queued_behind_a_blocker(batcher, works))
    batcher.close()
    assert isinstance(results[2], InvalidInput)
    assert [r for i, r in enumerate(results) if i != 2] == ["org-0", "org-1", "org-3", "org-4"]
    assert _names(db) == ["org-0", "org-1", "org-3", "org-4"]


def test_a_lone_failure_reaches_the_caller_and_leaves_nothing(db: Database) -> None:
    batcher = WriteBatcher(db)
    with pytest.raises(InvalidInput, match="org-x is refused"):
        asyncio.run(batcher.run(_add("org-x", [], fail=True)))
    batcher.close()
    assert _names(db) == []


def test_close_finishes_queued_work_and_the_batcher_restarts_on_use(db: Database) -> None:
    batcher = WriteBatcher(db)

    async def many() -> list[str]:
        return await asyncio.gather(*(batcher.run(_add(f"org-{n}", [])) for n in range(20)))

    assert len(asyncio.run(many())) == 20
    batcher.close()
    assert asyncio.run(batcher.run(_add("after", []))) == "after"
    batcher.close()
    assert len(_names(db)) == 21


def test_units_queued_while_the_writer_waits_for_the_write_lock_join_its_transaction(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # SQLite only: there a writer waits for the write lock before it begins (PostgreSQL has none).
    path = tmp_path / "lock.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}", pool_size=5)
    lock = db._write_lock
    assert lock is not None
    batcher = WriteBatcher(db)
    sessions: list[int] = []

    async def run() -> list[str]:
        lock.acquire()  # another writer of this process holds the database
        try:
            first = asyncio.ensure_future(batcher.run(_add("org-0", sessions)))
            await asyncio.sleep(0.05)  # the writer thread took org-0 and waits for the lock
            rest = [asyncio.ensure_future(batcher.run(_add(f"org-{n}", sessions))) for n in range(1, 5)]
            await asyncio.sleep(0.05)
        finally:
            lock.release()
        return [await first, *await asyncio.gather(*rest)]

    assert asyncio.run(run()) == [f"org-{n}" for n in range(5)]
    batcher.close()
    assert len(set(sessions)) == 1
    assert _names(db) == [f"org-{n}" for n in range(5)]
    db.engine.dispose()
