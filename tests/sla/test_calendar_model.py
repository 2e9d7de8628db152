"""The calendar's JSON interchange format: its shape, its round trip, and errors that name the place."""

from __future__ import annotations

from datetime import date, datetime

import orjson
import pytest
from hypothesis import given
from pydantic import ValidationError

from supportops.sla.calendar import Calendar, Span
from tests.sla.strategies import cases

EXAMPLE = {
    "timezone": "Europe/Berlin",
    "week": {
        "tue": [["13:30", "17:00"], ["09:00", "12:30"]],
        "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
    },
    "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"],
    "overrides": {"2026-12-31": [], "2026-12-24": [["09:00", "12:00"]]},
}


def test_json_is_written_in_one_canonical_order() -> None:
    calendar = Calendar.from_json(orjson.dumps(EXAMPLE))
    assert orjson.loads(calendar.to_json()) == {
        "timezone": "Europe/Berlin",
        "week": {
            "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
            "tue": [["09:00", "12:30"], ["13:30", "17:00"]],
        },
        "holidays": ["2026-01-01", "2026-12-25"],
        "overrides": {"2026-12-24": [["09:00", "12:00"]], "2026-12-31": []},
    }
    assert list(orjson.loads(calendar.to_json())["week"]) == ["mon", "tue"]


@given(case=cases())
def test_json_round_trip_gives_an_equal_calendar(case: tuple[Calendar, datetime]) -> None:
    calendar = case[0]
    assert Calendar.from_json(calendar.to_json()) == calendar


def test_hours_on_a_date_follow_override_then_holiday_then_weekday() -> None:
    calendar = Calendar(
        timezone="UTC",
        week={"mon": [("09:00", "17:00")], "fri": [("22:00", "24:00")]},
        holidays=[date(2026, 12, 7), date(2026, 12, 14)],
        overrides={date(2026, 12, 14): [("10:00", "11:00")], date(2026, 12, 21): []},
    )
    assert calendar.hours_on(date(2026, 12, 7)) == ()
    assert calendar.hours_on(date(2026, 12, 14)) == (Span(600, 660),)
    assert calendar.hours_on(date(2026, 12, 21)) == ()
    assert calendar.hours_on(date(2026, 12, 28)) == (Span(540, 1020),)
    assert calendar.hours_on(date(2026, 12, 11)) == (Span(1320, 1440),)
    assert calendar.hours_on(date(2026, 12, 8)) == ()


def test_intervals_built_in_python_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="10:00-09:00 does not end after it starts"):
        Calendar(timezone="UTC", week={"mon": [Span(600, 540)]})
    with pytest.raises(ValidationError, match="must start from 00:00"):
        Calendar(timezone="UTC", week={"mon": [Span(-60, 540)]})


def test_touching_intervals_are_allowed_and_the_calendar_is_immutable() -> None:
    calendar = Calendar(timezone="UTC", week={"mon": [("12:30", "17:00"), ("09:00", "12:30")]})
    assert calendar.week["mon"] == (Span(540, 750), Span(750, 1020))
    with pytest.raises(ValidationError, match="frozen"):
        calendar.timezone = "Europe/Berlin"  # type: ignore[misc]


def _with(**changes: object) -> dict[str, object]:
    return {"timezone": "UTC", "week": {"mon": [["09:00", "17:00"]]}, **changes}


@pytest.mark.parametrize(
    ("data", "place", "problem"),
    [
        (_with(timezone="Europe/Berln"), "timezone", "unknown time zone 'Europe/Berln'"),
        (
            _with(week={"mon": [["09:00", "12:30"], ["12:00", "17:00"]]}),
            "week.mon",
            "intervals 09:00-12:30 and 12:00-17:00 overlap",
        ),
        (_with(week={"tue": [["17:00", "09:00"]]}), "week.tue.0", "17:00-09:00 does not end after it starts"),
        (_with(week={"mon": [["09:00", "09:00"]]}), "week.mon.0", "09:00-09:00 does not end after it starts"),
        (_with(week={"mon": [["9:00", "17:00"]]}), "week.mon.0", "'9:00' is not a time of day"),
        (_with(week={"mon": [["09:00", "24:30"]]}), "week.mon.0", "'24:30' is not a time of day"),
        (_with(week={"mon": [["24:00", "24:00"]]}), "week.mon.0", "24:00 only ends one"),
        (_with(week={"mon": [["09:00"]]}), "week.mon.0", "a pair of times"),
        (_with(week={"monday": [["09:00", "17:00"]]}), "week.monday.[key]", "'mon', 'tue'"),
        (_with(holidays=["2026-13-01"]), "holidays.0", "'2026-13-01' is not a valid date"),
        (_with(holidays=[0]), "holidays.0", "0 is not a valid date"),
        (_with(holidays=["2026-12-25T00:00:00"]), "holidays.0", "is not a valid date"),
        (_with(overrides={"2026-02-30": []}), "overrides.2026-02-30.[key]", "not a valid date"),
        (
            _with(overrides={"2026-12-24": [["09:00", "12:00"], ["11:00", "13:00"]]}),
            "overrides.2026-12-24",
            "intervals 09:00-12:00 and 11:00-13:00 overlap",
        ),
        (_with(holiday=["2026-12-25"]), "holiday", "Extra inputs are not permitted"),
        (
            {"timezone": "UTC", "week": {"mon": []}, "overrides": {"2026-12-24": []}},
            "",
            "the calendar has no business hours",
        ),
    ],
)
def test_errors_name_the_place_and_the_problem(data: dict[str, object], place: str, problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Calendar.from_json(orjson.dumps(data))
    error = raised.value.errors()[0]
    assert ".".join(str(part) for part in error["loc"]) == place
    assert problem in error["msg"]
