"""Replaying a source's events onto tickets in memory, as the rows the ticket services would write.

History is history: a status move is stored as it happened even where the live state machine would
refuse it, and nothing happens implicitly (a message moves no status and takes no assignment; the
source says so with its own lines). Events are kept exactly as the services write them: ``created``,
``message``, ``change`` of status, priority, ``group_id`` (with ``data.group_tier``) and
``assignee_id``, and ``time``. Every applied event is also kept as a ``LoggedEvent`` so that the
counters and the SLA clocks are folded from the full log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from supportops.imports.directory import Directory
from supportops.imports.lines import (
    Assign,
    Created,
    HandleTime,
    LineError,
    MessageLine,
    PriorityLine,
    Rating,
    StatusLine,
    TicketEvent,
)
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.enums import AuthorKind, Status

IMPORT_SOURCE = "import"
"""The ``source`` of the survey, time-entry and self-service rows an import writes."""

_AUTHOR_KIND = {"agent": AuthorKind.agent, "customer": AuthorKind.customer, "bot": AuthorKind.system}


@dataclass
class Pending:
    """A ticket event to write; a message or time entry it points at gets its id first."""

    row: dict[str, Any]
    message: dict[str, Any] | None = None
    time_entry: dict[str, Any] | None = None


@dataclass
class TicketState:
    """One ticket as the import sees it: its columns, its whole log, and what is still to write."""

    key: str
    id: int | None
    is_new: bool
    values: dict[str, Any]
    version: int = 1
    log: list[LoggedEvent] = field(default_factory=list)
    stored_until: datetime | None = None
    """The time of its last stored event: an import only appends after it."""
    pending: list[Pending] = field(default_factory=list)
    applied_lines: int = 0

    @classmethod
    def from_row(cls, key: str, row: RowMapping, log: list[LoggedEvent]) -> TicketState:
        return cls(
            key=key,
            id=row["id"],
            is_new=False,
            values=dict(row),
            version=row["version"],
            log=log,
            stored_until=max((e.at for e in log), default=row["updated_at"]),
        )

    def resolution_before(self, at: datetime) -> datetime | None:
        """The latest resolution at or before ``at``: the one a rating given then is about."""
        return max(
            (
                e.at
                for e in self.log
                if e.kind == "change"
                and e.field == "status"
                and e.new_value == Status.resolved
                and e.at <= at
            ),
            default=None,
        )

    def _event(
        self,
        at: datetime,
        kind: str,
        *,
        actor_id: int | None = None,
        public: bool = False,
        field_name: str | None = None,
        old: Any = None,
        new: Any = None,
        data: dict[str, Any] | None = None,
    ) -> Pending:
        pending = Pending(
            {
                "at": at,
                "actor_id": actor_id,
                "kind": kind,
                "public": public,
                "field": field_name,
                "old_value": old,
                "new_value": new,
                "data": data,
            }
        )
        self.pending.append(pending)
        self.log.append(LoggedEvent(kind, at, field_name, old, new, data))
        if self.values["updated_at"] < at:
            self.values["updated_at"] = at
        return pending

    def _change(
        self, at: datetime, name: str, value: Any, *, public: bool, data: dict[str, Any] | None = None
    ) -> None:
        old = self.values[name]
        if old == value:
            return
        self.values[name] = value
        self._event(at, "change", public=public, field_name=name, old=old, new=value, data=data)


@dataclass
class CsatAnswer:
    state: TicketState
    resolved_at: datetime
    row: dict[str, Any]


def check(state: TicketState | None, event: TicketEvent, directory: Directory) -> None:
    """Raise LineError when ``event`` cannot apply to ``state`` (None: no such ticket yet). Only
    the cases the line's own parse could not see: the rest was checked when it was read."""
    ordered = not isinstance(event, Rating)  # a rating writes no ticket event
    if ordered and state is not None and state.stored_until is not None and event.at < state.stored_until:
        raise LineError(
            "at",
            f"{event.at.isoformat()} is before the last stored event of ticket {event.ticket} "
            f"({state.stored_until.isoformat()}); an import only appends history after it",
        )
    if isinstance(event, MessageLine) and event.role == "agent" and event.author is not None:
        directory.check_agent(event.author, "author")
    agent = event.agent if isinstance(event, Assign | HandleTime) else None
    if agent is not None:
        directory.check_agent(agent, "agent")


def open_ticket(event: Created, directory: Directory, *, source: str) -> TicketState:
    """A new ticket from its created line: status new, its group at the given tier."""
    at = event.at
    org_id = directory.organization(event.organization, at=at) if event.organization else None
    requester = directory.customer(event.requester, at=at, organization_id=org_id)
    if org_id is None:
        org_id = directory.organization_of(event.requester)
    group_id, tier = None, None
    if event.group is not None:
        group_id, group_tier = directory.group(event.group, tier=event.tier, at=at)
        tier = event.tier or group_tier
    state = TicketState(
        key=event.ticket,
        id=None,
        is_new=True,
        values={
            "subject": event.subject,
            "description": event.description,
            "status": Status.new.value,
            "priority": event.priority,
            "severity": None,
            "channel": event.channel,
            "category": event.category,
            "tags": [],
            "custom_fields": {"import_source": source, "import_id": event.ticket},
            "requester_id": requester,
            "organization_id": org_id,
            "assignee_id": None,
            "group_id": group_id,
            "follow_up_of_id": None,
            "created_by_id": requester,
            "created_at": at,
            "updated_at": at,
            "closed_at": None,
            "sla_due_at": None,
            "sla_warn_at": None,
            "sla_breached": False,
        },
    )
    state._event(
        at,
        "created",
        actor_id=requester,
        public=True,
        data={
            "channel": event.channel,
            "priority": event.priority,
            "assignee_id": None,
            "group_id": group_id,
            "group_tier": tier,
            "follow_up_of_id": None,
        },
    )
    return state


def apply(
    state: TicketState, event: TicketEvent, directory: Directory, csat: dict[tuple[str, datetime], CsatAnswer]
) -> None:
    """Apply a checked event (never a Created: see :func:`open_ticket`)."""
    at = event.at
    if isinstance(event, MessageLine):
        kind = _AUTHOR_KIND[event.role]
        author_id: int | None = None
        if event.author is not None:
            author_id = (
                directory.agent(event.author, at=at)
                if kind == AuthorKind.agent
                else directory.customer(event.author, at=at)
            )
        message = {
            "author_id": author_id,
            "author_kind": kind.value,
            "public": event.public,
            "channel": state.values["channel"],
            "body": event.body,
            "created_at": at,
        }
        pending = state._event(
            at,
            "message",
            actor_id=author_id,
            public=event.public,
            data={"public": event.public, "author_kind": kind.value},
        )
        pending.message = message
    elif isinstance(event, StatusLine):
        old = state.values["status"]
        if old == event.status:
            return
        state.values["status"] = event.status
        if event.status == Status.closed:
            state.values["closed_at"] = at
        elif old == Status.closed:
            state.values["closed_at"] = None
        state._event(at, "change", public=True, field_name="status", old=old, new=event.status)
    elif isinstance(event, Assign):
        group_id, _ = directory.group(event.group, tier=event.tier, at=at)
        state._change(at, "group_id", group_id, public=False, data={"group_tier": event.tier})
        agent_id = directory.agent(event.agent, at=at) if event.agent is not None else None
        state._change(at, "assignee_id", agent_id, public=False)
    elif isinstance(event, PriorityLine):
        state._change(at, "priority", event.priority, public=True)
    elif isinstance(event, Rating):
        resolved_at = state.resolution_before(at) or at
        csat[(state.key, resolved_at)] = CsatAnswer(
            state,
            resolved_at,
            {
                "requester_id": state.values["requester_id"],
                "resolved_at": resolved_at,
                "sent_at": at,
                "answered_at": at,
                "score": event.score,
                "comment": event.comment,
                "source": IMPORT_SOURCE,
            },
        )
    elif isinstance(event, HandleTime):
        agent_id = directory.agent(event.agent, at=at)
        seconds = max(1, round(event.minutes * 60))
        entry = {
            "agent_id": agent_id,
            "started_at": at - timedelta(seconds=seconds),
            "seconds": seconds,
            "source": IMPORT_SOURCE,
            "note": "",
        }
        pending = state._event(at, "time", actor_id=agent_id, data={"seconds": seconds, "agent_id": agent_id})
        pending.time_entry = entry
    else:  # pragma: no cover - Created goes through open_ticket
        raise TypeError(f"cannot apply {type(event).__name__}")
