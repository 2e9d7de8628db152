"""Random calendars and starts for the property tests: DST zones, split shifts, holidays and
overrides near the start, "24:00" ends, and starts near clock changes and compiled chunks' edges."""

from __future__ import annotations

import operator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from supportops.sla.calendar import WEEKDAYS, Calendar, Span
from supportops.sla.calendar.timeline import CHUNK_SECONDS

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/St_Johns",
    "Asia/Kathmandu",
)
WINDOW_START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
WINDOW_END = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
# Wall times at which these zones change their clocks, so that intervals often start or end there.
DST_WALL_MINUTES = (0, 60, 90, 120, 150, 180, 1440)


@lru_cache
def clock_changes(zone_name: str) -> tuple[int, ...]:
    """The hours in the window during which the zone's UTC offset changes."""
    zone = ZoneInfo(zone_name)
    found: list[int] = []
    previous = datetime.fromtimestamp(WINDOW_START, zone).utcoffset()
    for hour in range(WINDOW_START, WINDOW_END, 3600):
        offset = datetime.fromtimestamp(hour, zone).utcoffset()
        if offset != previous:
            found.append(hour)
        previous = offset
    return tuple(found)


def instants(zone_name: str) -> st.SearchStrategy[datetime]:
    """Instants in the window, often within days of a clock change or of a compiled chunk's edge."""
    edges = range(WINDOW_START // CHUNK_SECONDS * CHUNK_SECONDS, WINDOW_END, CHUNK_SECONDS)
    near_edge = st.builds(operator.add, st.sampled_from(edges), st.integers(-DAY, DAY))
    seconds = st.one_of(st.integers(WINDOW_START, WINDOW_END), near_edge)
    if changes := clock_changes(zone_name):
        near = st.builds(operator.add, st.sampled_from(changes), st.integers(-3 * DAY, 3 * DAY))
        seconds = st.one_of(seconds, near)
    return seconds.map(lambda second: datetime.fromtimestamp(second, UTC))


def day_hours(min_spans: int = 0) -> st.SearchStrategy[tuple[Span, ...]]:
    boundary = st.one_of(st.integers(0, 1440), st.sampled_from(DST_WALL_MINUTES))
    points = st.lists(boundary, min_size=2 * min_spans, max_size=6, unique=True)
    return points.map(sorted).map(
        lambda p: tuple(Span(p[i], p[i + 1]) for i in range(0, len(p) - 1, 2)),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Calendar, datetime]:
    """A random calendar with at least one open weekday, and a start near its holidays and
    overrides (and often near a clock change)."""
    zone = draw(st.sampled_from(ZONES))
    start = draw(instants(zone))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    nearby = st.integers(-3, 14).map(lambda n: local_day + timedelta(days=n))
    week = draw(st.dictionaries(st.sampled_from(WEEKDAYS), day_hours(), max_size=7))
    week[draw(st.sampled_from(WEEKDAYS))] = draw(day_hours(min_spans=1))
    calendar = Calendar(
        timezone=zone,
        week=week,
        holidays=draw(st.lists(nearby, max_size=5)),
        overrides=draw(st.dictionaries(nearby, day_hours(), max_size=4)),
    )
    return calendar, start
