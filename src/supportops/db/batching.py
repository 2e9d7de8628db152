"""Group commit: write units of work from the event loop, several to one transaction.

A create costs far less SQL than it costs to begin and commit a transaction, hand a request to the
thread pool and take the database's write lock. Requests that arrive while a transaction is open
queue up, and the next transaction runs all of them, together with those that arrive while it waits
for the write lock. Each answer is sent only after its transaction committed, so a 201 still means
the row is durable.

Isolation is kept per request: if any unit in a batch fails, the batch is rolled back and every
unit is run again in a transaction of its own, so one bad request fails alone and the others are
written exactly once. A unit must therefore only touch the database through its session (domain
event handlers do; see ``supportops.events.bus``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from supportops.db.session import Database

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_BATCH = 64


@dataclass(frozen=True)
class _Unit(Generic[T]):
    work: Callable[[Session], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop


Outcome = tuple[_Unit[Any], Any, BaseException | None]


def _deliver(outcomes: list[Outcome]) -> None:
    """Hand results to their event loops: one wake-up per loop, not one per unit."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, mine in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, mine)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            log.debug("dropped %d results for a closed event loop", len(mine))


def _settle(outcomes: list[Outcome]) -> None:
    for unit, result, error in outcomes:
        if unit.future.done():  # the caller went away; the write stands, nobody waits for it
            continue
        if error is not None:
            unit.future.set_exception(error)
        else:
            unit.future.set_result(result)


class WriteBatcher:
    """One writer thread per process that runs queued units of work in shared transactions."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Unit[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a committed write transaction and return its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._ensure_thread()
        self._queue.put(_Unit(work, future, loop))
        return await future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="supportops-writer", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            if self._run_batch(first):
                return

    def _drain(self, batch: list[_Unit[Any]]) -> bool:
        """Add the units queued meanwhile to ``batch``, up to ``max_batch``; True when asked to stop."""
        while len(batch) < self.max_batch:
            try:
                unit = self._queue.get_nowait()
            except queue.Empty:
                return False
            if unit is None:
                return True
            batch.append(unit)
        return False

    def _run_batch(self, first: _Unit[Any]) -> bool:
        """Run ``first`` and the units queued behind it; True when asked to stop."""
        batch = [first]
        stopping = False
        try:
            with self.db.unit_of_work() as session:
                # Begin before collecting the batch: on SQLite this waits for the write lock (held
                # by another process or another writer of this one), and the units that arrive
                # meanwhile join this transaction instead of each paying for one of their own.
                session.connection()
                stopping = self._drain(batch)
                results = [unit.work(session) for unit in batch]
        except Exception as exc:
            if len(batch) == 1:
                _deliver([(first, None, exc)])
            else:  # retried one by one, where each error reaches its own caller
                _deliver([self._run_alone(unit) for unit in batch])
        except BaseException as exc:  # the thread is going down; the callers must not hang
            _deliver([(unit, None, exc) for unit in batch])
            raise
        else:
            _deliver([(unit, result, None) for unit, result in zip(batch, results, strict=True)])
        return stopping

    def _run_alone(self, unit: _Unit[Any]) -> Outcome:
        try:
            with self.db.unit_of_work() as session:
                return unit, unit.work(session), None
        except Exception as exc:
            return unit, None, exc
        except BaseException as exc:  # the thread is going down; the caller must not hang
            _deliver([(unit, None, exc)])
            raise
