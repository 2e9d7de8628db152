"""Event logs in CSV: columns and maps turn rows into the same events as JSON lines."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportops.auth.models import Group, User
from supportops.config import Settings
from supportops.db.session import Database
from supportops.imports.csvlog import CsvMapping, CsvProblem, check_mapping, preset, read_csv, with_defaults
from supportops.imports.service import ImportReport, import_lines
from supportops.kit.errors import InvalidInput
from supportops.sla.models import SlaClock
from supportops.tickets import service
from supportops.tickets.models import TicketEvent
from tests.imports.support import NOW, counts, ticket

HEADER = ["case", "time", "state", "sub", "team", "line", "impact", "product"]
ROWS = [
    ["C1", "2024-03-01 09:00:00", "Queued", "Awaiting Assignment", "Desk", "1st", "Medium", "P-1"],
    ["C1", "2024-03-01 09:30:00", "Accepted", "In Progress", "Desk", "1st", "Medium", "P-1"],
    ["C1", "2024-03-01 10:00:00", "Accepted", "Wait - User", "Desk", "1st", "Medium", "P-1"],
    ["C2", "2024-03-01 11:00:00", "Accepted", "In Progress", "Desk", "1st", "Low", "P-2"],
    ["C1", "2024-03-02 10:00:00", "Unmatched", "Unmatched", "Desk", "1st", "Medium", "P-1"],
    ["C1", "2024-03-02 11:00:00", "Accepted", "In Progress", "Apps 2nd", "2nd", "High", "P-1"],
    ["C1", "2024-03-02 12:00:00", "Completed", "Resolved", "Apps 2nd", "2nd", "High", "P-1"],
    ["C2", "2024-03-01 12:00:00", "Completed", "Shelved", "Desk", "1st", "Low", "P-2"],
]
MAPPING = CsvMapping(
    case="case",
    timestamp="time",
    status=("state", "sub"),
    team="team",
    level="line",
    impact="impact",
    category="product",
    status_map={
        "Queued/Awaiting Assignment": "triaged",
        "Accepted/In Progress": "in_progress",
        "Accepted/Wait - User": "pending",
        "Completed/Resolved": "resolved",
        "Unmatched/Unmatched": None,
    },
    impact_map={"High": "P2", "Medium": "P3", "Low": "P4"},
    timezone="Europe/Berlin",
)


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import(db: Database, path: Path, settings: Settings, mapping: CsvMapping = MAPPING) -> ImportReport:
    full = with_defaults(mapping, scheme=settings.priority_scheme, source="desk")
    check_mapping(full, scheme=settings.priority_scheme)
    lines = read_csv(path, full, scheme=settings.priority_scheme, source="desk")
    return import_lines(db, lines, source="desk", now=NOW, settings=settings)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_rows_become_tickets_with_mapped_statuses_tiers_and_priorities(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    report = _import(db, _write(tmp_path / "log.csv", ROWS), settings)
    assert [str(r) for r in report.rejected] == [
        "line 9: status: 'Completed/Shelved' is not in the status map"
    ]
    assert (report.read, report.applied, report.tickets_created) == (8, 7, 2)
    with db.unit_of_work(write=False) as session:
        c1 = ticket(session, "C1", "desk")
        groups = {g.name: g for g in session.scalars(select(Group))}
        assert {n: g.tier for n, g in groups.items()} == {"Desk": "L1", "Apps 2nd": "L2"}
        requester = session.get(User, c1.requester_id)
        assert requester is not None and (requester.email, requester.role) == (
            "requester@desk.invalid",
            "customer",
        )
        # Berlin is at +01:00 in early March.
        assert c1.created_at == _utc("2024-03-01T08:00:00")
        assert (c1.status, c1.priority, c1.category, c1.group_id) == (
            "resolved",
            "P2",
            "P-1",
            groups["Apps 2nd"].id,
        )
        assert (c1.tier, c1.max_tier, c1.escalations, c1.group_stations) == ("L2", "L2", 1, 2)
        assert c1.last_resolved_at == _utc("2024-03-02T11:00:00")
        assert service.counters_of(c1) == service.recompute_counters(session, ticket_id=c1.id)
        moves = [
            (e.field, e.old_value, e.new_value)
            for e in session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == c1.id, TicketEvent.kind == "change")
            )
        ]
        resolution = session.scalars(
            select(SlaClock).where(SlaClock.ticket_id == c1.id, SlaClock.metric == "resolution")
        ).one()
        c2 = ticket(session, "C2", "desk")
        assert (c2.status, c2.priority) == ("in_progress", "P4")
    assert moves == [
        ("status", "new", "triaged"),
        ("status", "triaged", "in_progress"),
        ("status", "in_progress", "pending"),
        # the Unmatched row keeps the status: nothing is written for it
        ("status", "pending", "in_progress"),
        ("group_id", groups["Desk"].id, groups["Apps 2nd"].id),
        ("priority", "P3", "P2"),
        ("status", "in_progress", "resolved"),
    ]
    # Open 27 h, of which 25 h waiting on the user: the resolution clock used 2 h.
    assert (resolution.state, resolution.calendar_minutes) == ("fulfilled", 120.0)


def test_a_csv_imported_twice_or_continued_later_changes_only_what_is_new(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    first = _write(tmp_path / "first.csv", ROWS[:4])
    _import(db, first, settings)
    before = counts(db)
    again = _import(db, first, settings)
    assert (again.applied, again.already_imported) == (0, 4)
    assert counts(db) == before
    later = _import(db, _write(tmp_path / "all.csv", ROWS[:7]), settings)
    assert (later.applied, later.already_imported, later.tickets_created, later.tickets_updated) == (
        3,
        4,
        0,
        1,
    )
    with db.unit_of_work(write=False) as session:
        c1 = ticket(session, "C1", "desk")
        assert (c1.status, c1.escalations) == ("resolved", 1)
        assert service.counters_of(c1) == service.recompute_counters(session, ticket_id=c1.id)


def test_the_bpic2013_preset_maps_the_volvo_statuses(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    header = [
        "SR Number",
        "Change Date+Time",
        "Status",
        "Sub Status",
        "Involved ST",
        "ST Level",
        "SR Latest Impact",
        "Product",
    ]

    def row(minute: int, status: str, sub: str, team: str = "V30", level: str = "L1") -> list[str]:
        moment = datetime(2012, 5, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)
        return [
            "1-42",
            moment.strftime("%Y-%m-%dT%H:%M:%S+01:00"),
            status,
            sub,
            team,
            level,
            "Major",
            "PROD1",
        ]

    rows = [
        row(0, "Accepted", "In Progress"),
        row(10, "Queued", "Awaiting Assignment", "V5 3rd", "L3"),
        row(20, "Accepted", "Wait - User", "V5 3rd", "L3"),
        row(30, "Accepted", "Wait - Vendor", "V13 2nd 3rd", "L2/L3"),
        row(40, "Unmatched", "Unmatched", "V13 2nd 3rd", "L2/L3"),
        row(50, "Completed", "In Call", "V13 2nd 3rd", "L2/L3"),
        row(60, "Completed", "Closed", "V13 2nd 3rd", "L2/L3"),
    ]
    mapping = preset("bpic2013", scheme=settings.priority_scheme, source="bpic2013")
    lines = read_csv(_write(tmp_path / "vinst.csv", rows, header), mapping, scheme="p1-p5", source="bpic2013")
    report = import_lines(db, lines, source="bpic2013", now=NOW, settings=settings)
    assert report.rejected == []
    with db.unit_of_work(write=False) as session:
        t = ticket(session, "1-42", "bpic2013")
        statuses = [
            e.new_value
            for e in session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.field == "status")
            )
        ]
        tiers = {g.name: g.tier for g in session.scalars(select(Group))}
        assert (t.priority, t.category, t.status, t.max_tier, t.tier, t.escalations) == (
            "P1",
            "PROD1",
            "closed",
            "L3",
            "L2",
            1,
        )
        assert t.first_resolved_at == datetime(2012, 5, 1, 8, 50, tzinfo=UTC)
    assert statuses == ["in_progress", "triaged", "pending", "on_hold", "resolved", "closed"]
    assert tiers == {"V30": "L1", "V5 3rd": "L3", "V13 2nd 3rd": "L2"}


def test_times_without_an_offset_need_a_zone(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "log.csv", ROWS)
    mapping = with_defaults(
        CsvMapping(case="case", timestamp="time", status=("state",)), scheme="p1-p5", source="desk"
    )
    with pytest.raises(
        CsvProblem, match="line 2: the timestamps carry no UTC offset; name their zone with --timezone"
    ):
        list(read_csv(path, mapping, scheme="p1-p5", source="desk"))


def test_a_missing_column_names_the_option_and_the_columns_there_are(tmp_path: Path) -> None:
    path = _write(tmp_path / "log.csv", ROWS)
    mapping = with_defaults(
        CsvMapping(case="case", timestamp="time", status=("status",), team="group"),
        scheme="p1-p5",
        source="x",
    )
    with pytest.raises(CsvProblem) as caught:
        list(read_csv(path, mapping, scheme="p1-p5", source="x"))
    assert caught.value.detail == (
        "log.csv has no column 'status' (--status), 'group' (--team); its columns: "
        "case, time, state, sub, team, line, impact, product."
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status_map": {"Open": "doing"}}, "status_map"),
        ({"level_map": {"2nd": "L4"}}, "level_map"),
        ({"impact_map": {"High": "P0"}}, "impact_map"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"requester": "nobody"}, "requester"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_maps_must_point_at_real_values(change: dict[str, object], field: str) -> None:
    from dataclasses import replace

    mapping = replace(with_defaults(MAPPING, scheme="p1-p5", source="x"), **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        check_mapping(mapping, scheme="p1-p5")
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            ["C9", "2024-03-01 09:00:00", "Accepted", "In Progress", "Desk", "4th", "Low", "P"],
            "level: '4th' is not in the level map",
        ),
        (
            ["C9", "2024-03-01 09:00:00", "Accepted", "In Progress", "Desk", "1st", "Huge", "P"],
            "impact: 'Huge' is not in the impact map",
        ),
        (["", "2024-03-01 09:00:00", "Accepted", "In Progress", "Desk", "1st", "Low", "P"], "case: empty"),
        (
            ["C9", "1 March", "Accepted", "In Progress", "Desk", "1st", "Low", "P"],
            "timestamp: '1 March' does not match ISO 8601",
        ),
        (
            ["C9", "2024-03-01 09:00:00", "Accepted", "In Progress", "Desk", "1st", "Low", "P", "extra"],
            "more fields than the header",
        ),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_the_rest_loads(
    db: Database, settings: Settings, tmp_path: Path, row: list[str], reason: str
) -> None:
    report = _import(db, _write(tmp_path / "log.csv", [ROWS[3], row, ROWS[0]]), settings)
    assert [str(r) for r in report.rejected] == [f"line 3: {reason}"]
    assert (report.applied, report.tickets_created) == (2, 2)
