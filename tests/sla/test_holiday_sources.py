"""Dated holidays from country presets and iCalendar files."""

from __future__ import annotations

from datetime import date

import pytest

from supportops.kit.errors import InvalidInput
from supportops.sla.calendar import holiday_preset, holidays_from_ical


def test_country_preset_adds_the_subdivision_holidays() -> None:
    germany = holiday_preset("de", years=[2026])
    bavaria = holiday_preset("DE", "by", years=[2026, 2027])
    assert date(2026, 12, 25) in germany and date(2026, 12, 25) in bavaria
    assert date(2026, 1, 6) in bavaria and date(2026, 1, 6) not in germany
    assert date(2027, 1, 6) in bavaria
    assert list(bavaria) == sorted(set(bavaria))


@pytest.mark.parametrize(
    ("country", "subdivision", "years", "field", "message"),
    [
        ("XX", None, [2026], "country", "no holiday preset for country 'XX'"),
        ("DE", "ZZ", [2026], "subdivision", "DE has no subdivision 'ZZ'; its subdivisions: BB, BE"),
        ("DE", None, [], "years", "at least one year"),
        ("DE", None, range(1900, 2101), "years", "at most 100 years"),
    ],
)
def test_preset_errors_name_what_is_wrong(
    country: str, subdivision: str | None, years: range | list[int], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        holiday_preset(country, subdivision, years=years)
    assert raised.value.field == field


def _ical(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n".encode()


def _event(summary: str, *lines: str) -> str:
    return "\r\n".join([f"UID:{summary}@example.com", f"SUMMARY:{summary}", *lines])


def test_all_day_events_expand_to_each_date_and_timed_events_are_skipped() -> None:
    data = _ical(
        _event("Christmas", "DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261227"),
        _event("Founders day", "DTSTART;VALUE=DATE:20260301"),
        _event("Retreat", "DTSTART;VALUE=DATE:20260601", "DURATION:P2D"),
        _event("Standup", "DTSTART:20260302T090000Z", "DURATION:PT15M"),
    )
    assert holidays_from_ical(data) == (
        date(2026, 3, 1),
        date(2026, 6, 1),
        date(2026, 6, 2),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
    )


def test_yearly_events_repeat_within_the_requested_years() -> None:
    data = _ical(
        _event(
            "Company day",
            "DTSTART;VALUE=DATE:20250915",
            "RRULE:FREQ=YEARLY;UNTIL=20280101",
            "EXDATE;VALUE=DATE:20260915",
            "RDATE;VALUE=DATE:20261002",
        ),
        _event("Leap day", "DTSTART;VALUE=DATE:20240229", "RRULE:FREQ=YEARLY;COUNT=2"),
        _event("Every other", "DTSTART;VALUE=DATE:20250101", "RRULE:FREQ=YEARLY;INTERVAL=2"),
    )
    assert holidays_from_ical(data, years=range(2026, 2031)) == (
        date(2026, 10, 2),
        date(2027, 1, 1),
        date(2027, 9, 15),
        date(2028, 2, 29),
        date(2029, 1, 1),
    )


@pytest.mark.parametrize(
    ("data", "years", "message"),
    [
        (b"not a calendar", None, "not an iCalendar file"),
        (b"BEGIN:VEVENT\r\nEND:VEVENT\r\n", None, "holds a VEVENT, not a VCALENDAR"),
        (_ical(_event("Nothing")), None, "event 'Nothing': No DTSTART"),
        (
            _ical(_event("Yearly", "DTSTART;VALUE=DATE:20250101", "RRULE:FREQ=YEARLY")),
            None,
            "event 'Yearly' repeats; give the years",
        ),
        (
            _ical(_event("Mondays", "DTSTART;VALUE=DATE:20250106", "RRULE:FREQ=WEEKLY;BYDAY=MO")),
            [2026],
            "event 'Mondays' repeats by FREQ=WEEKLY;BYDAY=MO; only plain yearly rules",
        ),
    ],
)
def test_ical_errors_name_the_event_and_the_problem(
    data: bytes, years: list[int] | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        holidays_from_ical(data, years=years)
