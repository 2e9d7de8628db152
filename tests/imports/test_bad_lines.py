"""A bad line is reported with its line number and a reason naming the field; it writes nothing,
and the good lines around it still load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supportops.config import Settings
from supportops.db.session import Database
from tests.imports.support import at, counts, created, handle_time, message, rating, run, status, write

Line = dict[str, Any] | str


def _good(s: str) -> tuple[Line, Line]:
    return (
        created(f"T{s}", 0, requester=f"ann{s}@acme.com", organization=f"Acme {s}", group=f"Desk {s}"),
        message(f"T{s}", 30, f"bob{s}@co", "agent"),
    )


CASES: dict[str, tuple[Callable[[str], Line], str]] = {
    "unknown type": (
        lambda s: {"ticket": f"T{s}", "type": "escalate", "at": at(10)},
        'line 2: type: "escalate" is not a line type; use one of created, message, status, assign, '
        "priority, rating, handle_time, nps, presence, self_service",
    ),
    "ticket never created": (
        lambda s: message(f"X{s}", 10, f"carl{s}@co", "agent"),
        "line 2: ticket: X{s} was never created: no valid created line for it in this file or in an "
        "earlier import from source '{s}'",
    ),
    "rating above 5": (lambda s: rating(f"T{s}", 10, 6), "line 2: score: a rating is 1-5, not 6"),
    "rating below 1": (lambda s: rating(f"T{s}", 10, 0), "line 2: score: a rating is 1-5, not 0"),
    "nps above 10": (
        lambda s: {"type": "nps", "at": at(10), "customer": f"new{s}@x.com", "score": 11},
        "line 2: score: an NPS score is 0-10, not 11",
    ),
    "nps below 0": (
        lambda s: {"type": "nps", "at": at(10), "customer": f"new{s}@x.com", "score": -1},
        "line 2: score: an NPS score is 0-10, not -1",
    ),
    "timestamp without offset": (
        lambda s: {**message(f"T{s}", 10, f"carl{s}@co", "agent"), "at": "2026-01-05T10:00:00"},
        'line 2: at: "2026-01-05T10:00:00" has no UTC offset (write e.g. +00:00 or Z)',
    ),
    "timestamp that is no timestamp": (
        lambda s: {**status(f"T{s}", 10, "pending"), "at": "yesterday"},
        'line 2: at: "yesterday" is not an ISO-8601 timestamp',
    ),
    "missing field": (
        lambda s: {"ticket": f"T{s}", "type": "status", "at": at(10)},
        "line 2: status: missing",
    ),
    "missing time": (
        lambda s: {"ticket": f"T{s}", "type": "status", "status": "pending"},
        "line 2: at: missing",
    ),
    "wrongly typed flag": (
        lambda s: {**message(f"T{s}", 10, f"carl{s}@co", "agent"), "public": "yes"},
        'line 2: public: must be true or false, not "yes"',
    ),
    "wrongly typed score": (
        lambda s: rating(f"T{s}", 10, "5"),
        'line 2: score: must be a whole number, not "5"',
    ),
    "wrongly typed minutes": (
        lambda s: handle_time(f"T{s}", 10, f"carl{s}@co", "ten"),
        'line 2: minutes: must be a number, not "ten"',
    ),
    "wrongly typed email": (
        lambda s: {**message(f"T{s}", 10, f"carl{s}@co", "agent"), "author": 7},
        "line 2: author: must be a string, not a number",
    ),
    "unknown status": (
        lambda s: status(f"T{s}", 10, "done"),
        'line 2: status: "done" is not a status; use one of new, triaged, assigned, in_progress, '
        "pending, on_hold, escalated, engineering, resolved, closed",
    ),
    "priority outside the scheme": (
        lambda s: {"ticket": f"T{s}", "type": "priority", "at": at(10), "priority": "P0"},
        'line 2: priority: "P0" is not a priority in the configured scheme; use one of P1, P2, P3, P4, P5',
    ),
    "unknown channel": (
        lambda s: created(f"U{s}", 10, channel="fax", requester=f"new{s}@x.com", organization=f"New {s}"),
        'line 2: channel: "fax" is not a channel; use one of web, email, chat, phone, api',
    ),
    "created twice": (
        lambda s: created(f"T{s}", 10, requester=f"new{s}@x.com", organization=f"New {s}"),
        "line 2: ticket: T{s} was already created earlier in this file",
    ),
    "invalid JSON": (
        lambda s: '{"ticket": "T' + s + '", "type": ',
        "line 2: invalid JSON: Expecting value at column 26",
    ),
    "not an object": (lambda s: "[1, 2]", "line 2: a line must be a JSON object"),
    "not a number": (
        lambda s: '{"type": "nps", "at": "2026-01-05T10:00:00Z", "customer": "x@y.z", "score": NaN}',
        "line 2: invalid JSON: NaN is not JSON",
    ),
}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in before}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_line_is_reported_and_writes_nothing_while_good_lines_load(
    case: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    bad, reason = CASES[case]
    start = counts(db)
    good = run(db, write(tmp_path / "good.jsonl", list(_good("a"))), settings, source="a")
    assert good.rejected == []
    good_delta = _delta(start, counts(db))

    middle = counts(db)
    first, last = _good("b")
    report = run(db, write(tmp_path / "bad.jsonl", [first, bad("b"), last]), settings, source="b")
    assert [str(r) for r in report.rejected] == [reason.format(s="b")]
    assert (report.read, report.applied, report.tickets_created) == (3, 2, 1)
    assert _delta(middle, counts(db)) == good_delta


def test_line_numbers_are_the_files_whatever_the_time_order(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = [
        message("T1", 20, "bob@co", "agent"),
        rating("T1", 10, 7),
        created("T1", 0),
        message("T2", 5, "bob@co", "agent"),
        created("T2", 10),
    ]
    report = run(db, write(tmp_path / "order.jsonl", lines), settings)
    assert [str(r) for r in report.rejected] == [
        "line 2: score: a rating is 1-5, not 7",
        "line 4: ticket: T2 is not created until line 5, which is later in time",
    ]
    assert report.applied == 3


def test_lines_of_a_ticket_whose_created_line_was_rejected_say_so(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    lines = [created("T1", 0, priority="P9"), status("T1", 5, "pending")]
    report = run(db, write(tmp_path / "c.jsonl", lines), settings)
    assert [str(r) for r in report.rejected] == [
        'line 1: priority: "P9" is not a priority in the configured scheme; use one of P1, P2, P3, P4, P5',
        "line 2: ticket: T1 was never created: no valid created line for it in this file or in an "
        "earlier import from source 'events'",
    ]


def test_a_line_that_is_not_utf8_is_a_bad_line(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(b'{"ticket": "T1", "type": "status", "at": "\xff"}\n')
    report = run(db, path, settings)
    assert [str(r) for r in report.rejected] == ["line 1: not valid UTF-8"]
