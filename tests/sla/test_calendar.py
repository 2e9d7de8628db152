"""Business-time arithmetic against the brute-force minute walk, and the rules that follow from it."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportops.kit.errors import InvalidInput
from supportops.sla.calendar import (
    EARLIEST,
    LATEST,
    WEEKDAYS,
    BusinessTime,
    Calendar,
    CalendarTime,
    TimeBasis,
    add_business_minutes,
    business_minutes_between,
)
from supportops.sla.calendar.timeline import CHUNK_SECONDS
from supportops.sla.errors import NoBusinessTime
from tests.sla import reference
from tests.sla.strategies import DAY, ZONES, cases


def _weekly_minutes(calendar: Calendar) -> int:
    return sum(span.end - span.start for spans in calendar.week.values() for span in spans)


def _within_years(calendar: Calendar, minutes: float) -> float:
    """Cap an amount to what the calendar holds in about eight years, well inside the horizon."""
    return min(minutes, 400 * _weekly_minutes(calendar))


AMOUNTS = st.one_of(st.integers(0, 600), st.integers(0, 36_000).map(lambda seconds: seconds / 60))


@settings(max_examples=150, deadline=None)
@given(case=cases(), amount=AMOUNTS)
def test_deadline_is_the_earliest_instant_the_minute_walk_reaches(
    case: tuple[Calendar, datetime], amount: float
) -> None:
    calendar, start = case
    minutes = min(amount, _weekly_minutes(calendar))
    expected = reference.add_seconds(calendar, start, round(minutes * 60))
    assert add_business_minutes(calendar, start, minutes) == expected


@settings(max_examples=150, deadline=None)
@given(case=cases(), length=st.integers(0, 4 * DAY))
def test_elapsed_business_time_matches_the_minute_walk(case: tuple[Calendar, datetime], length: int) -> None:
    calendar, start = case
    end = start + timedelta(seconds=length)
    expected = reference.seconds_between(calendar, start, end)
    assert business_minutes_between(calendar, start, end) == expected / 60


@settings(max_examples=200, deadline=None)
@given(case=cases(), minutes=st.one_of(st.integers(0, 500_000), st.floats(0, 500_000)))
def test_elapsed_time_to_a_deadline_is_the_target(case: tuple[Calendar, datetime], minutes: float) -> None:
    calendar, start = case
    minutes = _within_years(calendar, minutes)
    due = add_business_minutes(calendar, start, minutes)
    assert business_minutes_between(calendar, start, due) == round(minutes * 60_000_000) / 60_000_000


@settings(max_examples=100, deadline=None)
@given(case=cases(), first=st.integers(1, 200_000), second=st.integers(1, 200_000))
def test_deadlines_compose_across_years(case: tuple[Calendar, datetime], first: int, second: int) -> None:
    calendar, start = case
    first, second = int(_within_years(calendar, first)) or 1, int(_within_years(calendar, second)) or 1
    stepwise = add_business_minutes(calendar, add_business_minutes(calendar, start, first), second)
    assert stepwise == add_business_minutes(calendar, start, first + second)


@settings(max_examples=100, deadline=None)
@given(case=cases(), lengths=st.tuples(st.integers(0, 800 * DAY), st.integers(0, 800 * DAY)))
def test_elapsed_time_adds_up_across_years(case: tuple[Calendar, datetime], lengths: tuple[int, int]) -> None:
    calendar, start = case
    middle = start + timedelta(seconds=lengths[0])
    end = middle + timedelta(seconds=lengths[1])
    whole = business_minutes_between(calendar, start, end)
    parts = business_minutes_between(calendar, start, middle) + business_minutes_between(
        calendar, middle, end
    )
    assert math.isclose(whole, parts, rel_tol=1e-12, abs_tol=1e-9)


CHUNK_EDGES = st.integers(
    int(EARLIEST.timestamp()) // CHUNK_SECONDS + 1, int(LATEST.timestamp()) // CHUNK_SECONDS - 12
).map(lambda number: number * CHUNK_SECONDS)


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    edge=CHUNK_EDGES,
    offset=st.integers(-2 * DAY, 2 * DAY),
    length=st.integers(0, 1000 * DAY),
)
def test_a_calendar_open_around_the_clock_counts_every_second(
    zone: str, edge: int, offset: int, length: int
) -> None:
    always = Calendar(timezone=zone, week={day: [("00:00", "24:00")] for day in WEEKDAYS})
    start = datetime.fromtimestamp(edge + offset, UTC)
    end = start + timedelta(seconds=length)
    assert business_minutes_between(always, start, end) == CalendarTime().between(start, end)
    assert add_business_minutes(always, start, length / 60) == CalendarTime().add(start, length / 60)


BERLIN = ZoneInfo("Europe/Berlin")


def _berlin(day: date, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second, microsecond), BERLIN)


def _all_sunday(zone: str) -> Calendar:
    return Calendar(timezone=zone, week={"sun": [("00:00", "24:00")]})


@pytest.mark.parametrize(
    ("zone", "sunday", "minutes"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23 * 60),
        ("Europe/Berlin", date(2026, 10, 25), 25 * 60),
        ("America/New_York", date(2026, 3, 8), 23 * 60),
        ("Australia/Lord_Howe", date(2026, 4, 5), 24 * 60 + 30),
        ("Australia/Lord_Howe", date(2026, 10, 4), 24 * 60 - 30),
    ],
)
def test_a_clock_change_day_holds_its_real_length(zone: str, sunday: date, minutes: int) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(sunday, time(), tz)
    end = datetime.combine(sunday + timedelta(days=1), time(), tz)
    assert business_minutes_between(_all_sunday(zone), start - timedelta(days=1), end) == minutes


def test_skipped_wall_hour_counts_nothing_and_repeated_hour_counts_twice() -> None:
    night = Calendar(timezone="Europe/Berlin", week={"sun": [("02:00", "03:00")]})
    spring = business_minutes_between(night, _berlin(date(2026, 3, 29)), _berlin(date(2026, 3, 30)))
    autumn = business_minutes_between(night, _berlin(date(2026, 10, 25)), _berlin(date(2026, 10, 26)))
    assert (spring, autumn) == (0, 120)


def test_deadline_skips_the_spring_forward_gap() -> None:
    night = Calendar(timezone="Europe/Berlin", week={"sun": [("01:00", "04:00")]})
    due = add_business_minutes(night, _berlin(date(2026, 3, 29), 1), 90)
    assert due == _berlin(date(2026, 3, 29), 3, 30)


def test_split_shift_and_holiday_push_the_deadline() -> None:
    calendar = Calendar(
        timezone="Europe/Berlin",
        week={day: [("09:00", "12:30"), ("13:30", "17:00")] for day in WEEKDAYS[:5]},
        holidays=["2026-12-25"],
        overrides={"2026-12-24": [("09:00", "12:00")]},
    )
    assert add_business_minutes(calendar, _berlin(date(2026, 12, 23), 12), 60) == _berlin(
        date(2026, 12, 23), 14
    )
    assert add_business_minutes(calendar, _berlin(date(2026, 12, 24), 11), 61) == _berlin(
        date(2026, 12, 28), 9, 1
    )


def test_override_wins_over_holiday_and_empty_override_closes_the_day() -> None:
    calendar = Calendar(
        timezone="UTC",
        week={"mon": [("09:00", "17:00")]},
        holidays=["2026-12-07", "2026-12-14"],
        overrides={"2026-12-07": [("10:00", "11:00")], "2026-12-21": []},
    )
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    assert business_minutes_between(calendar, monday, monday + timedelta(days=21)) == 60
    assert add_business_minutes(calendar, monday, 61) == datetime(2026, 12, 28, 9, 1, tzinfo=UTC)


def test_hours_ending_at_midnight_join_the_next_morning() -> None:
    night_shift = Calendar(timezone="UTC", week={"mon": [("22:00", "24:00")], "tue": [("00:00", "02:00")]})
    start = datetime(2026, 12, 7, 23, tzinfo=UTC)
    assert add_business_minutes(night_shift, start, 120) == datetime(2026, 12, 8, 1, tzinfo=UTC)


def test_deadline_ending_at_closing_time_is_closing_time_not_the_next_opening() -> None:
    office = Calendar(timezone="UTC", week={"mon": [("09:00", "17:00")], "tue": [("09:00", "17:00")]})
    assert add_business_minutes(office, datetime(2026, 12, 7, 8, tzinfo=UTC), 480) == datetime(
        2026, 12, 7, 17, tzinfo=UTC
    )


def test_zero_minutes_is_the_next_opening_or_start_itself() -> None:
    office = Calendar(timezone="UTC", week={"mon": [("09:00", "17:00")]})
    inside = datetime(2026, 12, 7, 10, 30, 15, 7, tzinfo=UTC)
    assert add_business_minutes(office, inside, 0) == inside
    after_closing = datetime(2026, 12, 7, 17, tzinfo=UTC)
    assert add_business_minutes(office, after_closing, 0) == datetime(2026, 12, 14, 9, tzinfo=UTC)


def test_results_are_utc_and_keep_microseconds() -> None:
    office = Calendar(timezone="Europe/Berlin", week={"mon": [("09:00", "17:00")]})
    due = add_business_minutes(office, _berlin(date(2026, 12, 7), 9, 0, 0, 250), 1.5)
    assert due.utcoffset() == timedelta(0)
    assert due == _berlin(date(2026, 12, 7), 9, 1, 30, 250)


def test_naive_datetimes_and_bad_amounts_are_refused() -> None:
    office = Calendar(timezone="UTC", week={"mon": [("09:00", "17:00")]})
    with pytest.raises(InvalidInput, match="no UTC offset") as naive:
        add_business_minutes(office, datetime(2026, 12, 7, 9), 10)
    assert naive.value.field == "start"
    with pytest.raises(InvalidInput, match="no UTC offset"):
        business_minutes_between(office, datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 8))
    for minutes in (-1, math.nan, math.inf, 1e308):
        with pytest.raises(InvalidInput, match="minutes must be"):
            add_business_minutes(office, datetime(2026, 12, 7, 9, tzinfo=UTC), minutes)
    with pytest.raises(InvalidInput, match="1900 and 2999"):
        add_business_minutes(office, datetime(3000, 1, 1, tzinfo=UTC), 1)


def test_calendar_with_only_past_overrides_gives_up_after_the_horizon() -> None:
    once = Calendar(timezone="UTC", overrides={"2026-12-24": [("09:00", "10:00")]})
    assert add_business_minutes(once, datetime(2026, 12, 1, tzinfo=UTC), 60) == datetime(
        2026, 12, 24, 10, tzinfo=UTC
    )
    for minutes in (0, 1):
        with pytest.raises(NoBusinessTime, match="20 years"):
            add_business_minutes(once, datetime(2026, 12, 24, 10, tzinfo=UTC), minutes)
    with pytest.raises(NoBusinessTime, match="61 business minutes"):
        add_business_minutes(once, datetime(2026, 12, 1, tzinfo=UTC), 61)


def test_end_before_start_has_no_elapsed_time() -> None:
    office = Calendar(timezone="UTC", week={"mon": [("09:00", "17:00")]})
    start = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert business_minutes_between(office, start, start - timedelta(hours=2)) == 0


def test_business_and_calendar_time_share_one_shape() -> None:
    office = Calendar(timezone="UTC", week={"mon": [("09:00", "17:00")]})
    friday_evening = datetime(2026, 12, 4, 18, tzinfo=UTC)
    bases: list[TimeBasis] = [BusinessTime(office), CalendarTime()]
    due = [basis.add(friday_evening, 90) for basis in bases]
    assert due == [datetime(2026, 12, 7, 10, 30, tzinfo=UTC), datetime(2026, 12, 4, 19, 30, tzinfo=UTC)]
    assert [basis.between(friday_evening, due[0]) for basis in bases] == [90, 3870]
    assert CalendarTime().between(due[0], friday_evening) == 0
    with pytest.raises(InvalidInput, match="no UTC offset"):
        CalendarTime().add(datetime(2026, 12, 4), 1)


def test_added_holidays_move_deadlines_of_the_new_calendar_only() -> None:
    office = Calendar(timezone="UTC", week={"mon": [("09:00", "17:00")]})
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)
    before = add_business_minutes(office, start, 60)
    closed = office.with_holidays([date(2026, 12, 7)])
    assert add_business_minutes(closed, start, 60) == datetime(2026, 12, 14, 10, tzinfo=UTC)
    assert add_business_minutes(office, start, 60) == before == datetime(2026, 12, 7, 10, tzinfo=UTC)
