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
class Unit(Generic[T]):
    work: Callable[[Session], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop


Outcome = tuple[Unit[Any], Any, BaseException | None]


def deliver(outcomes: list[Outcome]) -> None:
    """Hand results to their event loops: one wake-up per loop, not one per unit."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, mine in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, mine)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            log.debug("dropped %d results for a closed event loop", len(mine))


def deliver_results(batch: list[Unit[Any]], results: list[Result]) -> None:
    """Each unit of a batch gets its own ``(result, error)``, in order."""
    deliver([(unit, result, error) for unit, (result, error) in zip(batch, results, strict=True)])


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
        self._queue: queue.SimpleQueue[Unit[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in a committed write transaction and return its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._ensure_thread()
        self._queue.put(Unit(work, future, loop))
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

    def _drain(self, batch: list[Unit[Any]]) -> bool:
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

    def _run_batch(self, first: Unit[Any]) -> bool:
        """Run ``first`` and the units queued behind it; True when asked to stop."""
        batch = [first]
        stopping = False

        def collect() -> list[Callable[[Session], Any]]:
            nonlocal stopping
            stopping = self._drain(batch)
            return [unit.work for unit in batch]

        try:
            results = commit_together(self.db, collect)
        except BaseException as exc:  # the thread is going down; the callers must not hang
            deliver([(unit, None, exc) for unit in batch])
            raise
        deliver_results(batch, results)
        return stopping


Result = tuple[Any, Exception | None]


def commit_together(db: Database, collect: Callable[[], list[Callable[[Session], Any]]]) -> list[Result]:
    """Begin a write transaction, then ask ``collect`` for the units to run in it, and commit them
    together; each gets ``(result, None)`` or ``(None, error)``, in order.

    Beginning first matters on SQLite: it waits for the write lock, and units that arrive meanwhile
    are collected into this transaction instead of each paying for one of their own. If any unit
    fails, the transaction is rolled back and every unit is run again alone."""
    works: list[Callable[[Session], Any]] | None = None
    try:
        with db.unit_of_work() as session:
            session.connection()
            works = collect()
            results = [work(session) for work in works]
    except Exception as exc:
        if works is None:  # the transaction did not begin: each unit collected now gets why
            return [(None, exc) for _ in collect()]
        if len(works) == 1:
            return [(None, exc)]
        return [_alone(db, work) for work in works]
    return [(result, None) for result in results]


def _alone(db: Database, work: Callable[[Session], Any]) -> Result:
    try:
        with db.unit_of_work() as session:
            return work(session), None
    except Exception as exc:
        return None, exc
