"""Writes sent straight to the driver store exactly what SQLAlchemy's execution stores.

Each check writes the same rows once through ``Connection.execute`` and once through the direct
path, each in a transaction that is then rolled back, and compares the tables as the driver reads
them back: the same text on SQLite, the same values on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, true
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from supportops.auth.enums import Role, Tier
from supportops.db.base import UTCDateTime
from supportops.db.session import Database
from supportops.db.statements import COPY_FROM_ROWS, Write
from supportops.jobs import repository as jobs_repository
from supportops.jobs.service import JobSpec
from supportops.sla import service as sla_service
from supportops.tickets import repository as tickets_repository
from tests.conftest import START
from tests.factories import make_group, make_org, make_person

TABLES = ("tickets", "ticket_events", "sla_events", "sla_clocks", "jobs")
BERLIN_SUMMER = timezone(timedelta(hours=2))
LATER = (START + timedelta(minutes=7, microseconds=5)).astimezone(BERLIN_SUMMER)


def _read(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    found = {}
    for table in TABLES:
        cursor = dbapi.cursor()
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
        found[table] = [tuple(row) for row in cursor.fetchall()]
        cursor.close()
    return found


def _stored(db: Database, write: Callable[[Session], Any]) -> tuple[dict[str, list[tuple[Any, ...]]], Any]:
    """What the tables hold after ``write``, read by the driver; the write is rolled back."""
    session = db.write()
    try:
        result = write(session)
        return _read(session), result
    finally:
        session.rollback()
        session.close()


def _without_ids(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """PostgreSQL's sequences do not roll back: the second write gets other ids."""
    return {name: [row[1:] for row in rows] for name, rows in tables.items()}


def _same_as_sqlalchemy(
    db: Database, old: Callable[[Session], Any], new: Callable[[Session], Any]
) -> tuple[dict[str, list[tuple[Any, ...]]], Any, Any]:
    before, _ = _stored(db, lambda session: None)
    by_sqlalchemy, old_result = _stored(db, old)
    direct, new_result = _stored(db, new)
    assert by_sqlalchemy != before
    assert _without_ids(direct) == _without_ids(by_sqlalchemy)
    if db.dialect == "sqlite":
        assert direct == by_sqlalchemy
    return direct, old_result, new_result


def _execute(write: Write, rows: Sequence[dict[str, Any]]) -> Callable[[Session], Any]:
    return lambda session: session.connection().execute(write.statement, list(rows))


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    """A requester, an organization, a group and one ticket to hang rows on."""
    org = make_org(db, START, name="Acme")
    person = make_person(db, START, email="ann@example.com", role=Role.admin)
    group = make_group(db, START, name="L1", tier=Tier.L1, members=[person.id])
    with db.unit_of_work() as session:
        ticket = tickets_repository.insert_ticket(session, _ticket(person.id, org, group))
    return {"user": person.id, "org": org, "group": group, "ticket": ticket}


def _ticket(user: int, org: int | None, group: int | None) -> dict[str, Any]:
    """The columns ticket creation fills; the others take their defaults or stay empty."""
    return {
        "subject": "Printer jammed — «again»",
        "description": "Line one\nline two 'quoted' 100% %(x)s",
        "status": "assigned",
        "priority": "P2",
        "severity": None,
        "channel": "email",
        "category": None,
        "tags": ["b", "ä"],
        "custom_fields": {"nested": {"n": 1.5, "ok": True, "none": None}, "list": [1, "x"]},
        "requester_id": user,
        "organization_id": org,
        "assignee_id": user,
        "group_id": group,
        "follow_up_of_id": None,
        "created_by_id": user,
        "created_at": LATER,
        "updated_at": START,
        "closed_at": None,
        "version": 1,
        "first_response_at": None,
        "first_resolved_at": START.replace(microsecond=0),
        "last_resolved_at": None,
        "reopen_count": 2,
        "public_agent_replies": 0,
        "agent_stations": 1,
        "group_stations": 1,
        "max_tier": "L1",
        "tier": None,
        "handle_seconds": 0,
    }


def _events(ticket: int, user: int) -> list[dict[str, Any]]:
    return [
        {
            "ticket_id": ticket,
            "at": LATER,
            "actor_id": user,
            "kind": "created",
            "public": True,
            "field": None,
            "old_value": None,
            "new_value": None,
            "data": {"channel": "api", "group_id": None},
        },
        {
            "ticket_id": ticket,
            "at": START,
            "actor_id": None,
            "kind": "change",
            "public": False,
            "field": "status",
            "old_value": "new",
            "new_value": "assigned",
            "data": None,
        },
    ]


def _clock(ticket: int, group: int | None, metric: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket,
        "metric": metric,
        "cycle": 0,
        "policy_id": None,
        "priority": "P2",
        "group_id": group,
        "state": "active",
        "target_minutes": 240.0,
        "business": False,
        "activated_at": START,
        "running_since": LATER,
        "due_at": START + timedelta(hours=4),
        "warn_at": START + timedelta(hours=3),
        "breached_at": None,
        "fulfilled_at": None,
        "business_minutes": 0,
        "calendar_minutes": 12.25,
        "evaluated_at": LATER,
    }


def _job_rows(ticket: int) -> list[dict[str, Any]]:
    return [
        jobs_repository.row(
            kind="sla.alarm",
            payload={"ticket_id": ticket},
            run_at=LATER + timedelta(hours=n),
            now=START,
            dedupe_key=f"test:{ticket}:{n}",
            max_attempts=8,
        )
        for n in (1, 2, 1)
    ]


def test_a_new_ticket_is_stored_as_sqlalchemy_stores_it_and_its_id_is_returned(
    db: Database, ids: dict[str, int]
) -> None:
    values = _ticket(ids["user"], None, ids["group"])

    def old(session: Session) -> int:
        key = session.connection().execute(insert(tickets_repository.TICKETS), values).inserted_primary_key
        assert key is not None
        return int(key[0])

    stored, old_id, new_id = _same_as_sqlalchemy(
        db, old, lambda session: tickets_repository.insert_ticket(session, values)
    )
    assert stored["tickets"][-1][0] == new_id
    assert new_id > ids["ticket"] and old_id > ids["ticket"]
    if db.dialect == "sqlite":  # SQLAlchemy's DATETIME text, whatever the offset given
        assert {"2026-03-02 09:07:00.000005", "2026-03-02 09:00:00.000000"} <= set(stored["tickets"][-1])


def test_ticket_events_are_stored_as_sqlalchemy_stores_them_one_or_many(
    db: Database, ids: dict[str, int]
) -> None:
    write = tickets_repository._INSERT_EVENTS
    for rows in (_events(ids["ticket"], ids["user"])[:1], _events(ids["ticket"], ids["user"])):
        _same_as_sqlalchemy(
            db, _execute(write, rows), lambda session, r=rows: tickets_repository.insert_events(session, r)
        )


def test_rows_sent_together_keep_text_that_a_bulk_load_would_misread(
    db: Database, ids: dict[str, int]
) -> None:
    """On PostgreSQL several rows of a plain INSERT go as one COPY, whose text format gives tabs,
    line breaks, backslashes and ``\\N`` a meaning of their own."""
    awkward = 2 * ["tab\there", "line\nbreak\r\n", "back\\slash", "\\N", "", "ünïcødé ☃", "'quoted' \"too\""]
    assert len(awkward) >= COPY_FROM_ROWS
    rows = [
        {
            **_events(ids["ticket"], ids["user"])[1],
            "old_value": text,
            "new_value": text[::-1],
            "data": {"note": text},
        }
        for text in awkward
    ]
    write = tickets_repository._INSERT_EVENTS
    stored, _, _ = _same_as_sqlalchemy(
        db, _execute(write, rows), lambda session: write.run(session.connection(), rows)
    )
    old_values = [row[7] for row in stored["ticket_events"][-len(awkward) :]]  # JSON: text on SQLite
    assert [json.loads(v) if db.dialect == "sqlite" else v for v in old_values] == awkward
    with db.unit_of_work(write=False) as session:
        plan = write._plan(session.connection().dialect, tuple(rows[0]), single=False)
    assert (plan.copy is not None) == (db.dialect == "postgresql")


def test_inserts_that_skip_or_return_rows_are_not_sent_as_a_bulk_load(db: Database) -> None:
    with db.unit_of_work(write=False) as session:
        dialect = session.connection().dialect
    keys = tuple(
        jobs_repository.row(kind="k", payload={}, run_at=START, now=START, dedupe_key=None, max_attempts=1)
    )
    assert jobs_repository._DEDUPED_WRITES[db.dialect]._plan(dialect, keys, single=False).copy is None
    assert (
        Write(insert(tickets_repository.TICKET_EVENTS).values(public=true()))
        ._plan(dialect, ("ticket_id", "at", "kind"), single=False)
        .copy
        is None
    )


def test_sla_writes_are_stored_as_sqlalchemy_stores_them(db: Database, ids: dict[str, int]) -> None:
    ticket, group = ids["ticket"], ids["group"]
    events = [
        {
            "ticket_id": ticket,
            "metric": "resolution",
            "cycle": 0,
            "kind": "activate",
            "at": LATER,
            "data": None,
        },
        {
            "ticket_id": ticket,
            "metric": "resolution",
            "cycle": 1,
            "kind": "warn",
            "at": START,
            "data": {"a": 1},
        },
    ]
    clocks = [_clock(ticket, group, "first_response"), _clock(ticket, None, "resolution")]
    summaries = [{"ticket_id": ticket, "sla_due_at": LATER, "sla_warn_at": None, "sla_breached": True}]
    dropped = [{"ticket_id": ticket}]
    alarm = JobSpec(kind="sla.alarm", payload={"ticket_id": ticket}, run_at=LATER, created_at=START)

    def old(session: Session) -> None:
        conn = session.connection()
        conn.execute(sla_service._ADD_EVENTS.statement, events)
        conn.execute(sla_service._DROP_CLOCKS.statement, dropped)
        conn.execute(sla_service._ADD_CLOCKS.statement, clocks)
        conn.execute(
            jobs_repository._DEDUPED[db.dialect],
            [
                jobs_repository.row(
                    kind=alarm.kind,
                    payload=alarm.payload,
                    run_at=alarm.run_at,
                    now=alarm.created_at,
                    dedupe_key=None,
                    max_attempts=8,
                )
            ],
        )
        conn.execute(sla_service._SUMMARY.statement, summaries)

    def new(session: Session) -> None:
        sla_service.Writes(events, dropped, clocks, [alarm], summaries).apply(session)

    stored, _, _ = _same_as_sqlalchemy(db, old, new)
    assert len(stored["sla_clocks"]) == 2


def test_clocks_are_dropped_and_summaries_updated_for_many_tickets_alike(
    db: Database, ids: dict[str, int]
) -> None:
    with db.unit_of_work() as session:
        other = tickets_repository.insert_ticket(session, _ticket(ids["user"], ids["org"], None))
        session.connection().execute(
            sla_service._ADD_CLOCKS.statement,
            [_clock(t, None, m) for t in (ids["ticket"], other) for m in ("first_response", "resolution")],
        )
    dropped = [{"ticket_id": ids["ticket"]}, {"ticket_id": other}]
    summaries = [
        {"ticket_id": ids["ticket"], "sla_due_at": None, "sla_warn_at": START, "sla_breached": False},
        {"ticket_id": other, "sla_due_at": LATER, "sla_warn_at": LATER, "sla_breached": True},
    ]
    for write, rows in ((sla_service._DROP_CLOCKS, dropped), (sla_service._SUMMARY, summaries)):
        _same_as_sqlalchemy(
            db, _execute(write, rows), lambda session, w=write, r=rows: w.run(session.connection(), r)
        )


def test_jobs_with_a_known_dedupe_key_are_skipped_as_before(db: Database, ids: dict[str, int]) -> None:
    rows = _job_rows(ids["ticket"])
    stored, _, _ = _same_as_sqlalchemy(
        db,
        _execute(jobs_repository._DEDUPED_WRITES[db.dialect], rows),
        lambda session: jobs_repository.insert_many(session, rows),
    )
    assert [job[7] for job in stored["jobs"][-2:]] == [f"test:{ids['ticket']}:1", f"test:{ids['ticket']}:2"]


def test_direct_writes_belong_to_the_session_transaction(db: Database, ids: dict[str, int]) -> None:
    with db.unit_of_work(write=False) as session:
        before = _read(session)
    session = db.write()
    tickets_repository.insert_events(session, _events(ids["ticket"], ids["user"]))
    assert len(_read(session)["ticket_events"]) == len(before["ticket_events"]) + 2
    session.rollback()
    session.close()
    with db.unit_of_work(write=False) as session:
        assert _read(session) == before


def test_database_errors_are_raised_as_sqlalchemy_raises_them(db: Database, ids: dict[str, int]) -> None:
    orphan = _events(ids["ticket"] + 1000, ids["user"])
    naive = [{**_events(ids["ticket"], ids["user"])[0], "at": datetime(2026, 3, 2, 9, 0)}]
    first = _events(ids["ticket"], ids["user"])[0]
    naive_second = [first, *naive]  # found while rows are sent
    many_orphans = [*([first] * COPY_FROM_ROWS), orphan[0]]  # on PostgreSQL, sent as one COPY
    many_naive = [*([first] * COPY_FROM_ROWS), *naive]
    with db.unit_of_work(write=False) as session:
        before = _read(session)
    for rows, error, match in (
        (orphan, IntegrityError, None),
        (naive, StatementError, "naive datetime"),
        (naive_second, StatementError, "naive datetime"),
        (many_orphans, IntegrityError, None),
        (many_naive, StatementError, "naive datetime"),
    ):
        for write in (
            _execute(tickets_repository._INSERT_EVENTS, rows),
            lambda session, r=rows: tickets_repository.insert_events(session, r),
        ):
            with pytest.raises(error, match=match), db.unit_of_work() as session:
                write(session)
    with db.unit_of_work(write=False) as session:
        assert _read(session) == before


def test_parameters_the_rows_leave_without_a_scalar_default_are_refused() -> None:
    stamped = Table(
        "stamped",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime, default=lambda: START),
        Column("n", Integer, default=0),
    )
    with pytest.raises(NotImplementedError, match="'at'"):
        Write(insert(stamped))._plan(sqlite.dialect(), ("n",), single=False)
    Write(insert(stamped))._plan(sqlite.dialect(), ("at",), single=False)
    with pytest.raises(NotImplementedError, match="'sla_due_at'"):
        sla_service._SUMMARY._plan(
            sqlite.dialect(), ("ticket_id", "sla_warn_at", "sla_breached"), single=False
        )


@pytest.mark.parametrize(
    "value",
    [
        START,
        LATER,
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        None,
    ],
)
def test_sqlite_datetime_text_is_sqlalchemys(value: datetime | None) -> None:
    dialect = sqlite.dialect()
    column_type = UTCDateTime().dialect_impl(dialect)
    chained = TypeDecorator.bind_processor(column_type, dialect)
    fast = column_type.bind_processor(dialect)
    read = column_type.result_processor(dialect, None)
    assert chained is not None and fast is not None and read is not None
    text = fast(value)
    assert text == chained(value)
    assert read(text) == (value.astimezone(UTC) if value else None)


def test_sqlite_refuses_naive_datetimes_as_before() -> None:
    dialect = sqlite.dialect()
    fast = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None
    with pytest.raises(ValueError, match="naive datetime"):
        fast(datetime(2026, 3, 2, 9, 0))


def test_sqlite_datetime_text_of_interleaved_instants_is_each_ones_own() -> None:
    """The fast path remembers recent instants: each value still gets its own text,
    and a naive value is refused even right after an aware one with the same fields."""
    dialect = sqlite.dialect()
    column_type = UTCDateTime().dialect_impl(dialect)
    chained = TypeDecorator.bind_processor(column_type, dialect)
    fast = column_type.bind_processor(dialect)
    assert chained is not None and fast is not None
    shifted = LATER.astimezone(timezone(timedelta(hours=5, minutes=45)))
    for value in [START, START, LATER, START, shifted, LATER, shifted, START]:
        assert fast(value) == chained(value)
    fast(START)
    with pytest.raises(ValueError, match="naive datetime"):
        fast(START.replace(tzinfo=None))
