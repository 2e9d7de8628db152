"""NPS: a daily durable job surveys each customer with a recent ticket once per interval."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from supportops.auth.enums import Role
from supportops.auth.models import User
from supportops.config import Settings
from supportops.db.session import Database
from supportops.jobs import service as jobs
from supportops.jobs.enums import JobStatus
from supportops.kit.clock import FrozenClock
from supportops.surveys import jobs as nps_jobs
from supportops.surveys import service
from supportops.surveys.models import NpsSurvey
from tests.factories import Person, make_person
from tests.surveys.conftest import SECRET, link_of, new_ticket, notifications_of, nps_rows, token_of

SETTINGS = Settings(secret_key=SECRET)


def customer(db: Database, clock: FrozenClock, name: str) -> Person:
    return make_person(db, clock.now(), email=f"{name}@example.org", role=Role.customer)


def run_nps(db: Database, clock: FrozenClock) -> int:
    with db.unit_of_work() as session:
        return service.send_nps(session, now=clock.now(), settings=SETTINGS).sent


def surveyed(db: Database) -> list[int]:
    return [row.customer_id for row in nps_rows(db)]


def test_the_run_selects_active_customers_with_a_ticket_in_the_interval_not_yet_surveyed(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    old_ticket = customer(db, clock, "old")
    new_ticket(client, old_ticket)
    clock.advance(timedelta(days=30))
    recent = customer(db, clock, "recent")
    surveyed_lately = customer(db, clock, "lately")
    surveyed_long_ago = customer(db, clock, "longago")
    inactive = customer(db, clock, "inactive")
    no_ticket = customer(db, clock, "none")
    agent = make_person(db, clock.now(), email="agent@help.example.com", role=Role.agent)
    for person in (recent, surveyed_lately, surveyed_long_ago, inactive, agent):
        new_ticket(client, person)
    clock.advance(timedelta(days=70))  # the old ticket is now 100 days old, the others 70
    with db.unit_of_work() as session:
        session.add(NpsSurvey(customer_id=surveyed_lately.id, sent_at=clock.now() - timedelta(days=89)))
        session.add(NpsSurvey(customer_id=surveyed_long_ago.id, sent_at=clock.now() - timedelta(days=90)))
        session.execute(update(User).where(User.id == inactive.id).values(is_active=False))

    assert run_nps(db, clock) == 2
    sent_now = sorted(r.customer_id for r in nps_rows(db) if r.sent_at == clock.now())
    assert sent_now == sorted([recent.id, surveyed_long_ago.id])
    assert no_ticket.id not in surveyed(db) and old_ticket.id not in surveyed(db)
    for person in (recent, surveyed_long_ago):
        url = link_of(db, person.id, "nps_survey")
        assert url.startswith("/survey/nps/") and url in notifications_of(db, person.id, "nps_survey")[0].text
    assert notifications_of(db, surveyed_lately.id, "nps_survey") == []


def test_running_twice_surveys_nobody_twice(client: TestClient, db: Database, clock: FrozenClock) -> None:
    people = [customer(db, clock, f"c{i}") for i in range(3)]
    for person in people:
        new_ticket(client, person)
    assert run_nps(db, clock) == 3
    clock.advance(timedelta(days=1))
    assert run_nps(db, clock) == 0
    assert sorted(surveyed(db)) == sorted(p.id for p in people)
    assert all(len(notifications_of(db, p.id, "nps_survey")) == 1 for p in people)


def test_a_customer_is_surveyed_again_after_the_interval_if_they_had_a_ticket(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    busy, quiet = customer(db, clock, "busy"), customer(db, clock, "quiet")
    new_ticket(client, busy)
    new_ticket(client, quiet)
    assert run_nps(db, clock) == 2
    clock.advance(timedelta(days=60))
    new_ticket(client, busy)
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert run_nps(db, clock) == 0  # not yet 90 days since the last survey
    clock.advance(timedelta(seconds=1))
    assert run_nps(db, clock) == 1
    assert surveyed(db).count(busy.id) == 2 and surveyed(db).count(quiet.id) == 1


def test_batches_continue_where_the_last_one_stopped(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    people = [customer(db, clock, f"b{i}") for i in range(5)]
    for person in people:
        new_ticket(client, person)
    with db.unit_of_work() as session:
        first = service.send_nps(session, now=clock.now(), settings=SETTINGS, batch=2)
    assert first.sent == 2 and first.last_customer_id is not None
    with db.unit_of_work() as session:
        rest = service.send_nps(
            session, now=clock.now(), settings=SETTINGS, batch=10, after_id=first.last_customer_id
        )
    assert rest.sent == 3 and rest.last_customer_id is None
    assert sorted(surveyed(db)) == sorted(p.id for p in people)


# --- the durable job --------------------------------------------------------------------------


def nps_jobs_rows(db: Database) -> list[tuple[str | None, str, datetime]]:
    with db.unit_of_work(write=False) as session:
        return [(j.dedupe_key, j.status, j.run_at) for j in jobs.jobs_of_kind(session, nps_jobs.NPS_JOB)]


def test_the_job_runs_daily_and_schedules_its_next_run(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    person = customer(db, clock, "daily")
    new_ticket(client, person)
    for _ in range(2):  # several processes starting: one job for today
        with db.unit_of_work() as session:
            nps_jobs.ensure_scheduled(session, now=clock.now())
    jobs.run_due(db, clock=clock, worker="w")
    assert surveyed(db) == [person.id]
    tomorrow = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
    assert nps_jobs_rows(db) == [
        ("surveys.nps:2026-03-02", JobStatus.done, clock.now()),
        ("surveys.nps:2026-03-03", JobStatus.queued, tomorrow),
    ]
    with db.unit_of_work() as session:  # a restart later today adds nothing
        nps_jobs.ensure_scheduled(session, now=clock.now())
    assert len(nps_jobs_rows(db)) == 2

    clock.set(tomorrow)
    jobs.run_due(db, clock=clock, worker="w")
    assert surveyed(db) == [person.id]
    assert [(key, status) for key, status, _ in nps_jobs_rows(db)][1:] == [
        ("surveys.nps:2026-03-03", JobStatus.done),
        ("surveys.nps:2026-03-04", JobStatus.queued),
    ]


def test_a_full_batch_continues_in_a_follow_up_job(
    client: TestClient, db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "NPS_BATCH", 2)
    people = [customer(db, clock, f"j{i}") for i in range(5)]
    for person in people:
        new_ticket(client, person)
    with db.unit_of_work() as session:
        nps_jobs.ensure_scheduled(session, now=clock.now())
    for _ in range(4):
        jobs.run_due(db, clock=clock, worker="w")
    assert sorted(surveyed(db)) == sorted(p.id for p in people)
    queued = [key for key, status, _ in nps_jobs_rows(db) if status == JobStatus.queued]
    assert queued == ["surveys.nps:2026-03-03"]


def test_two_workers_racing_survey_each_customer_once(
    client: TestClient, db: Database, clock: FrozenClock
) -> None:
    people = [customer(db, clock, f"r{i}") for i in range(12)]
    for person in people:
        new_ticket(client, person)
    with db.unit_of_work() as session:  # a late run from yesterday and today's, due together
        for key in ("surveys.nps:2026-03-01", "surveys.nps:2026-03-02", "surveys.nps:extra"):
            jobs.enqueue(
                session, kind=nps_jobs.NPS_JOB, payload={"after_id": 0}, now=clock.now(), dedupe_key=key
            )
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        barrier.wait()
        try:
            for _ in range(3):
                jobs.run_due(db, clock=clock, worker=name, limit=1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(1 for _, status, _ in nps_jobs_rows(db) if status == JobStatus.done) == 3
    assert sorted(surveyed(db)) == sorted(p.id for p in people)
    assert all(len(notifications_of(db, p.id, "nps_survey")) == 1 for p in people)


# --- answering --------------------------------------------------------------------------------


def test_the_nps_link_takes_0_to_10_once(client: TestClient, db: Database, clock: FrozenClock) -> None:
    person = customer(db, clock, "answers")
    new_ticket(client, person)
    run_nps(db, clock)
    token = token_of(link_of(db, person.id, "nps_survey"))
    for score in (-1, 11, "9", None):
        response = client.post(f"/api/v1/surveys/nps/{token}", json={"score": score})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "score"
    assert client.post(f"/api/v1/surveys/csat/{token}", json={"score": 5}).status_code == 404
    clock.advance(timedelta(days=3))
    ok = client.post(f"/api/v1/surveys/nps/{token}", json={"score": 0, "comment": "Too many outages."})
    assert ok.status_code == 200, ok.text
    (row,) = nps_rows(db)
    assert (row.score, row.comment, row.answered_at) == (0, "Too many outages.", clock.now())
    again = client.post(f"/api/v1/surveys/nps/{token}", json={"score": 10})
    assert again.status_code == 409 and "already been answered" in again.json()["detail"]


def test_an_nps_link_expires_like_a_csat_link(client: TestClient, db: Database, clock: FrozenClock) -> None:
    person = customer(db, clock, "late")
    new_ticket(client, person)
    run_nps(db, clock)
    token = token_of(link_of(db, person.id, "nps_survey"))
    clock.advance(timedelta(days=14))
    assert client.post(f"/api/v1/surveys/nps/{token}", json={"score": 10}).status_code == 410
