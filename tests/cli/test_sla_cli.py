"""``supportops sla``: JSON lines in, JSON lines out, and one clear line for bad input."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from supportops.cli.main import app

runner = CliRunner()

OFFICE = {
    "timezone": "Europe/Berlin",
    "week": {
        "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]],
        "thu": [["09:00", "17:00"]],
        "fri": [["09:00", "17:00"]],
    },
    "holidays": ["2026-12-25"],
    "overrides": {"2026-12-24": [["09:00", "12:00"]]},
}


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "office.json"
    path.write_bytes(orjson.dumps(OFFICE))
    return path


def _lines(*rows: dict[str, object]) -> str:
    return "".join(orjson.dumps(row).decode() + "\n" for row in rows)


def test_deadlines_are_written_in_utc_with_z(calendar_file: Path) -> None:
    given = _lines(
        {"start": "2026-12-24T10:00:00+01:00", "minutes": 150},
        {"start": "2026-12-21T08:00:00Z", "minutes": 0.5},
        {"start": "2026-12-21T07:00:00-05:00", "minutes": 0},
    )
    result = runner.invoke(app, ["sla", "deadline", "--calendar", str(calendar_file)], input=given + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        '{"due":"2026-12-28T08:30:00Z"}',
        '{"due":"2026-12-21T08:00:30Z"}',
        '{"due":"2026-12-21T12:30:00Z"}',
    ]


def test_elapsed_business_minutes_per_line(calendar_file: Path) -> None:
    given = _lines(
        {"start": "2026-12-24T10:00:00+01:00", "end": "2026-12-28T10:00:00+01:00"},
        {"start": "2026-12-28T10:00:00+01:00", "end": "2026-12-24T10:00:00+01:00"},
    )
    result = runner.invoke(app, ["sla", "elapsed", "--calendar", str(calendar_file)], input=given)
    assert result.exit_code == 0, result.output
    assert [orjson.loads(line) for line in result.stdout.splitlines()] == [
        {"minutes": 180.0},
        {"minutes": 0.0},
    ]


@pytest.mark.parametrize(
    ("command", "bad_line", "message"),
    [
        (
            "deadline",
            '{"start": "2026-12-21T08:00:00", "minutes": 5}',
            "line 2: start: Input should have timezone",
        ),
        (
            "deadline",
            '{"start": "2026-12-21T08:00:00Z", "minutes": -5}',
            "line 2: minutes: Input should be greater",
        ),
        (
            "deadline",
            '{"start": "2026-12-21T08:00:00Z", "minutes": "5"}',
            "line 2: minutes: Input should be a valid",
        ),
        ("deadline", '{"start": "2026-12-21T08:00:00Z"}', "line 2: minutes: Field required"),
        ("deadline", '{"start": "3000-01-01T00:00:00Z", "minutes": 5}', "line 2: start must lie between"),
        ("deadline", "not json", "line 2: Invalid JSON"),
        ("elapsed", '{"start": "2026-12-21T08:00:00Z", "end": "tomorrow"}', "line 2: end: Input should be"),
    ],
)
def test_a_bad_line_stops_with_its_number_and_exit_2(
    calendar_file: Path, command: str, bad_line: str, message: str
) -> None:
    good = (
        {"start": "2026-12-21T08:00:00Z", "minutes": 5}
        if command == "deadline"
        else {"start": "2026-12-21T08:00:00Z", "end": "2026-12-21T09:00:00Z"}
    )
    given = _lines(good) + bad_line + "\n" + _lines(good)
    result = runner.invoke(app, ["sla", command, "--calendar", str(calendar_file)], input=given)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_bad_calendar_file_is_named_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(orjson.dumps({"timezone": "Mars/Base", "week": {"mon": [["17:00", "09:00"]]}}))
    result = runner.invoke(app, ["sla", "deadline", "--calendar", str(path)], input="")
    assert result.exit_code == 2
    assert f"calendar {path}: timezone:" in result.stderr
    assert "unknown time zone 'Mars/Base'" in result.stderr
    assert "week.mon.0:" in result.stderr and "17:00-09:00 does not end after it starts" in result.stderr


def test_holidays_of_a_country_are_printed_or_merged(calendar_file: Path) -> None:
    listed = runner.invoke(
        app, ["sla", "holidays", "--country", "DE", "--subdivision", "BY", "--year", "2026", "--year", "2027"]
    )
    assert listed.exit_code == 0, listed.output
    days = orjson.loads(listed.stdout)
    assert "2026-01-06" in days and "2027-12-26" in days and days == sorted(days)
    merged = runner.invoke(
        app, ["sla", "holidays", "--country", "DE", "--year", "2026", "--calendar", str(calendar_file)]
    )
    assert merged.exit_code == 0, merged.output
    assert "2026-10-03" in orjson.loads(merged.stdout)["holidays"]


def test_holidays_from_an_ical_file(tmp_path: Path) -> None:
    path = tmp_path / "company.ics"
    path.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@example.com\r\n"
        b"SUMMARY:Offsite\r\nDTSTART;VALUE=DATE:20261020\r\nDTEND;VALUE=DATE:20261022\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    result = runner.invoke(app, ["sla", "holidays", "--ical", str(path)])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == ["2026-10-20", "2026-10-21"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2026"], "give either --country or --ical"),
        (["--country", "DE"], "give at least one year"),
        (["--country", "XX", "--year", "2026"], "no holiday preset for country 'XX'"),
    ],
)
def test_holiday_errors_are_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sla", "holidays", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
