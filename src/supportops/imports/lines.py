"""The ticket-event log: one JSON object a line, checked into typed events. Pure: no database.

Every line is checked on its own here (types, required fields, ranges, known statuses); whether its
ticket exists and whether its people may play their part is decided when it is applied. A line is
keyed by the digest of its canonical JSON, so that the same line imported twice is recognised.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportops.tickets.enums import Channel, Status

TIERS = ("L1", "L2", "L3")
ROLES = ("agent", "customer", "bot")
PRESENCE_STATES = ("online", "away", "offline")
SELF_SERVICE_OUTCOMES = ("resolved", "indirect")
MAX_MINUTES = 24 * 60
"""One handle-time entry covers at most a day; more is a unit mistake in the source."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class LineError(Exception):
    """Why a line was rejected, naming the field when there is one."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True)
class Created:
    ticket: str
    at: datetime
    priority: str
    channel: str
    requester: str
    organization: str | None
    category: str | None
    subject: str
    description: str
    group: str | None = None
    tier: str | None = None
    implicit: bool = False
    """Made from a CSV row: opens the ticket unless it exists, and is skipped when it does."""


@dataclass(frozen=True)
class MessageLine:
    ticket: str
    at: datetime
    author: str | None
    """None for a bot: a bot is no person."""
    role: str
    public: bool
    body: str


@dataclass(frozen=True)
class StatusLine:
    ticket: str
    at: datetime
    status: str


@dataclass(frozen=True)
class Assign:
    ticket: str
    at: datetime
    agent: str | None
    group: str
    tier: str


@dataclass(frozen=True)
class PriorityLine:
    ticket: str
    at: datetime
    priority: str


@dataclass(frozen=True)
class Rating:
    ticket: str
    at: datetime
    score: int
    comment: str


@dataclass(frozen=True)
class HandleTime:
    ticket: str
    at: datetime
    agent: str
    minutes: float


@dataclass(frozen=True)
class Nps:
    at: datetime
    customer: str
    score: int
    comment: str


@dataclass(frozen=True)
class Presence:
    at: datetime
    agent: str
    state: str


@dataclass(frozen=True)
class SelfService:
    at: datetime
    customer: str | None
    outcome: str


TicketEvent = Created | MessageLine | StatusLine | Assign | PriorityLine | Rating | HandleTime
OtherEvent = Nps | Presence | SelfService
Event = TicketEvent | OtherEvent

TICKET_TYPES = ("created", "message", "status", "assign", "priority", "rating", "handle_time")
OTHER_TYPES = ("nps", "presence", "self_service")


@dataclass(frozen=True)
class SourceLine:
    """One line of the source (a JSON line or a CSV row): its number, its digest, and the events it
    stands for (one for a JSON line; a CSV row may stand for several), or why it was rejected."""

    number: int
    digest: str
    events: tuple[Event, ...] = ()
    error: LineError | None = None

    @property
    def ticket(self) -> str | None:
        first = self.events[0] if self.events else None
        return first.ticket if first is not None and not isinstance(first, OtherEvent) else None

    @property
    def at(self) -> datetime:
        return self.events[0].at


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces): the same content, the same key."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_jsonl(path: Path, *, priorities: tuple[str, ...]) -> Iterator[SourceLine]:
    """The file's lines, checked; blank lines are skipped, and a line that is not UTF-8 is bad."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield SourceLine(number, digest(raw.hex()), error=LineError(None, "not valid UTF-8"))
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if text.strip():
                yield parse_json(number, text, priorities=priorities)


def parse_json(number: int, text: str, *, priorities: tuple[str, ...]) -> SourceLine:
    """One line of the event log, checked; a bad line comes back with its error."""
    text = text.rstrip("\r\n")
    try:
        value = json.loads(text, parse_constant=_no_constants)
        key = digest(value)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
        return SourceLine(number, digest(text), error=LineError(None, reason))
    except ValueError as exc:
        return SourceLine(number, digest(text), error=LineError(None, f"invalid JSON: {exc}"))
    except RecursionError:
        return SourceLine(number, digest(text), error=LineError(None, "invalid JSON: nested too deeply"))
    if not isinstance(value, dict):
        return SourceLine(number, key, error=LineError(None, "a line must be a JSON object"))
    try:
        event = parse_event(value, priorities=priorities)
    except LineError as exc:
        return SourceLine(number, key, error=exc)
    return SourceLine(number, key, (event,))


def parse_event(obj: dict[str, Any], *, priorities: tuple[str, ...]) -> Event:
    """The typed event of one line; raises LineError naming the first field that is wrong."""
    f = _Fields(obj)
    kind = f.choice("type", TICKET_TYPES + OTHER_TYPES, what="line type")
    at = f.instant("at")
    if kind == "nps":
        return Nps(
            at,
            f.email("customer"),
            f.integer("score", 0, 10, what="an NPS score"),
            f.text("comment", optional=True, max_length=10_000) or "",
        )
    if kind == "presence":
        return Presence(at, f.email("agent"), f.choice("state", PRESENCE_STATES))
    if kind == "self_service":
        return SelfService(at, f.email("customer", nullable=True), f.choice("outcome", SELF_SERVICE_OUTCOMES))
    ticket = f.ticket()
    if kind == "created":
        return Created(
            ticket,
            at,
            priority=f.choice("priority", priorities, what="priority in the configured scheme"),
            channel=f.choice("channel", tuple(c.value for c in Channel)),
            requester=f.email("requester"),
            organization=f.text("organization", nullable=True, max_length=255),
            category=f.text("category", nullable=True, max_length=100),
            subject=f.required_text("subject", max_length=255),
            description=f.text("description", max_length=100_000) or "",
            group=f.text("group", optional=True, max_length=255),
            tier=f.choice("tier", TIERS, optional=True),
        )
    if kind == "message":
        role = f.choice("role", ROLES)
        author = f.email("author") if role != "bot" else None
        if role == "bot":
            f.text("author", max_length=320)
        return MessageLine(
            ticket, at, author, role, f.boolean("public"), f.text("body", max_length=100_000) or ""
        )
    if kind == "status":
        return StatusLine(ticket, at, f.choice("status", tuple(s.value for s in Status)))
    if kind == "assign":
        return Assign(
            ticket,
            at,
            f.email("agent", nullable=True),
            f.required_text("group", max_length=255),
            f.choice("tier", TIERS),
        )
    if kind == "priority":
        return PriorityLine(
            ticket, at, f.choice("priority", priorities, what="priority in the configured scheme")
        )
    if kind == "rating":
        return Rating(
            ticket,
            at,
            f.integer("score", 1, 5, what="a rating"),
            f.text("comment", optional=True, max_length=10_000) or "",
        )
    return HandleTime(ticket, at, f.email("agent"), f.minutes("minutes"))


def parse_instant(value: str) -> datetime:
    """An ISO-8601 timestamp that carries its UTC offset, as aware UTC; raises ValueError."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("no UTC offset")
    return parsed.astimezone(UTC)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:80]


_JSON_TYPE = {str: "a string", bool: "true or false", int: "a number", float: "a number", list: "a list"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPE.get(type(value), "an object")


class _Fields:
    """Reads one field of a line at a time; each failure names the field."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj

    def _get(self, name: str, *, optional: bool) -> Any:
        if name not in self.obj:
            if optional:
                return None
            raise LineError(name, "missing")
        return self.obj[name]

    def text(
        self, name: str, *, optional: bool = False, nullable: bool = False, max_length: int
    ) -> str | None:
        value = self._get(name, optional=optional)
        if value is None and (optional or nullable):
            return None
        if not isinstance(value, str):
            raise LineError(name, f"must be a string, not {_type_name(value)}")
        if "\x00" in value:
            raise LineError(name, "must not contain NUL characters")
        value = value.strip()
        if len(value) > max_length:
            raise LineError(name, f"longer than {max_length} characters")
        if not value and (optional or nullable):
            return None
        return value

    def required_text(self, name: str, *, max_length: int) -> str:
        value = self.text(name, max_length=max_length)
        if not value:
            raise LineError(name, "must not be empty")
        return value

    def email(self, name: str, *, nullable: bool = False) -> Any:
        value = self.text(name, nullable=nullable, max_length=320)
        if value is None:
            if nullable:
                return None
            raise LineError(name, "must not be empty")
        if not EMAIL.match(value):
            raise LineError(name, f"{_show(value)} is not an email address")
        return value.lower()

    def choice(self, name: str, options: tuple[str, ...], *, what: str = "", optional: bool = False) -> Any:
        value = self._get(name, optional=optional)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise LineError(name, f"must be a string, not {_type_name(value)}")
        if value not in options:
            label = what or name
            raise LineError(name, f"{_show(value)} is not a {label}; use one of {', '.join(options)}")
        return value

    def boolean(self, name: str) -> bool:
        value = self._get(name, optional=False)
        if not isinstance(value, bool):
            raise LineError(name, f"must be true or false, not {_show(value)}")
        return value

    def integer(self, name: str, low: int, high: int, *, what: str) -> int:
        value = self._get(name, optional=False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise LineError(name, f"must be a whole number, not {_show(value)}")
        if not low <= value <= high:
            raise LineError(name, f"{what} is {low}-{high}, not {value}")
        return value

    def minutes(self, name: str) -> float:
        value = self._get(name, optional=False)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise LineError(name, f"must be a number, not {_show(value)}")
        if not 0 < value <= MAX_MINUTES:
            raise LineError(name, f"must be more than 0 and at most {MAX_MINUTES} (one day), not {value}")
        return float(value)

    def instant(self, name: str) -> datetime:
        value = self._get(name, optional=False)
        if not isinstance(value, str):
            raise LineError(name, f"must be an ISO-8601 timestamp string, not {_type_name(value)}")
        try:
            return parse_instant(value)
        except ValueError as exc:
            if str(exc) == "no UTC offset":
                raise LineError(name, f"{_show(value)} has no UTC offset (write e.g. +00:00 or Z)") from None
            raise LineError(name, f"{_show(value)} is not an ISO-8601 timestamp") from None

    def ticket(self) -> str:
        value = self._get("ticket", optional=False)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise LineError("ticket", f"must be a string, not {_type_name(value)}")
        text = str(value).strip()
        if not text:
            raise LineError("ticket", "must not be empty")
        if len(text) > 200:
            raise LineError("ticket", "longer than 200 characters")
        return text
