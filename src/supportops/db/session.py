"""Engines and sessions. One transaction per unit of work, committed by the caller.

On SQLite a writing unit of work starts with ``BEGIN IMMEDIATE`` so that two writers queue on the
busy timeout instead of failing on a lock upgrade; reads start a plain deferred transaction and run
concurrently with the writer under WAL.

On PostgreSQL a reading unit of work runs in autocommit: each statement is its own transaction,
which under READ COMMITTED sees what it would have seen inside one, and the driver sends no BEGIN
and no COMMIT. Such a session refuses to write. A pooled
connection is pinged before use only when it sat idle for ``PING_AFTER_IDLE_SECONDS``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, Pool, PoolProxiedConnection

WRITE_OPTION = "supportops_write"
READ_ONLY_OPTION = "supportops_read_only"
"""Set on the connections of reading units of work (in autocommit on PostgreSQL)."""

PING_AFTER_IDLE_SECONDS = 10.0
"""A pooled PostgreSQL connection idle this long is pinged before use (and replaced if dead).

A busy server reuses its connections within milliseconds, and pinging each checkout cost every
request a round trip. A connection that died while busy (the server restarted) fails the statement
it runs with 503; that failure also marks every older connection of the pool for replacement."""
_IDLE_SINCE = "supportops_idle_since"


class WriteInReadSession(RuntimeError):
    """A reading unit of work tried to change data: open it with ``unit_of_work(write=True)``."""


BUSY_TIMEOUT_SECONDS = 15.0


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    # WAL is a property of the file, set when it is migrated; switching needs an exclusive lock,
    # so it is done only when the file is not in WAL yet (e.g. made by an older tool).
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    if not conn.get_execution_options().get(WRITE_OPTION, False):
        raw.execute("BEGIN")
        return
    # Another process may hold the write lock. SQLite's busy handler would sleep in growing steps
    # (up to 100 ms) while the lock frees within a millisecond; polling in short steps hands over
    # promptly.
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        delay = 0.0002
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.002)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")


def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_when_idle(dialect: Dialect) -> Any:
    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(f"a pooled connection was closed: {exc}") from exc
            raise

    return checkout


def _refuse_writes(
    _conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: DefaultExecutionContext | None,
    _many: bool,
) -> None:
    changes = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    if changes or statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
        raise WriteInReadSession(f"a reading unit of work cannot write: {statement[:60]}...")


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def ensure_sqlite_folder(url: str) -> None:
    """A SQLite file's folder is created on first use, so that a fresh checkout just runs."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _json_text(value: Any) -> str:
    """JSON columns are written by orjson: a ticket creation writes about eight of them, and the
    standard library's encoder costs several times as much per value. Keys that are not strings
    become strings, as the standard library makes them; what orjson refuses (an integer beyond 64
    bits) goes to the standard library, which writes it exactly or refuses it as before. Reading
    stays with the standard library, which keeps such integers exact."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    """Create an engine; for a SQLite file, create its folder and set WAL and foreign keys."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        ensure_sqlite_folder(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=pool_size,
            max_overflow=pool_size,
            json_serializer=_json_text,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, json_serializer=_json_text)
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", _ping_when_idle(engine.dialect))
    return engine


def database_key(session: Session) -> Pool:
    """What the reading and the writing sessions of one :class:`Database` share: its connection
    pool. A cache of what a database holds is kept per pool, so that what a writing unit of work
    forgets, the reading ones forget too (each session factory binds an engine of its own options,
    and those differ)."""
    return session.get_bind().engine.pool


def forget_now_and_at_commit(
    session: Session, entries: MutableMapping[Pool, Any], lock: threading.Lock
) -> None:
    """Drop this database's entry of a per-database cache (``entries``, guarded by ``lock``), now
    and again once the session's transaction commits: another request of the process may read the
    old state into the cache in between."""
    key = database_key(session)

    def drop(_session: Session | None = None) -> None:
        with lock:
            entries.pop(key, None)

    drop()
    event.listen(session, "after_commit", drop, once=True)


@dataclass
class Database:
    """An engine with two session factories: ``write`` for units of work that change data."""

    engine: Engine
    read: sessionmaker[Session] = field(init=False)
    write: sessionmaker[Session] = field(init=False)
    _write_lock: threading.Lock | None = field(init=False, default=None)
    _reader: Engine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # SQLite has one writer at a time. Queueing this process's writers on a lock is fair and
        # prompt; leaving it to SQLite's busy handler sleeps them in growing steps (long tails).
        if self.engine.dialect.name == "sqlite":
            self._write_lock = threading.Lock()
        # A reading unit of work refuses to write, on both databases alike, so that code that
        # passes on one does not fail on the other.
        reading: dict[str, Any] = {READ_ONLY_OPTION: True}
        if self.engine.dialect.name == "postgresql":
            reading["isolation_level"] = "AUTOCOMMIT"
        reader = self.engine.execution_options(**reading)
        event.listen(reader, "before_cursor_execute", _refuse_writes)
        self._reader = reader
        self.read = sessionmaker(bind=reader, expire_on_commit=False, autoflush=False)
        writer = self.engine.execution_options(**{WRITE_OPTION: True})
        self.write = sessionmaker(bind=writer, expire_on_commit=False, autoflush=False)

    @contextmanager
    def rows(self) -> Iterator[Connection]:
        """A reading unit of work of plain statements, without an ORM session, for the hottest
        reads (a ticket get): the session's bookkeeping cost a third of such a read. Like
        ``unit_of_work(write=False)`` it refuses to write and ends without a commit."""
        with self._reader.connect() as connection:
            yield connection

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 20) -> Database:
        return cls(make_engine(url, pool_size=pool_size))

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """Commit on success, roll back on any error: nothing is half-written. A reading unit of
        work, which cannot write, just ends."""
        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        session = (self.write if write else self.read)()
        try:
            yield session
            if write:
                session.commit()
            elif session.new or session.dirty or session.deleted:
                raise WriteInReadSession("a reading unit of work holds changes it cannot write")
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if lock is not None:
                lock.release()
