"""The report period: half-open ``[start, end)`` in UTC, computed as of an instant.

Volume counts by creation time, first response by the time of the response, CSAT and NPS by rating
time; resolution-based figures take the tickets whose last resolution (as of ``as_of``) falls in the
period and that are solved at ``as_of``; the backlog is the tickets open at ``end``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from supportops.kit.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime
    as_of: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end", "as_of"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidInput(f"{name} must carry a UTC offset.", field=name)
        if self.start >= self.end:
            raise InvalidInput("The period's start must be before its end.", field="from")
        if self.as_of < self.start:
            raise InvalidInput("as_of must not be before the period's start.", field="as_of")

    @classmethod
    def of(cls, start: datetime, end: datetime, as_of: datetime | None = None) -> Period:
        return cls(start=start.astimezone(UTC), end=end.astimezone(UTC), as_of=(as_of or end).astimezone(UTC))

    @classmethod
    def of_days(cls, first: date, until: date, as_of: datetime | None = None) -> Period:
        """``first`` to ``until`` (exclusive) as whole UTC days: ``--from 2026-01-01 --to 2026-02-01``."""
        if first >= until:
            raise InvalidInput(f"--from {first} must be before --to {until}.", field="from")
        return cls.of(datetime.combine(first, time(), UTC), datetime.combine(until, time(), UTC), as_of)

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)

    def contains(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end
