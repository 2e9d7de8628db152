from __future__ import annotations

from supportops.kit.errors import InvalidInput


class NoBusinessTime(InvalidInput):
    """A deadline that the calendar cannot reach: callers may treat it as "no due date" instead."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="calendar")
