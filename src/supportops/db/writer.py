"""A writer process: the HTTP processes hand their group-commit units to it.

A process's writer thread competes with its own event loop for the interpreter, and on SQLite,
which writes one transaction at a time, a second HTTP process adds no write capacity either.
``supportops serve`` therefore starts one process that only runs units of work (see
:mod:`supportops.db.batching`): the HTTP processes parse, authenticate and answer on one core while
it writes on the other. On SQLite it is the only process writing tickets, so its page cache stays
valid between transactions; on PostgreSQL it waits for the server's answers without holding up an
event loop.

A unit travels pickled over a Unix socket that only this user can open, with a key checked on
connect. The process's settings object travels as a name and is the receiving process's own. A
unit's answer is sent only after its transaction committed, as with the in-process writer; if the
writer process is gone, the units it had are answered 503 (they may or may not have been written)
and the HTTP process goes on writing by itself.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import secrets
import selectors
import shutil
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from supportops.config import Settings, get_settings
from supportops.db.batching import (
    MAX_BATCH,
    Result,
    Unit,
    WriteBatcher,
    commit_together,
    deliver,
    deliver_results,
)
from supportops.db.session import Database
from supportops.kit import longlived
from supportops.kit.errors import SupportOpsError

log = logging.getLogger(__name__)

ADDRESS_ENV = "SUPPORTOPS_WRITER_ADDRESS"
KEY_ENV = "SUPPORTOPS_WRITER_KEY"
_SETTINGS = "settings"


class WriterGone(SupportOpsError):
    status = 503
    title = "Writer unavailable"
    slug = "writer-unavailable"


class WriterNotStarted(RuntimeError):
    """The writer process ended or hung before it listened."""


# --- the wire ------------------------------------------------------------------------------------


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, settings: Settings) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._settings = settings

    def persistent_id(self, obj: Any) -> str | None:
        return _SETTINGS if obj is self._settings else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, settings: Settings) -> None:
        super().__init__(file)
        self._settings = settings

    def persistent_load(self, pid: Any) -> Any:
        if pid != _SETTINGS:
            raise pickle.UnpicklingError(f"unknown shared object {pid!r}")
        return self._settings


def _dumps(value: Any, settings: Settings) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, settings).dump(value)
    return buffer.getvalue()


def _loads(data: bytes, settings: Settings) -> Any:
    return _Unpickler(io.BytesIO(data), settings).load()


# --- the writer process --------------------------------------------------------------------------


@dataclass(frozen=True)
class WriterProcess:
    """The running writer process, as ``supportops serve`` holds it."""

    process: Any
    address: str
    key: bytes

    def environment(self) -> dict[str, str]:
        """What an HTTP process needs to reach it."""
        return {ADDRESS_ENV: self.address, KEY_ENV: self.key.hex()}

    def stop(self, timeout: float = 10.0) -> None:
        """Let it finish the transaction it runs, then end it."""
        if self.process.is_alive():
            self.process.terminate()  # SIGTERM: it stops after the current batch
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        shutil.rmtree(Path(self.address).parent, ignore_errors=True)


def suits(database_url: str) -> bool:
    """A database that other processes can reach: a SQLite file, or PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return True
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def start(database_url: str, *, setup: Callable[[], object], timeout: float = 60.0) -> WriterProcess:
    """Start the writer process and return once it accepts connections. ``setup`` runs first in it
    (a module-level function: it travels by name) and loads the domains whose code the units run."""
    folder = tempfile.mkdtemp(prefix="supportops-writer-")  # mode 0700: only this user gets in
    address = str(Path(folder) / "socket")
    key = secrets.token_bytes(32)
    context = get_context("spawn")
    ready_r, ready_w = context.Pipe(duplex=False)
    process = context.Process(
        target=_main, args=(setup, address, key, database_url, ready_w), name="supportops-writer", daemon=True
    )
    process.start()
    ready_w.close()
    try:
        started = ready_r.poll(timeout) and ready_r.recv() == "ready"
    except EOFError:  # it ended before it was ready
        started = False
    if not started:
        process.kill()
        shutil.rmtree(folder, ignore_errors=True)
        raise WriterNotStarted("the writer process did not start; its error is printed above")
    return WriterProcess(process=process, address=address, key=key)


def _main(
    setup: Callable[[], object], address: str, key: bytes, database_url: str, ready: Connection
) -> None:
    setup()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: serve decides
    logging.basicConfig(level=logging.WARNING)
    host = _Host(Database.from_url(database_url), Listener(address, family="AF_UNIX", authkey=key))
    signal.signal(signal.SIGTERM, lambda *_: host.stop())
    longlived.enable()  # a full collection would otherwise walk every imported module's objects
    ready.send("ready")
    ready.close()
    try:
        host.serve()
    finally:  # also when serve ended without stopping it
        shutil.rmtree(Path(address).parent, ignore_errors=True)


@dataclass
class _Message:
    conn: Connection
    works: list[Callable[[Session], Any]]
    refused: Exception | None = None


class _Host:
    """Reads batches from every HTTP process and commits what is there together."""

    def __init__(self, db: Database, listener: Listener) -> None:
        self.db = db
        self.listener = listener
        self.settings = get_settings()
        self.parent = os.getppid()
        self._new: list[Connection] = []
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        # One selector for the life of the process, rather than one built for every wait; the HTTP
        # processes' connections are the ones registered in it.
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._stopping = False
        threading.Thread(target=self._accept, name="writer-accept", daemon=True).start()

    def stop(self) -> None:
        self._stopping = True
        os.write(self._wake_w, b"x")

    def _accept(self) -> None:
        while True:
            try:
                conn = self.listener.accept()
            except Exception:  # a caller with a wrong key, or the listener closed
                if self._stopping:
                    return
                log.warning("refused a connection to the writer process", exc_info=True)
                continue
            with self._lock:
                self._new.append(conn)
            os.write(self._wake_w, b"x")

    def serve(self) -> None:
        try:
            while not self._stopping:
                ready = self._ready(timeout=1.0)
                if not ready and os.getppid() != self.parent:
                    return  # serve is gone
                if self._wake_r in ready:
                    os.read(self._wake_r, 4096)
                    with self._lock:
                        for conn in self._new:
                            self._selector.register(conn, selectors.EVENT_READ)
                        self._new.clear()
                arrived = [c for c in ready if isinstance(c, Connection)]
                if arrived:
                    self._round(arrived)
        finally:
            self._selector.close()
            self.listener.close()
            self.db.engine.dispose()

    def _ready(self, timeout: float) -> list[Any]:
        return [key.fileobj for key, _ in self._selector.select(timeout)]

    def _receive(self, conns: list[Connection]) -> list[_Message]:
        """Every message these processes have sent, in the order each sent them."""
        got: list[_Message] = []
        for conn in conns:
            while True:
                try:
                    data = conn.recv_bytes()
                except (EOFError, OSError):  # that HTTP process ended
                    self._selector.unregister(conn)
                    conn.close()
                    break
                try:
                    got.append(_Message(conn, _loads(data, self.settings)))
                except Exception as exc:
                    log.exception("could not read a batch")
                    got.append(_Message(conn, [], exc))
                if not conn.poll(0):
                    break
        return got

    def _round(self, first: list[Connection]) -> None:
        messages = self._receive(first)

        def collect() -> list[Callable[[Session], Any]]:
            # The write lock is held now: what every process sent meanwhile joins in.
            messages.extend(self._receive([c for c in self._ready(timeout=0) if isinstance(c, Connection)]))
            return [work for message in messages for work in message.works]

        if not messages:
            return
        results = commit_together(self.db, collect)
        at = 0
        for message in messages:
            if message.refused is not None:
                self._reply(message.conn, [(None, message.refused)])
                continue
            self._reply(message.conn, results[at : at + len(message.works)])
            at += len(message.works)

    def _reply(self, conn: Connection, results: list[Result]) -> None:
        try:
            data = _dumps(results, self.settings)
        except Exception:  # an answer that cannot travel: each unit gets a plain error instead
            data = _dumps([self._portable(result) for result in results], self.settings)
        try:
            conn.send_bytes(data)
        except OSError:  # that HTTP process ended; its units are written
            log.warning("an HTTP process left before its answers were sent")

    def _portable(self, result: Result) -> Result:
        try:
            _dumps(result, self.settings)
        except Exception:
            value, error = result
            log.exception("an answer of the writer process cannot be sent back")
            return None, RuntimeError(f"{type(error or value).__name__} could not be sent back")
        return result


# --- an HTTP process's side ----------------------------------------------------------------------


class RemoteWriter(WriteBatcher):
    """The in-process writer's interface, with its batches committed by the writer process.

    Batches are sent as they form, without waiting for the answer to the one before, so the writer
    process finds the next batch ready when it finishes one; the answers come back in order and a
    thread of their own delivers them. A batch that cannot be pickled is written here, and so is
    everything after the writer process is gone."""

    def __init__(
        self, db: Database, *, address: str, key: bytes, settings: Settings, max_batch: int = MAX_BATCH
    ) -> None:
        super().__init__(db, max_batch=max_batch)
        self.address = address
        self.key = key
        self.settings = settings
        self._conn: Connection | None = None
        self._sent: deque[list[Unit[Any]]] = deque()
        self._sent_lock = threading.Lock()
        self._answered = threading.Condition(self._sent_lock)  # notified as the answers come in
        self._gone = False
        self._closing = False

    @classmethod
    def from_environment(cls, db: Database, settings: Settings) -> RemoteWriter | None:
        """The writer of an HTTP process that ``supportops serve`` started beside a writer process."""
        address, key = os.environ.get(ADDRESS_ENV), os.environ.get(KEY_ENV)
        if not address or not key:
            return None
        return cls(db, address=address, key=bytes.fromhex(key), settings=settings)

    def close(self) -> None:
        """Finish what is queued, wait for its answers, then disconnect."""
        super().close()
        with self._answered:
            self._answered.wait_for(lambda: not self._sent or self._gone, timeout=30)
        self._closing = True
        if self._conn is not None:
            self._conn.close()

    def _run_batch(self, first: Unit[Any]) -> bool:
        if self._gone:
            return super()._run_batch(first)
        batch = [first]
        stopping = self._drain(batch)
        try:
            data = _dumps([unit.work for unit in batch], self.settings)
        except Exception:
            log.debug("a batch could not be pickled; written in this process", exc_info=True)
            self._local(batch)
            return stopping
        try:
            conn = self._connect()
            with self._sent_lock:
                self._sent.append(batch)
            conn.send_bytes(data)
        except OSError as exc:
            self._lost(exc)
        return stopping

    def _connect(self) -> Connection:
        if self._conn is None:
            self._conn = Client(self.address, family="AF_UNIX", authkey=self.key)
            threading.Thread(
                target=self._answers, args=(self._conn,), name="writer-answers", daemon=True
            ).start()
        return self._conn

    def _answers(self, conn: Connection) -> None:
        while True:
            try:
                answer = conn.recv_bytes()
            except (OSError, EOFError) as exc:
                self._lost(exc)
                return
            with self._answered:
                batch = self._sent.popleft()
                self._answered.notify_all()
            try:
                results: list[Result] = _loads(answer, self.settings)
                if len(results) != len(batch):  # the batch as a whole was refused
                    results = results[:1] * len(batch)
            except Exception as exc:
                log.exception("could not read the writer process's answer")
                results = [(None, exc)] * len(batch)
            deliver_results(batch, results)

    def _lost(self, exc: BaseException) -> None:
        """The writer process is gone: what it held gets a 503, and this process writes by itself."""
        with self._sent_lock:
            if not self._gone and not self._closing:
                log.error("the writer process is gone (%s); this process writes by itself from now", exc)
            self._gone = True
            held = [unit for batch in self._sent for unit in batch]
            self._sent.clear()
            self._answered.notify_all()
        error = WriterGone(
            "The database writer stopped while it held this request, so it may or may not have been "
            "saved. Check before sending it again."
        )
        deliver([(unit, None, error) for unit in held])

    def _local(self, batch: list[Unit[Any]]) -> None:
        deliver_results(batch, commit_together(self.db, lambda: [unit.work for unit in batch]))
