"""The calendar as data: its JSON shape, its validation, and which hours apply on a local date."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from supportops.sla.calendar.timeline import Timeline

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MINUTES_PER_DAY = 24 * 60


class Span(NamedTuple):
    """Business hours of one local date, [start, end) in minutes after local midnight."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_format_time(self.start)}-{_format_time(self.end)}"


def _parse_time(text: object) -> int:
    match = _TIME.match(text) if isinstance(text, str) else None
    minutes = int(match[1]) * 60 + int(match[2]) if match else None
    if minutes is None or minutes > _MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day written HH:MM (00:00 to 24:00)")
    return minutes


def _format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_date(value: Any) -> date:
    """A calendar date as YYYY-MM-DD or a date; never a timestamp or a datetime, whose day is unclear."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a valid date written YYYY-MM-DD")


def _parse_span(value: Any) -> Span:
    if isinstance(value, Span):
        span = value
    elif isinstance(value, list | tuple) and len(value) == 2:
        span = Span(_parse_time(value[0]), _parse_time(value[1]))
    else:
        raise ValueError(f'an interval is a pair of times like ["09:00", "17:00"], not {value!r}')
    if not 0 <= span.start < _MINUTES_PER_DAY:
        raise ValueError(f"interval {span}: it must start from 00:00 to 23:59 (24:00 only ends one)")
    if not span.start < span.end <= _MINUTES_PER_DAY:
        raise ValueError(f"interval {span} does not end after it starts (an interval never crosses midnight)")
    return span


def _sorted_disjoint(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    ordered = tuple(sorted(spans))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise ValueError(f"intervals {before} and {after} overlap")
    return ordered


def _sorted_unique(days: tuple[date, ...]) -> tuple[date, ...]:
    return tuple(sorted(set(days)))


SpanField = Annotated[
    Span,
    BeforeValidator(_parse_span),
    PlainSerializer(lambda span: [_format_time(span.start), _format_time(span.end)]),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "pattern": _TIME.pattern},
            "minItems": 2,
            "maxItems": 2,
            "examples": [["09:00", "17:00"]],
        }
    ),
]
DayHours = Annotated[tuple[SpanField, ...], AfterValidator(_sorted_disjoint)]
LocalDate = Annotated[date, BeforeValidator(_parse_date)]


class Calendar(BaseModel):
    """Business hours in one IANA time zone; the interchange format of the API, the CLI and files.

    On a local date an override replaces the hours; otherwise a holiday closes the date; otherwise
    the weekday's intervals apply, and a weekday not listed is closed. A changed calendar is a new,
    validated one (see with_holidays): ``model_copy(update=...)`` would skip the checks and keep the
    compiled timeline of the original.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(examples=["Europe/Berlin"])
    week: dict[Weekday, DayHours] = Field(default_factory=dict)
    holidays: Annotated[tuple[LocalDate, ...], AfterValidator(_sorted_unique)] = ()
    overrides: dict[LocalDate, DayHours] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin") from None
        return value

    @field_validator("week")
    @classmethod
    def _weekday_order(cls, value: dict[Weekday, tuple[Span, ...]]) -> dict[Weekday, tuple[Span, ...]]:
        return {day: value[day] for day in WEEKDAYS if day in value}

    @field_validator("overrides")
    @classmethod
    def _date_order(cls, value: dict[date, tuple[Span, ...]]) -> dict[date, tuple[Span, ...]]:
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _has_business_hours(self) -> Calendar:
        if not any(self.week.values()) and not any(self.overrides.values()):
            raise ValueError(
                "the calendar has no business hours: give at least one weekday interval "
                "or one override with intervals"
            )
        return self

    @classmethod
    def from_json(cls, data: str | bytes) -> Calendar:
        return cls.model_validate_json(data)

    def to_json(self) -> str:
        return self.model_dump_json()

    def with_holidays(self, days: Iterable[date]) -> Calendar:
        """A copy with more holidays (a fresh instance, so that no compiled timeline is shared)."""
        return Calendar.model_validate({**self.model_dump(), "holidays": [*self.holidays, *days]})

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _weekly(self) -> tuple[Sequence[Span], ...]:
        return tuple(self.week.get(day, ()) for day in WEEKDAYS)

    @cached_property
    def _closed(self) -> frozenset[date]:
        return frozenset(self.holidays)

    def hours_on(self, day: date) -> Sequence[Span]:
        """The business intervals of one local date, after overrides and holidays."""
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day in self._closed:
            return ()
        return self._weekly[day.weekday()]

    @cached_property
    def timeline(self) -> Timeline:
        """Compiled business time, built lazily and kept for the life of this (immutable) calendar."""
        return Timeline(self.zone, self.hours_on)
