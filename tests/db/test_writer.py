"""The writer process: units sent from an HTTP process are committed there, errors come back whole,
one failure fails alone, and an HTTP process whose writer process is gone writes by itself."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportops import registry
from supportops.auth.models import Organization
from supportops.config import Settings, get_settings
from supportops.db import writer
from supportops.db.session import Database
from supportops.kit.errors import InvalidInput
from tests.conftest import START


def add_organization(session: Session, *, name: str, fail: bool = False) -> str:
    """A unit of work as routes send them: a module-level function with its arguments bound."""
    session.add(Organization(name=name, shared_tickets=False, created_at=START))
    session.flush()
    if fail:
        raise InvalidInput(f"{name} is refused", field="name")
    return name


def settings_name(session: Session, *, settings: Settings) -> str:
    return settings.database_url


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def process(db: Database) -> Iterator[writer.WriterProcess]:
    started = writer.start(_url(db), setup=registry.loaded)
    yield started
    started.stop()


def _remote(db: Database, process: writer.WriterProcess) -> writer.RemoteWriter:
    return writer.RemoteWriter(db, address=process.address, key=process.key, settings=get_settings())


def _names(db: Database) -> list[str]:
    with db.unit_of_work(write=False) as session:
        return sorted(session.scalars(select(Organization.name)))


async def _run_all(remote: writer.RemoteWriter, names: list[str], failing: str = "") -> list[object]:
    units = [remote.run(partial(add_organization, name=n, fail=n == failing)) for n in names]
    return await asyncio.gather(*units, return_exceptions=True)


def test_units_are_committed_by_the_writer_process(db: Database, process: writer.WriterProcess) -> None:
    remote = _remote(db, process)
    try:
        results = asyncio.run(_run_all(remote, [f"org {i}" for i in range(40)]))
    finally:
        remote.close()
    assert results == [f"org {i}" for i in range(40)]
    assert _names(db) == sorted(f"org {i}" for i in range(40))
    assert process.process.is_alive()


def test_a_failing_unit_fails_alone_with_its_own_error(db: Database, process: writer.WriterProcess) -> None:
    remote = _remote(db, process)
    try:
        results = asyncio.run(_run_all(remote, ["a", "b", "c", "d"], failing="c"))
    finally:
        remote.close()
    assert results[:2] == ["a", "b"] and results[3] == "d"
    error = results[2]
    assert isinstance(error, InvalidInput)
    assert (error.detail, error.field, error.status) == ("c is refused", "name", 422)
    assert _names(db) == ["a", "b", "d"]


def test_the_settings_object_travels_by_name() -> None:
    mine, theirs = Settings(database_url="sqlite:///mine.db"), Settings(database_url="sqlite:///theirs.db")
    data = writer._dumps(partial(settings_name, settings=mine), mine)
    assert b"mine.db" not in data
    unit = writer._loads(data, theirs)
    assert unit.keywords["settings"] is theirs


def test_a_unit_that_cannot_be_pickled_is_written_in_this_process(
    db: Database, process: writer.WriterProcess
) -> None:
    remote = _remote(db, process)

    def local(session: Session) -> str:  # a closure: it cannot travel
        return add_organization(session, name="local")

    async def run() -> str:
        return await remote.run(local)

    try:
        assert asyncio.run(run()) == "local"
    finally:
        remote.close()
    assert _names(db) == ["local"]


def test_when_the_writer_process_is_gone_this_process_writes_by_itself(
    db: Database, process: writer.WriterProcess
) -> None:
    remote = _remote(db, process)

    async def run() -> list[object]:
        first = await _run_all(remote, ["before"])
        process.process.kill()
        process.process.join()
        # The first batch after the kill may have been sent to it: it gets a 503 that says the
        # write is uncertain; from then on the units are written here.
        lost = await _run_all(remote, ["lost?"])
        after = await _run_all(remote, ["after 1", "after 2"])
        return [*first, *lost, *after]

    try:
        results = asyncio.run(run())
    finally:
        remote.close()
    assert results[0] == "before" and results[2:] == ["after 1", "after 2"]
    assert results[1] == "lost?" or isinstance(results[1], writer.WriterGone)
    if isinstance(results[1], writer.WriterGone):
        assert results[1].status == 503 and "may or may not" in results[1].detail
    assert {"before", "after 1", "after 2"} <= set(_names(db))


def test_a_sqlite_file_and_postgresql_get_a_writer_process_and_memory_does_not() -> None:
    assert writer.suits("sqlite:///var/supportops.db")
    assert writer.suits("postgresql://postgres@127.0.0.1:5432/test")
    assert not writer.suits("sqlite://")
    assert not writer.suits("sqlite:///:memory:")


def test_stopping_removes_the_socket_folder(db: Database) -> None:
    started = writer.start(_url(db), setup=registry.loaded)
    folder = Path(started.address).parent
    assert folder.exists() and (folder.stat().st_mode & 0o777) == 0o700
    started.stop()
    assert not started.process.is_alive()
    assert not folder.exists()


def failing_setup() -> object:
    raise RuntimeError("a domain failed to load")


def test_a_writer_process_that_cannot_start_is_reported_and_leaves_nothing(db: Database) -> None:
    before = set(Path(tempfile.gettempdir()).glob("supportops-writer-*"))
    with pytest.raises(writer.WriterNotStarted, match="did not start"):
        writer.start(_url(db), setup=failing_setup)
    assert set(Path(tempfile.gettempdir()).glob("supportops-writer-*")) == before
