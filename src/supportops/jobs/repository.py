"""Every query on the job table. Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
serialises writers, so the same UPDATE is safe there without it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy import insert as insert_stmt
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supportops.db.statements import Write
from supportops.jobs.enums import JobStatus
from supportops.jobs.models import Job


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


JOBS: Table = Job.__table__  # type: ignore[assignment]
# Built once: values travel as parameters, so every enqueue reuses one compiled statement.
_PLAIN = insert_stmt(JOBS)
_DEDUPED = {
    "postgresql": pg_insert(JOBS).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "sqlite": sqlite_insert(JOBS).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}


def row(
    *,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime,
    now: datetime,
    dedupe_key: str | None,
    max_attempts: int,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "payload": payload,
        "status": JobStatus.queued.value,
        "run_at": run_at,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "locked_by": None,
        "locked_until": None,
        "last_error": None,
        "finished_at": None,
    }


def insert(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime,
    now: datetime,
    dedupe_key: str | None,
    max_attempts: int,
) -> None:
    values = row(
        kind=kind, payload=payload, run_at=run_at, now=now, dedupe_key=dedupe_key, max_attempts=max_attempts
    )
    if dedupe_key is None:
        session.execute(_PLAIN, values)
        return
    session.execute(_DEDUPED[session.get_bind().dialect.name], values)


_DEDUPED_WRITES = {name: Write(statement) for name, statement in _DEDUPED.items()}


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows of :func:`row`; those whose ``dedupe_key`` exists already are skipped. Sent straight to
    the driver: SLA alarms are enqueued with every ticket creation."""
    conn = session.connection()
    _DEDUPED_WRITES[conn.dialect.name].run(conn, rows)


def claim(
    session: Session, *, worker: str, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedJob]:
    due = (
        select(Job.id)
        .where(Job.status == JobStatus.queued, Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()))
        .values(
            status=JobStatus.running,
            locked_by=worker,
            locked_until=lease_until,
            attempts=Job.attempts + 1,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
    )
    rows = session.execute(stmt, execution_options={"synchronize_session": False}).all()
    return sorted((ClaimedJob(*row) for row in rows), key=lambda j: j.id)


def mark_done(session: Session, *, job_id: int, worker: str, now: datetime) -> bool:
    """Finish a job this worker holds; False when the lease was lost to another worker."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.running)
        .values(status=JobStatus.done, finished_at=now, locked_until=None, last_error=None),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(
    session: Session,
    *,
    job_id: int,
    worker: str,
    error: str,
    retry_at: datetime | None,
    now: datetime,
) -> None:
    values: dict[str, Any] = {"last_error": error[:4000], "locked_by": None, "locked_until": None}
    if retry_at is None:
        values.update(status=JobStatus.dead, finished_at=now)
    else:
        values.update(status=JobStatus.queued, run_at=retry_at)
    session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker).values(**values),
        execution_options={"synchronize_session": False},
    )


def release_expired(session: Session, *, now: datetime) -> int:
    """Put back jobs whose worker died holding them."""
    result = session.execute(
        update(Job)
        .where(Job.status == JobStatus.running, Job.locked_until < now)
        .values(status=JobStatus.queued, locked_by=None, locked_until=None, run_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def next_run_at(session: Session) -> datetime | None:
    return session.scalar(
        select(Job.run_at).where(Job.status == JobStatus.queued).order_by(Job.run_at).limit(1)
    )


def list_by_kind(session: Session, kind: str, *, limit: int = 100) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id).limit(limit)))
