"""Enqueue jobs inside a unit of work, and run due jobs, each in its own transaction.

A job's effects and its completion commit together, and completion is conditional on still holding
the lease, so a job fires once even with several workers and across restarts.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from supportops.db.session import Database
from supportops.jobs import repository
from supportops.jobs.models import Job
from supportops.kit.clock import Clock

log = logging.getLogger(__name__)

JobHandler = Callable[[Session, dict[str, Any], datetime], None]

_registry: dict[str, JobHandler] = {}

LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP = timedelta(hours=6)


def handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of ``kind``; it gets (session, payload, now)."""

    def register(fn: JobHandler) -> JobHandler:
        existing = _registry.get(kind)
        if existing is not None and existing is not fn:
            raise RuntimeError(f"job kind {kind!r} is registered twice")
        _registry[kind] = fn
        return fn

    return register


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Write a job in the caller's transaction; with ``dedupe_key`` a second enqueue is a no-op."""
    if kind not in _registry:
        raise RuntimeError(f"no handler registered for job kind {kind!r}")
    repository.insert(
        session,
        kind=kind,
        payload=payload,
        run_at=run_at or now,
        now=now,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )


@dataclass(frozen=True)
class JobSpec:
    """A job to enqueue with :func:`enqueue_many`."""

    kind: str
    payload: dict[str, Any]
    run_at: datetime
    created_at: datetime
    dedupe_key: str | None = None
    max_attempts: int = 8


def enqueue_many(session: Session, specs: list[JobSpec]) -> None:
    """Several jobs in one statement; each ``dedupe_key`` that exists already is skipped."""
    for spec in specs:
        if spec.kind not in _registry:
            raise RuntimeError(f"no handler registered for job kind {spec.kind!r}")
    repository.insert_many(
        session,
        [
            repository.row(
                kind=s.kind,
                payload=s.payload,
                run_at=s.run_at,
                now=s.created_at,
                dedupe_key=s.dedupe_key,
                max_attempts=s.max_attempts,
            )
            for s in specs
        ],
    )


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass(frozen=True)
class RunReport:
    done: int = 0
    failed: int = 0
    lost: int = 0


def run_due(db: Database, *, clock: Clock, worker: str, limit: int = 50) -> RunReport:
    """Claim up to ``limit`` due jobs and run each in its own transaction."""
    now = clock.now()
    with db.unit_of_work() as session:
        repository.release_expired(session, now=now)
        claimed = repository.claim(session, worker=worker, now=now, lease_until=now + LEASE, limit=limit)
    done = failed = lost = 0
    for job in claimed:
        fn = _registry.get(job.kind)
        try:
            with db.unit_of_work() as session:
                if not repository.mark_done(session, job_id=job.id, worker=worker, now=clock.now()):
                    lost += 1
                    continue
                if fn is None:
                    raise RuntimeError(f"no handler registered for job kind {job.kind!r}")
                fn(session, job.payload, clock.now())
            done += 1
        except Exception as exc:
            failed += 1
            log.warning("job %s (%s) failed on attempt %s: %s", job.id, job.kind, job.attempts, exc)
            retry_at = None if job.attempts >= job.max_attempts else clock.now() + backoff(job.attempts)
            error = "".join(traceback.format_exception_only(exc)).strip()
            with db.unit_of_work() as session:
                repository.mark_failed(
                    session,
                    job_id=job.id,
                    worker=worker,
                    error=error,
                    retry_at=retry_at,
                    now=clock.now(),
                )
    return RunReport(done=done, failed=failed, lost=lost)


def next_due(db: Database) -> datetime | None:
    with db.unit_of_work(write=False) as session:
        return repository.next_run_at(session)


def jobs_of_kind(session: Session, kind: str, *, limit: int = 100) -> list[Job]:
    return repository.list_by_kind(session, kind, limit=limit)
