"""Business calendars and exact business-time arithmetic; pure (no database, no clock).

Semantics. An instant is business time iff its local wall-clock time in the calendar's zone lies
in a business interval [start, end) of its local date. On a local date an override replaces the
weekday's hours, otherwise a holiday closes the date, otherwise the weekday's intervals apply.
So when clocks spring forward the skipped wall times do not exist and count nothing, and when
they fall back a repeated wall hour inside business hours counts twice: it is real elapsed time.

- ``add_business_minutes(calendar, start, minutes)``: the earliest instant by which that much
  business time has passed since start; a start outside business hours waits for the next opening,
  and 0 minutes gives that opening (start itself when start is business time). Results are aware
  UTC datetimes, exact to the microsecond.
- ``business_minutes_between(calendar, start, end)``: business minutes in [start, end), 0 when end
  is not after start; so between(start, add(start, m)) == m.
- Naive datetimes are refused: they could mean any zone. Instants lie in the years 1900 to 2999.
- Adding gives up with NoBusinessTime when the calendar does not hold the amount within
  HORIZON_YEARS after start, instead of searching forever.

``BusinessTime(calendar)`` and ``CalendarTime()`` give both kinds of target one shape, ``TimeBasis``.
"""

from supportops.sla.calendar.arithmetic import (
    EARLIEST,
    HORIZON_YEARS,
    LATEST,
    BusinessTime,
    CalendarTime,
    TimeBasis,
    add_business_minutes,
    business_minutes_between,
)
from supportops.sla.calendar.holiday_sources import holiday_preset, holidays_from_ical
from supportops.sla.calendar.model import WEEKDAYS, Calendar, Span, Weekday

__all__ = [
    "EARLIEST",
    "HORIZON_YEARS",
    "LATEST",
    "WEEKDAYS",
    "BusinessTime",
    "Calendar",
    "CalendarTime",
    "Span",
    "TimeBasis",
    "Weekday",
    "add_business_minutes",
    "business_minutes_between",
    "holiday_preset",
    "holidays_from_ical",
]
