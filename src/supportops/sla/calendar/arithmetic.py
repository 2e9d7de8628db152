"""Deadlines and elapsed time in business minutes of a calendar, or in plain calendar minutes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from supportops.kit.errors import InvalidInput
from supportops.sla.calendar.model import Calendar
from supportops.sla.calendar.timeline import US_PER_SECOND, Timeline
from supportops.sla.errors import NoBusinessTime

HORIZON_YEARS = 20
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
US_PER_MINUTE = 60 * US_PER_SECOND
HORIZON_US = HORIZON_YEARS * 366 * 86_400 * US_PER_SECOND


def _epoch_us(value: datetime, field: str) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{field} {value.isoformat()} has no UTC offset; give an aware datetime "
            "(a naive one could mean any zone)",
            field=field,
        )
    if not EARLIEST <= value < LATEST:
        raise InvalidInput(f"{field} must lie between the years 1900 and 2999", field=field)
    return epoch_us(value)


def epoch_us(value: datetime) -> int:
    """An aware instant as whole microseconds since the Unix epoch (unchecked)."""
    return (value - EPOCH) // _MICROSECOND


def instant(us: int) -> datetime:
    """The aware UTC instant ``us`` microseconds after the Unix epoch."""
    return EPOCH + _MICROSECOND * us


def amount_us(minutes: float) -> int:
    """``minutes`` as whole microseconds; refused unless finite and >= 0."""
    amount = minutes * US_PER_MINUTE
    if not math.isfinite(amount) or amount < 0:
        raise InvalidInput(f"minutes must be a finite number >= 0, not {minutes}", field="minutes")
    return round(amount)


# -- on microseconds: the arithmetic itself, which the checked functions below and the bulk path
# (sla/batch.py) share ------------------------------------------------------------------------------


def business_due_us(timeline: Timeline, start_us: int, amount: int) -> int | None:
    """The earliest instant by which ``amount`` microseconds of business time have passed since
    ``start_us`` (with 0, the first business instant at or after it); None past the horizon."""
    limit = start_us + HORIZON_US
    if amount:
        return timeline.reach(start_us, amount, limit=limit)
    return timeline.next_opening(start_us, limit=limit)


def business_minutes_us(timeline: Timeline, start_us: int, end_us: int) -> float:
    """Business minutes in [start_us, end_us); 0 when end is not after start."""
    if end_us <= start_us:
        return 0.0
    return timeline.elapsed(start_us, end_us) / US_PER_MINUTE


def wall_minutes_us(start_us: int, end_us: int) -> float:
    """Calendar minutes in [start_us, end_us); 0 when end is not after start."""
    return max(end_us - start_us, 0) / US_PER_MINUTE


def no_business_time(minutes: float, amount: int, start: datetime) -> NoBusinessTime:
    """The error for a calendar that does not hold ``minutes`` of business time after ``start``."""
    wanted = f"{minutes} business minutes" if amount else "any business time"
    return NoBusinessTime(
        f"the calendar does not hold {wanted} in the {HORIZON_YEARS} years after "
        f"{start.isoformat()}; add weekday hours or later overrides"
    )


def add_business_minutes(calendar: Calendar, start: datetime, minutes: float) -> datetime:
    """The earliest instant (aware, UTC) by which ``minutes`` of business time have passed since start.

    0 minutes gives the first business instant at or after start. Raises NoBusinessTime when the
    calendar does not hold that much business time within HORIZON_YEARS after start.
    """
    start_us = _epoch_us(start, "start")
    amount = amount_us(minutes)
    due = business_due_us(calendar.timeline, start_us, amount)
    if due is None:
        raise no_business_time(minutes, amount, start)
    return instant(due)


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Business minutes in [start, end); 0 when end is not after start."""
    return business_minutes_us(calendar.timeline, _epoch_us(start, "start"), _epoch_us(end, "end"))


class TimeBasis(Protocol):
    """What an SLA target is measured in, so that callers treat business and calendar time alike."""

    def add(self, start: datetime, minutes: float) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> float: ...


@dataclass(frozen=True)
class BusinessTime:
    """Minutes that count only during the calendar's business hours."""

    calendar: Calendar

    def add(self, start: datetime, minutes: float) -> datetime:
        return add_business_minutes(self.calendar, start, minutes)

    def between(self, start: datetime, end: datetime) -> float:
        return business_minutes_between(self.calendar, start, end)


@dataclass(frozen=True)
class CalendarTime:
    """Minutes that count around the clock (24x7): every instant is business time."""

    def add(self, start: datetime, minutes: float) -> datetime:
        return instant(_epoch_us(start, "start") + amount_us(minutes))

    def between(self, start: datetime, end: datetime) -> float:
        end_us = _epoch_us(end, "end")
        return wall_minutes_us(_epoch_us(start, "start"), end_us)
