"""Durable jobs: written with the change, run at their instant, once, retried with backoff."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from supportops.db.session import Database
from supportops.jobs import repository
from supportops.jobs import service as jobs
from supportops.jobs.enums import JobStatus
from supportops.kit.clock import FrozenClock

calls: list[dict[str, Any]] = []
calls_lock = threading.Lock()
failures_left: dict[str, int] = {}


@jobs.handler("test.record")
def _record(session: Session, payload: dict[str, Any], now: datetime) -> None:
    with calls_lock:
        calls.append({**payload, "ran_at": now})


@jobs.handler("test.flaky")
def _flaky(session: Session, payload: dict[str, Any], now: datetime) -> None:
    key = str(payload["key"])
    if failures_left.get(key, 0) > 0:
        failures_left[key] -= 1
        raise RuntimeError("downstream is down")
    with calls_lock:
        calls.append(payload)


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()
    failures_left.clear()


def enqueue(db: Database, clock: FrozenClock, kind: str = "test.record", **kwargs: Any) -> None:
    with db.unit_of_work() as session:
        jobs.enqueue(session, kind=kind, now=clock.now(), **kwargs)


def job_rows(db: Database, kind: str) -> list[Any]:
    with db.unit_of_work(write=False) as session:
        return jobs.jobs_of_kind(session, kind)


def test_job_of_a_rolled_back_change_never_exists(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        jobs.enqueue(session, kind="test.record", payload={"n": 1}, now=clock.now())
        raise RuntimeError("the change failed")
    assert job_rows(db, "test.record") == []


def test_job_fires_at_its_instant_not_before(db: Database, clock: FrozenClock) -> None:
    due = clock.now() + timedelta(minutes=15)
    enqueue(db, clock, payload={"n": 1}, run_at=due)
    clock.set(due - timedelta(seconds=1))
    assert jobs.run_due(db, clock=clock, worker="w1").done == 0
    assert jobs.next_due(db) == due
    clock.set(due)
    assert jobs.run_due(db, clock=clock, worker="w1").done == 1
    assert calls == [{"n": 1, "ran_at": due}]
    assert job_rows(db, "test.record")[0].status == JobStatus.done
    assert jobs.run_due(db, clock=clock, worker="w1").done == 0


def test_dedupe_key_enqueues_once(db: Database, clock: FrozenClock) -> None:
    for _ in range(3):
        enqueue(db, clock, payload={"n": 1}, dedupe_key="breach:42")
    assert len(job_rows(db, "test.record")) == 1


def test_failed_job_retries_with_backoff_then_succeeds(db: Database, clock: FrozenClock) -> None:
    failures_left["a"] = 2
    enqueue(db, clock, kind="test.flaky", payload={"key": "a"})
    assert jobs.run_due(db, clock=clock, worker="w").failed == 1
    job = job_rows(db, "test.flaky")[0]
    assert job.status == JobStatus.queued
    assert job.run_at == clock.now() + jobs.backoff(1)
    assert "downstream is down" in (job.last_error or "")
    clock.advance(jobs.backoff(1))
    assert jobs.run_due(db, clock=clock, worker="w").failed == 1
    clock.advance(jobs.backoff(2) - timedelta(seconds=1))
    assert jobs.run_due(db, clock=clock, worker="w").done == 0
    clock.advance(timedelta(seconds=1))
    assert jobs.run_due(db, clock=clock, worker="w").done == 1
    assert calls == [{"key": "a"}]
    assert jobs.backoff(2) == 2 * jobs.backoff(1)


def test_job_dies_after_its_last_attempt(db: Database, clock: FrozenClock) -> None:
    failures_left["b"] = 10
    enqueue(db, clock, kind="test.flaky", payload={"key": "b"}, max_attempts=2)
    jobs.run_due(db, clock=clock, worker="w")
    clock.advance(timedelta(hours=1))
    jobs.run_due(db, clock=clock, worker="w")
    job = job_rows(db, "test.flaky")[0]
    assert job.status == JobStatus.dead
    assert job.attempts == 2


def test_job_of_a_dead_worker_is_reclaimed_after_its_lease(db: Database, clock: FrozenClock) -> None:
    enqueue(db, clock, payload={"n": 7})
    with db.unit_of_work() as session:  # a worker claims it, then dies before running it
        claimed = repository.claim(
            session, worker="dead", now=clock.now(), lease_until=clock.now() + jobs.LEASE, limit=10
        )
    assert len(claimed) == 1
    assert jobs.run_due(db, clock=clock, worker="alive").done == 0
    clock.advance(jobs.LEASE + timedelta(seconds=1))
    assert jobs.run_due(db, clock=clock, worker="alive").done == 1
    assert [c["n"] for c in calls] == [7]


def test_two_workers_fire_each_job_once(db: Database, clock: FrozenClock) -> None:
    for n in range(40):
        enqueue(db, clock, payload={"n": n})
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        barrier.wait()
        try:
            for _ in range(30):
                jobs.run_due(db, clock=clock, worker=name, limit=3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(c["n"] for c in calls) == list(range(40))


def test_enqueue_of_an_unknown_kind_is_refused(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(RuntimeError, match="no handler"), db.unit_of_work() as session:
        jobs.enqueue(session, kind="nope", payload={}, now=clock.now())
