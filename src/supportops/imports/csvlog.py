"""Event logs in CSV: which columns hold the case, the time and the status, and how their values map
onto supportops' lifecycle, tiers and priorities. Each row becomes the same events as JSON lines.

A row stands for: the case's creation (taken only by the case's earliest row; for later rows the
ticket exists and it is skipped), a status change (unless the status maps to "keep"), a move to its
team at its support level, and its priority. Moves that change nothing write nothing, so every row
can say all it knows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from supportops.config import PriorityScheme
from supportops.imports.lines import (
    EMAIL,
    TIERS,
    Assign,
    Created,
    Event,
    LineError,
    PriorityLine,
    SourceLine,
    StatusLine,
    digest,
)
from supportops.kit.clock import utc
from supportops.kit.errors import InvalidInput
from supportops.tickets.enums import DEFAULT_PRIORITY, PRIORITIES, Channel, Status

STATUS_SEPARATOR = "/"
"""Several status columns are read as one value, joined with this: ``Accepted/Wait - User``."""

DEFAULT_LEVEL_MAP: dict[str, str] = {
    **{tier: tier for tier in TIERS},
    "1": "L1",
    "2": "L2",
    "3": "L3",
    "1st": "L1",
    "2nd": "L2",
    "3rd": "L3",
    "1st line": "L1",
    "2nd line": "L2",
    "3rd line": "L3",
}


@dataclass(frozen=True)
class CsvMapping:
    """Where the facts are in the rows, and what their values mean. A status mapped to None keeps
    the ticket's previous status."""

    case: str
    timestamp: str
    status: tuple[str, ...]
    team: str | None = None
    level: str | None = None
    impact: str | None = None
    category: str | None = None
    status_map: Mapping[str, str | None] = field(default_factory=dict)
    level_map: Mapping[str, str] = field(default_factory=dict)
    impact_map: Mapping[str, str] = field(default_factory=dict)
    timestamp_format: str | None = None
    timezone: str | None = None
    channel: str = Channel.email.value
    requester: str = ""
    """The customer every case is filed for: CSV event logs seldom name one."""

    def columns(self) -> list[tuple[str, str]]:
        named = [("--case", self.case), ("--timestamp", self.timestamp)]
        named += [("--status", column) for column in self.status]
        for option, column in (
            ("--team", self.team),
            ("--level", self.level),
            ("--impact", self.impact),
            ("--category", self.category),
        ):
            if column is not None:
                named.append((option, column))
        return named


# --- the BPIC 2013 preset ---------------------------------------------------------------------

BPIC2013_STATUS_MAP: dict[str, Status | None] = {
    "Queued/Awaiting Assignment": Status.triaged,
    "Accepted/Assigned": Status.assigned,
    "Accepted/In Progress": Status.in_progress,
    "Accepted/Wait - User": Status.pending,
    "Accepted/Wait - Customer": Status.on_hold,
    "Accepted/Wait - Vendor": Status.on_hold,
    "Accepted/Wait - Implementation": Status.on_hold,
    "Accepted/Wait": Status.on_hold,
    "Completed/Resolved": Status.resolved,
    "Completed/In Call": Status.resolved,
    "Completed/Closed": Status.closed,
    "Completed/Cancelled": Status.closed,
    "Unmatched/Unmatched": None,
}
BPIC2013_LEVEL_MAP = {"L1": "L1", "L2": "L2", "L3": "L3", "L2/L3": "L2"}
_BPIC2013_IMPACTS = ("Major", "High", "Medium", "Low")


def _impact_map(scheme: PriorityScheme) -> dict[str, str]:
    """Major → the most urgent priority, then down one per step: P1-P4 of P1-P5, P0-P3 of P0-P3."""
    return dict(zip(_BPIC2013_IMPACTS, PRIORITIES[scheme], strict=False))


PRESETS = ("bpic2013",)


def preset(name: str, *, scheme: PriorityScheme, source: str) -> CsvMapping:
    """The columns and maps of a known event log."""
    if name != "bpic2013":
        raise InvalidInput(f"Unknown preset {name!r}; known: {', '.join(PRESETS)}.", field="preset")
    return CsvMapping(
        case="SR Number",
        timestamp="Change Date+Time",
        status=("Status", "Sub Status"),
        team="Involved ST",
        level="ST Level",
        impact="SR Latest Impact",
        category="Product",
        status_map={k: (v.value if v is not None else None) for k, v in BPIC2013_STATUS_MAP.items()},
        level_map=BPIC2013_LEVEL_MAP,
        impact_map=_impact_map(scheme),
        timezone="Europe/Brussels",
        requester=default_requester(source),
    )


def default_requester(source: str) -> str:
    """A customer address under the reserved ``.invalid`` domain: no mail can ever reach it."""
    local = "".join(c if c.isalnum() or c in "-_." else "-" for c in source.lower()) or "csv"
    return f"requester@{local}.invalid"


def with_defaults(mapping: CsvMapping, *, scheme: PriorityScheme, source: str) -> CsvMapping:
    """Fill in what the caller left open: identity maps onto supportops' own values, a requester."""
    status_map = mapping.status_map or {s.value: s.value for s in Status}
    level_map = mapping.level_map or DEFAULT_LEVEL_MAP
    impact_map = mapping.impact_map or {p: p for p in PRIORITIES[scheme]}
    return replace(
        mapping,
        status_map=status_map,
        level_map=level_map,
        impact_map=impact_map,
        requester=mapping.requester or default_requester(source),
    )


def check_mapping(mapping: CsvMapping, *, scheme: PriorityScheme) -> None:
    """The maps point at real statuses, tiers and priorities, and the time zone exists."""
    statuses = {s.value for s in Status}
    for key, value in mapping.status_map.items():
        if value is not None and value not in statuses:
            raise InvalidInput(
                f"The status map sends {key!r} to {value!r}, which is not a status; use one of "
                f"{', '.join(sorted(statuses))}, or null to keep the previous status.",
                field="status_map",
            )
    for key, value in mapping.level_map.items():
        if value not in TIERS:
            raise InvalidInput(
                f"The level map sends {key!r} to {value!r}; use one of {', '.join(TIERS)}.", field="level_map"
            )
    allowed = PRIORITIES[scheme]
    for key, value in mapping.impact_map.items():
        if value not in allowed:
            raise InvalidInput(
                f"The impact map sends {key!r} to {value!r}, which is not a priority of the "
                f"{scheme.upper()} scheme; use one of {', '.join(allowed)}.",
                field="impact_map",
            )
    if not EMAIL.match(mapping.requester):
        raise InvalidInput(f"{mapping.requester!r} is not an email address.", field="requester")
    if mapping.channel not in {c.value for c in Channel}:
        raise InvalidInput(f"{mapping.channel!r} is not a channel.", field="channel")
    if mapping.timezone is not None:
        try:
            ZoneInfo(mapping.timezone)
        except (KeyError, ValueError):
            raise InvalidInput(f"{mapping.timezone!r} is not an IANA time zone.", field="timezone") from None


def parse_map(text: str, option: str) -> dict[str, Any]:
    """A JSON object given on the command line (``--status-map '{...}'``), or ``@file.json``."""
    field_name = option.lstrip("-").replace("-", "_")
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(
                f"{option}: cannot read {text[1:]}: {exc.strerror}.", field=field_name
            ) from None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{option} is not valid JSON ({exc}).", field=field_name) from None
    if not isinstance(value, dict) or not all(isinstance(v, str | None) for v in value.values()):
        raise InvalidInput(f"{option} must be a JSON object whose values are strings.", field=field_name)
    return value


# --- reading rows -----------------------------------------------------------------------------


class CsvProblem(InvalidInput):
    """The file as a whole cannot be read with this mapping (a missing column, no time zone)."""


class _Reader:
    def __init__(self, mapping: CsvMapping, *, scheme: PriorityScheme, source_name: str) -> None:
        self.m = mapping
        self.zone = ZoneInfo(mapping.timezone) if mapping.timezone else None
        self.default_priority = DEFAULT_PRIORITY[scheme]
        self.source_name = source_name
        self.level_keys = {k.lower(): v for k, v in mapping.level_map.items()}

    def instant(self, value: str) -> datetime:
        text = value.strip()
        if not text:
            raise LineError("timestamp", "empty")
        try:
            parsed = (
                datetime.strptime(text, self.m.timestamp_format)
                if self.m.timestamp_format
                else datetime.fromisoformat(text)
            )
        except ValueError:
            wanted = self.m.timestamp_format or "ISO 8601"
            raise LineError("timestamp", f"{text!r} does not match {wanted}") from None
        if parsed.tzinfo is None:
            if self.zone is None:
                raise LineError("timestamp", f"{text!r} has no UTC offset; name its zone with --timezone")
            parsed = parsed.replace(tzinfo=self.zone)
        return utc(parsed)

    def events(self, row: dict[str, str]) -> tuple[Event, ...]:
        m = self.m
        case = (row[m.case] or "").strip()
        if not case:
            raise LineError("case", "empty")
        if len(case) > 200:
            raise LineError("case", "longer than 200 characters")
        at = self.instant(row[m.timestamp] or "")
        status_value = STATUS_SEPARATOR.join((row[c] or "").strip() for c in m.status)
        if status_value not in m.status_map:
            raise LineError("status", f"{status_value!r} is not in the status map")
        status = m.status_map[status_value]
        priority = self.default_priority
        if m.impact is not None:
            impact = (row[m.impact] or "").strip()
            if impact not in m.impact_map:
                raise LineError("impact", f"{impact!r} is not in the impact map")
            priority = m.impact_map[impact]
        team = (row[m.team] or "").strip()[:255] if m.team is not None else ""
        tier: str | None = None
        if m.level is not None:
            level = (row[m.level] or "").strip()
            tier = self.level_keys.get(level.lower())
            if tier is None:
                raise LineError("level", f"{level!r} is not in the level map")
        category = None
        if m.category is not None:
            category = (row[m.category] or "").strip()[:100] or None
        out: list[Event] = [
            Created(
                case,
                at,
                priority=priority,
                channel=m.channel,
                requester=m.requester,
                organization=None,
                category=category,
                subject=f"{self.source_name} case {case}"[:255],
                description=f"Imported from the {self.source_name} event log, case {case}.",
                group=team or None,
                tier=tier if team else None,
                implicit=True,
            )
        ]
        if status is not None:
            out.append(StatusLine(case, at, status))
        if team:
            out.append(Assign(case, at, None, team, tier or "L1"))
        if m.impact is not None:
            out.append(PriorityLine(case, at, priority))
        return tuple(out)


def read_csv(path: Path, mapping: CsvMapping, *, scheme: PriorityScheme, source: str) -> Iterator[SourceLine]:
    """The rows as source lines (line numbers count the header as line 1). Raises CsvProblem when
    the file lacks a mapped column, or when its first row's time has no offset and no zone is named."""
    reader_state = _Reader(mapping, scheme=scheme, source_name=source)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [(option, column) for option, column in mapping.columns() if column not in header]
        if missing:
            named = ", ".join(f"{column!r} ({option})" for option, column in missing)
            raise CsvProblem(
                f"{path.name} has no column {named}; its columns: {', '.join(header) or 'none'}.",
                field=missing[0][0].lstrip("-"),
            )
        first = True
        for row in reader:
            number = reader.line_num
            if None in row:
                row.pop(None)
                yield SourceLine(number, digest(row), error=LineError(None, "more fields than the header"))
                continue
            clean = {k: (v if v is not None else "") for k, v in row.items()}
            key = digest(clean)
            try:
                events = reader_state.events(clean)
            except LineError as exc:
                if first and reader_state.zone is None and "no UTC offset" in exc.message:
                    reason = "the timestamps carry no UTC offset; name their zone with --timezone."
                    raise CsvProblem(f"line {number}: {reason}", field="timezone") from None
                yield SourceLine(number, key, error=exc)
            else:
                yield SourceLine(number, key, events)
            first = False
