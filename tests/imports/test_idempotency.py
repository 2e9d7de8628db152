"""Importing is idempotent, and a later file continues the tickets an earlier one opened exactly as
if both had been imported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from supportops.config import Settings
from supportops.db.session import Database
from supportops.metrics import snapshot
from supportops.tickets import service
from supportops.tickets.models import Ticket, TicketEvent
from tests.imports.support import (
    NOW,
    assign,
    at,
    counts,
    created,
    handle_time,
    line_records,
    message,
    priority,
    rating,
    run,
    status,
    ticket,
    ticket_id,
    write,
)

FIRST = [
    created("T1", 0, group="L1 Support"),
    assign("T1", 10, "bob@co", "L1 Support", "L1"),
    message("T1", 20, "bob@co", "agent"),
    status("T1", 20, "in_progress"),
    status("T1", 60, "resolved"),
    rating("T1", 70, 2),
    created("T2", 5, priority="P1"),
    {"type": "nps", "at": at(100), "customer": "ann@acme.com", "score": 3},
    {"type": "presence", "at": at(0), "agent": "bob@co", "state": "online"},
]
SECOND = [
    message("T1", 200, "ann@acme.com", "customer"),
    status("T1", 200, "in_progress"),  # a reopen
    assign("T1", 210, "cy@co", "L3 Engineering", "L3"),
    handle_time("T1", 220, "cy@co", 30),
    priority("T1", 225, "P2"),
    status("T1", 240, "resolved"),
    rating("T1", 250, 5),
    message("T2", 300, "bob@co", "agent"),
    {"type": "self_service", "at": at(310), "customer": None, "outcome": "indirect"},
]

_COLUMNS = (
    "status",
    "priority",
    "closed_at",
    "created_at",
    "updated_at",
    *service.COUNTER_FIELDS,
    "sla_due_at",
    "sla_warn_at",
    "sla_breached",
)


def _snapshot(db: Database, key: str, source: str) -> dict[str, Any]:
    """A ticket's columns and its log, without the ids that differ between two imports."""
    with db.unit_of_work(write=False) as session:
        t = ticket(session, key, source)
        events = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)
        )
        log = [
            (
                e.kind,
                e.field,
                e.old_value,
                e.new_value if e.kind == "change" else None,
                e.data,
                e.public,
                e.at,
            )
            for e in events
        ]
        return {
            **{c: getattr(t, c) for c in _COLUMNS},
            "assignee": t.assignee_id,
            "group": t.group_id,
            "log": log,
            "fold": service.recompute_counters(session, ticket_id=t.id),
        }


def test_importing_the_same_file_twice_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "all.jsonl", [*FIRST, *SECOND])
    first = run(db, path, settings)
    assert (first.applied, first.already_imported, first.rejected) == (18, 0, [])
    before = counts(db)
    tickets_before = {k: _snapshot(db, k, "events") for k in ("T1", "T2")}
    with db.unit_of_work(write=False) as session:
        generation = snapshot.generation(session)
    assert generation > 0  # reports rebuild their copy after history with old timestamps
    again = run(db, path, settings, now=NOW)
    assert (again.read, again.applied, again.already_imported, again.rejected) == (18, 0, 18, [])
    assert (again.tickets_created, again.tickets_updated) == (0, 0)
    assert counts(db) == before
    assert {k: _snapshot(db, k, "events") for k in ("T1", "T2")} == tickets_before
    with db.unit_of_work(write=False) as session:
        assert snapshot.generation(session) == generation


def test_a_later_file_continues_a_ticket_as_if_imported_at_once(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    run(db, write(tmp_path / "first.jsonl", FIRST), settings, source="in-two")
    later = run(db, write(tmp_path / "second.jsonl", SECOND), settings, source="in-two")
    assert (later.applied, later.tickets_created, later.tickets_updated, later.rejected) == (9, 0, 2, [])
    run(db, write(tmp_path / "all.jsonl", [*FIRST, *SECOND]), settings, source="at-once")
    for key in ("T1", "T2"):
        assert _snapshot(db, key, "in-two") == _snapshot(db, key, "at-once")
    with db.unit_of_work(write=False) as session:
        t1 = ticket(session, "T1", "in-two")
        assert service.counters_of(t1) == service.recompute_counters(session, ticket_id=t1.id)
        assert (t1.reopen_count, t1.escalations, t1.tier, t1.handle_seconds) == (1, 1, "L3", 1800)
        assert t1.version == 2  # the continued ticket was written once more


def test_a_later_line_dated_before_the_stored_history_is_rejected(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    run(db, write(tmp_path / "first.jsonl", FIRST), settings)
    before = counts(db)
    report = run(db, write(tmp_path / "late.jsonl", [message("T1", 30, "bob@co", "agent")]), settings)
    assert [str(r) for r in report.rejected] == [
        "line 1: at: 2026-01-05T09:30:00+00:00 is before the last stored event of ticket T1 "
        "(2026-01-05T10:00:00+00:00); an import only appends history after it"
    ]
    assert counts(db) == before


def test_the_same_line_twice_in_one_file_applies_once(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = [created("T1", 0), message("T1", 5, "bob@co", "agent"), message("T1", 5, "bob@co", "agent")]
    report = run(db, write(tmp_path / "dup.jsonl", lines), settings)
    assert (report.applied, report.already_imported) == (2, 1)
    with db.unit_of_work(write=False) as session:
        assert ticket(session, "T1").public_agent_replies == 1


def test_a_source_names_its_own_tickets(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path / "one.jsonl", [created("T1", 0)])
    run(db, path, settings, source="desk-a")
    run(db, path, settings, source="desk-b")
    with db.unit_of_work(write=False) as session:
        assert ticket_id(session, "T1", "desk-a") != ticket_id(session, "T1", "desk-b")
        assert len(session.scalars(select(Ticket)).all()) == 2
    assert line_records(db, "desk-a") == line_records(db, "desk-b") == 1


def test_rejected_lines_are_not_remembered_and_are_reported_again(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "bad.jsonl", [created("T1", 0), rating("T1", 5, 9)])
    assert [r.line for r in run(db, path, settings).rejected] == [2]
    again = run(db, path, settings)
    assert ([r.line for r in again.rejected], again.already_imported) == ([2], 1)
    assert line_records(db) == 1
