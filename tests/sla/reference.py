"""A brute-force business clock that applies the calendar's semantics literally, minute by minute.

It asks zoneinfo for the wall time of each instant and checks that wall time against the hours of
its local date. Every zone it is used with has whole-minute offsets and changes them on whole
minutes, so business status can only change on a whole UTC minute: walking from the start to the
next whole minute, then minute by minute, is exact to the second.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from supportops.sla.calendar import WEEKDAYS, Calendar

MAX_STEPS = 60 * 24 * 60  # sixty days of minutes: a generated case that needs more is a bug


def hours_of(calendar: Calendar, day: date) -> tuple[tuple[int, int], ...]:
    if day in calendar.overrides:
        return tuple(calendar.overrides[day])
    if day in calendar.holidays:
        return ()
    return tuple(calendar.week.get(WEEKDAYS[day.weekday()], ()))


def is_business(calendar: Calendar, instant: int) -> bool:
    local = datetime.fromtimestamp(instant, calendar.zone)
    second_of_day = local.hour * 3600 + local.minute * 60 + local.second
    return any(start * 60 <= second_of_day < end * 60 for start, end in hours_of(calendar, local.date()))


def _steps(start: int) -> tuple[int, int]:
    """The walk's first step: from start to the next whole UTC minute."""
    return start, (start // 60 + 1) * 60


def add_seconds(calendar: Calendar, start: datetime, seconds: int) -> datetime:
    """The earliest instant by which ``seconds`` of business time have passed (for 0: the next
    business instant)."""
    instant, step_end = _steps(int(start.timestamp()))
    for _ in range(MAX_STEPS):
        if is_business(calendar, instant):
            if seconds == 0 or seconds <= step_end - instant:
                return datetime.fromtimestamp(instant + seconds, UTC)
            seconds -= step_end - instant
        instant, step_end = step_end, step_end + 60
    raise AssertionError("the reference walked too far: the generated case is unbounded")


def seconds_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    instant, step_end = _steps(int(start.timestamp()))
    stop = int(end.timestamp())
    total = 0
    while instant < stop:
        step_end = min(step_end, stop)
        if is_business(calendar, instant):
            total += step_end - instant
        instant, step_end = step_end, step_end + 60
    return total
