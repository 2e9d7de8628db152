"""Reading units of work refuse to write (on PostgreSQL they run in autocommit, so a write would
not be atomic), and pooled PostgreSQL connections are pinged only after sitting idle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError

from supportops.auth.models import Organization
from supportops.db import session as db_session
from supportops.db.session import Database, WriteInReadSession
from supportops.db.statements import Write

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _organizations(db: Database) -> int:
    with db.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(Organization)) or 0


def test_a_reading_unit_of_work_refuses_an_orm_write_and_stores_nothing(db: Database) -> None:
    with pytest.raises(WriteInReadSession, match="cannot write"), db.unit_of_work(write=False) as session:
        session.add(Organization(name="Acme", created_at=NOW))
        session.flush()
    assert _organizations(db) == 0


def test_a_reading_unit_of_work_refuses_changes_left_unflushed(db: Database) -> None:
    with pytest.raises(WriteInReadSession, match="holds changes"), db.unit_of_work(write=False) as session:
        session.add(Organization(name="Acme", created_at=NOW))
    assert _organizations(db) == 0


def test_a_reading_unit_of_work_refuses_core_and_plain_writes(db: Database) -> None:
    table = Organization.__table__
    with pytest.raises(WriteInReadSession), db.unit_of_work(write=False) as session:
        session.execute(insert(table).values(name="Acme", created_at=NOW))
    with pytest.raises(WriteInReadSession), db.unit_of_work(write=False) as session:
        session.execute(text("UPDATE organizations SET name = 'x'"))
    with pytest.raises(WriteInReadSession), db.unit_of_work(write=False) as session:
        Write(insert(table)).run(session.connection(), [{"name": "Acme", "created_at": NOW}])
    assert _organizations(db) == 0


def test_a_reading_connection_reads_and_refuses_every_write(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Organization(name="Kept", created_at=NOW))
    table = Organization.__table__
    with db.rows() as connection:
        assert list(connection.execute(select(Organization.name)).scalars()) == ["Kept"]
    with pytest.raises(WriteInReadSession), db.rows() as connection:
        connection.execute(insert(table).values(name="Acme", created_at=NOW))
    with pytest.raises(WriteInReadSession), db.rows() as connection:
        connection.execute(text("DELETE FROM organizations"))
    with pytest.raises(WriteInReadSession), db.rows() as connection:
        Write(insert(table)).run(connection, [{"name": "Acme", "created_at": NOW}])
    assert _organizations(db) == 1


def test_a_writing_unit_of_work_still_writes_and_rolls_back_whole(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Organization(name="Kept", created_at=NOW))
    with pytest.raises(RuntimeError, match="late failure"), db.unit_of_work() as session:
        session.add(Organization(name="Lost", created_at=NOW))
        session.flush()
        raise RuntimeError("late failure")
    with db.unit_of_work(write=False) as session:
        assert list(session.scalars(select(Organization.name))) == ["Kept"]


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    database = Database.from_url(postgres_url, pool_size=1)
    yield database
    database.engine.dispose()


def _backend_pid(db: Database, *, write: bool = False) -> int:
    with db.unit_of_work(write=write) as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")) or 0)


def _terminate(postgres_url: str, pid: int) -> None:
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_postgres_reads_run_in_autocommit_and_writes_in_a_transaction(pg: Database) -> None:
    with pg.unit_of_work(write=False) as session:
        raw = session.connection().connection.dbapi_connection
        assert raw is not None and raw.autocommit is True
    # The same pooled connection (pool of one) is back in transaction mode for a writer.
    with pg.unit_of_work() as session:
        assert session.connection().connection.dbapi_connection is raw
        assert raw.autocommit is False
        session.execute(text("SELECT 1"))
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_a_connection_idle_past_the_threshold_is_pinged_and_replaced_when_dead(
    pg: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(pg)
    _terminate(postgres_url, first)
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.0)
    second = _backend_pid(pg)  # no error: the ping found it dead and the pool reconnected
    assert second != first


def test_a_busy_connection_is_not_pinged_and_a_dead_one_fails_once(
    pg: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    dialect = pg.engine.dialect
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn))
    first = _backend_pid(pg)
    assert _backend_pid(pg) == first
    assert pings == []
    _terminate(postgres_url, first)
    with pytest.raises(OperationalError):
        _backend_pid(pg)
    assert _backend_pid(pg) != first  # the pool replaced the dead connection
