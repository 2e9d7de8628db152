"""SLA use cases: which policy applies, keeping a ticket's clocks in step, alarms, compliance.

Clocks follow the ticket's event log: every change to a ticket marks it, and before the transaction
commits its clocks are recomputed from the whole log under the policy that applies now. So a change
of policy, priority or calendar is a recomputation, and paused time is never lost. Warnings and
breaches are durable jobs due at their exact instant; they re-check the clock when they run, and a
breach is recorded once per clock cycle.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from supportops.auth.models import Organization
from supportops.config import Settings, get_settings
from supportops.db.session import database_key, forget_now_and_at_commit
from supportops.db.statements import Write
from supportops.jobs import service as jobs
from supportops.sla import actions as sla_actions
from supportops.sla.calendar import BusinessTime, Calendar, CalendarTime, TimeBasis
from supportops.sla.clocks import Clock, ClockState, Metric, Transition, by_cycle, evaluate, transitions
from supportops.sla.models import SlaCalendar, SlaClock, SlaEvent, SlaPolicy
from supportops.sla.policy import AROUND_THE_CLOCK, ConditionField, PolicyRules, built_in_rules
from supportops.tickets import repository as ticket_rows
from supportops.tickets.counters import LoggedEvent
from supportops.tickets.events import SLA_SUMMARY
from supportops.tickets.models import Ticket, TicketEvent

ALARM_JOB = "sla.alarm"
PENDING_KEY = "supportops.sla.pending"

POLICY_CACHE_SECONDS = 2.0
"""How long a process trusts its list of policies; a change made elsewhere applies within this, and
the recomputation it triggers waits this long so that it sees every ticket opened meanwhile."""

# A calendar open around the clock in UTC counts business time as calendar time: skip its tables.
AROUND_THE_CLOCK_TIME: TimeBasis = CalendarTime()


@dataclass(frozen=True)
class Applied:
    policy_id: int | None
    rules: PolicyRules
    business: TimeBasis


# Calendars by content: equal definitions share one compiled timeline.
_timelines: dict[str, TimeBasis] = {}


def business_time(definition: dict[str, Any]) -> TimeBasis:
    key = json.dumps(definition, sort_keys=True)
    found = _timelines.get(key)
    if found is None:
        if len(_timelines) > 256:
            _timelines.clear()
        calendar = Calendar.model_validate(definition)
        found = AROUND_THE_CLOCK_TIME if calendar == AROUND_THE_CLOCK else BusinessTime(calendar)
        _timelines[key] = found
    return found


def rules_of(policy: SlaPolicy) -> PolicyRules:
    return PolicyRules.model_validate(
        {
            "conditions": policy.conditions,
            "targets": policy.targets,
            "pauses": policy.pauses,
            "warn_share": policy.warn_share,
            "breach_actions": policy.breach_actions,
        }
    )


_ACTIVE_POLICIES = (
    select(SlaPolicy, SlaCalendar.definition)
    .join(SlaCalendar, SlaCalendar.id == SlaPolicy.calendar_id)
    .where(SlaPolicy.active.is_(True))
    .order_by(SlaPolicy.position)
)


class _PolicyCache:
    """The active policies of each database, parsed, for ``POLICY_CACHE_SECONDS``: choosing a policy
    happens on every ticket change, and the list changes rarely."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[Pool, tuple[float, list[Applied]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(self, session: Session) -> list[Applied]:
        key = database_key(session)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        policies = [
            Applied(policy.id, rules_of(policy), business_time(definition))
            for policy, definition in session.execute(_ACTIVE_POLICIES)
        ]
        with self._lock:
            self._entries[key] = (time.monotonic() + POLICY_CACHE_SECONDS, policies)
        return policies

    def forget(self, session: Session) -> None:
        forget_now_and_at_commit(session, self._entries, self._lock)


policy_cache = _PolicyCache()


def applicable(session: Session, facts: dict[str, Any], settings: Settings) -> Applied:
    """The first active policy, by position, whose conditions match; else the built-in one. The
    organization's plan is read only when a policy asks about it and ``facts`` lack it."""
    for applied in policy_cache.get(session):
        if "plan" not in facts and applied.rules.conditions.uses(ConditionField.plan):
            organization_id = facts.get("organization_id")
            plan = None if organization_id is None else session.scalar(_PLAN, {"id": organization_id})
            facts = {**facts, "plan": plan}
        if applied.rules.conditions.match(facts):
            return applied
    return Applied(None, built_in_rules(settings.priority_scheme), AROUND_THE_CLOCK_TIME)


_PLAN = select(Organization.plan).where(Organization.id == bindparam("id"))


TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
CLOCKS: Table = SlaClock.__table__  # type: ignore[assignment]
EVENTS: Table = SlaEvent.__table__  # type: ignore[assignment]

# Statements are built once and take the ticket as a parameter: refresh runs on every change.
FACT_COLUMNS = (
    Ticket.priority,
    Ticket.severity,
    Ticket.channel,
    Ticket.category,
    Ticket.tags,
    Ticket.organization_id,
    Ticket.group_id,
    Organization.plan,
)
_FACTS = (
    select(*FACT_COLUMNS)
    .outerjoin(Organization, Organization.id == Ticket.organization_id)
    .where(Ticket.id == bindparam("ticket_id"))
)
_HISTORY = (
    select(
        TicketEvent.kind,
        TicketEvent.at,
        TicketEvent.field,
        TicketEvent.old_value,
        TicketEvent.new_value,
        TicketEvent.data,
    )
    .where(TicketEvent.ticket_id == bindparam("ticket_id"))
    .order_by(TicketEvent.id)
)
_KNOWN = select(EVENTS.c.metric, EVENTS.c.cycle, EVENTS.c.kind, EVENTS.c.at).where(
    EVENTS.c.ticket_id == bindparam("ticket_id")
)
_DROP_CLOCKS = Write(delete(CLOCKS).where(CLOCKS.c.ticket_id == bindparam("ticket_id")))
_ADD_CLOCKS = Write(insert(CLOCKS))
_ADD_EVENTS = Write(insert(EVENTS))
_SUMMARY = Write(
    update(TICKETS)
    .where(TICKETS.c.id == bindparam("ticket_id"))
    .values(
        sla_due_at=bindparam("sla_due_at"),
        sla_warn_at=bindparam("sla_warn_at"),
        sla_breached=bindparam("sla_breached"),
    )
)


def _facts(session: Session, ticket_id: int) -> dict[str, Any] | None:
    row = session.execute(_FACTS, {"ticket_id": ticket_id}).first()
    return dict(row._mapping) if row is not None else None


def _history(session: Session, ticket_id: int) -> list[LoggedEvent]:
    rows = session.execute(_HISTORY, {"ticket_id": ticket_id})
    return [LoggedEvent(r.kind, r.at, r.field, r.old_value, r.new_value, r.data) for r in rows]


# --- keeping clocks in step -------------------------------------------------------------------


FACT_FIELDS = ("priority", "severity", "channel", "category", "tags", "organization_id", "group_id")


@dataclass(frozen=True)
class Evaluation:
    """A ticket's clocks as of an instant, with the policy and the transitions they came from."""

    applied: Applied
    steps: list[Transition]
    clocks: list[Clock]

    def summary(self) -> dict[str, Any]:
        """The ticket row's SLA columns: the soonest due and warning instants of running clocks,
        and whether an unfulfilled clock has breached."""
        running = [c for c in self.clocks if c.state == ClockState.active]
        return {
            "sla_due_at": min((c.due_at for c in running if c.due_at), default=None),
            "sla_warn_at": min((c.warn_at for c in running if c.warn_at), default=None),
            "sla_breached": any(
                c.state == ClockState.breached and c.fulfilled_at is None for c in self.clocks
            ),
        }


def evaluation(
    session: Session,
    facts: dict[str, Any],
    history: Iterable[LoggedEvent],
    *,
    now: datetime,
    settings: Settings,
) -> Evaluation:
    applied = applicable(session, facts, settings)
    steps = transitions(history, pauses=applied.rules.pause_rules())
    clocks = [
        evaluate(cycle_steps, target, applied.business, now=now, warn_share=applied.rules.warn_share)
        for (metric, _), cycle_steps in by_cycle(steps).items()
        if (target := applied.rules.target_for(facts["priority"], metric)) is not None
    ]
    return Evaluation(applied, steps, clocks)


@dataclass
class _Mark:
    at: datetime
    new: bool = False
    facts: dict[str, Any] | None = None
    history: tuple[LoggedEvent, ...] = ()
    prepared: Evaluation | None = None
    """Computed before the ticket row was written, which carries its summary already."""


def _pending(session: Session) -> dict[int, _Mark]:
    pending: dict[int, _Mark] = session.info.setdefault(PENDING_KEY, {})
    return pending


def mark(session: Session, ticket_id: int, at: datetime) -> None:
    """Recompute this ticket's clocks before the transaction commits (once, however many changes)."""
    pending = _pending(session)
    found = pending.get(ticket_id)
    if found is None:
        pending[ticket_id] = _Mark(at)
    else:  # changed again after it was opened: read it back like any other ticket
        found.at, found.facts, found.history, found.prepared = max(found.at, at), None, (), None


PREPARED_NOTE = "sla"


def _new_facts(fields: dict[str, Any], history: tuple[LoggedEvent, ...]) -> dict[str, Any] | None:
    facts = {name: fields[name] for name in FACT_FIELDS if name in fields}
    return facts if len(facts) == len(FACT_FIELDS) and history else None


def prepare(
    session: Session,
    at: datetime,
    *,
    fields: dict[str, Any],
    history: tuple[LoggedEvent, ...],
    notes: dict[str, Any],
) -> dict[str, Any]:
    """A ticket about to be written: its clocks as of ``at``, kept in ``notes`` for
    :func:`mark_new`, and the SLA columns its row is written with, so that it needs no update."""
    facts = _new_facts(fields, history)
    if facts is None:
        return {}
    found = evaluation(session, facts, history, now=at, settings=get_settings())
    notes[PREPARED_NOTE] = found
    return found.summary()


def mark_new(
    session: Session,
    ticket_id: int,
    at: datetime,
    *,
    fields: dict[str, Any],
    history: tuple[LoggedEvent, ...],
    notes: dict[str, Any] | None = None,
) -> None:
    """A ticket opened in this transaction: it has no clocks yet, and its fields and first events
    come with the event, so its clocks cost no reads. ``notes`` are those :func:`prepare` filled
    before the row was written, if it was."""
    facts = _new_facts(fields, history)
    if facts is None:
        _pending(session)[ticket_id] = _Mark(at, True)
        return
    _pending(session)[ticket_id] = _Mark(at, True, facts, history, (notes or {}).get(PREPARED_NOTE))


@dataclass
class Writes:
    """Rows a recomputation writes, gathered so that many tickets (a batch of creates, a chunk of a
    recomputation) cost one statement per table instead of one per ticket."""

    events: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[jobs.JobSpec] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, session: Session) -> None:
        """Plain table statements, sent straight to the driver in the session's transaction."""
        conn = session.connection()
        _ADD_EVENTS.run(conn, self.events)
        _DROP_CLOCKS.run(conn, self.dropped)
        _ADD_CLOCKS.run(conn, self.clocks)
        if self.alarms:
            jobs.enqueue_many(session, self.alarms)
        _SUMMARY.run(conn, self.summaries)
        for summary in self.summaries:
            ticket_rows.written_later(
                session,
                summary["ticket_id"],
                {name: summary[name] for name in SLA_SUMMARY},
            )


def refresh_marked(session: Session) -> None:
    pending: dict[int, _Mark] = session.info.pop(PENDING_KEY, {})
    if not pending:
        return
    session.flush()
    settings = get_settings()
    writes = Writes()
    for ticket_id, marked in pending.items():
        refresh(
            session,
            ticket_id,
            now=marked.at,
            settings=settings,
            new=marked.new,
            facts=marked.facts,
            history=marked.history or None,
            writes=writes,
            prepared=marked.prepared,
        )
    writes.apply(session)


def refresh(
    session: Session,
    ticket_id: int,
    *,
    now: datetime,
    settings: Settings,
    new: bool = False,
    facts: dict[str, Any] | None = None,
    history: Iterable[LoggedEvent] | None = None,
    known: set[tuple[str, int, str, datetime]] | None = None,
    writes: Writes | None = None,
    prepared: Evaluation | None = None,
) -> list[Clock]:
    """Recompute, store and schedule one ticket's clocks as of ``now``. ``facts``, ``history`` and
    the ``known`` metric events may come from the caller (a ticket opened in this transaction, a
    bulk recomputation that read many tickets at once); otherwise they are read. With ``writes`` the
    rows are gathered there for the caller to apply; otherwise they are written. ``new`` means the
    ticket has no clock rows to replace. ``prepared`` is the evaluation of a new ticket made before
    its row was written with the summary (:func:`prepare`); it needs ``facts``."""
    if prepared is not None:
        assert facts is not None and new
        found = prepared
    else:
        facts = facts if facts is not None else _facts(session, ticket_id)
        if facts is None:
            return []
        found = evaluation(
            session,
            facts,
            history if history is not None else _history(session, ticket_id),
            now=now,
            settings=settings,
        )
    if known is None:
        known = set() if new else {tuple(r) for r in session.execute(_KNOWN, {"ticket_id": ticket_id})}
    out = writes if writes is not None else Writes()
    out.events.extend(
        {
            "ticket_id": ticket_id,
            "metric": s.metric.value,
            "cycle": s.cycle,
            "kind": s.kind.value,
            "at": s.at,
            "data": None,
        }
        for s in found.steps
        if (s.metric.value, s.cycle, s.kind.value, s.at) not in known
    )
    if not new:
        out.dropped.append({"ticket_id": ticket_id})
    out.clocks.extend(_clock_row(ticket_id, c, facts, found.applied.policy_id, now) for c in found.clocks)
    alarm = _next_alarm(ticket_id, found.clocks, known, now=now)
    if alarm is not None:
        out.alarms.append(alarm)
    if prepared is None:
        out.summaries.append({"ticket_id": ticket_id, **found.summary()})
    if writes is None:
        out.apply(session)
    return found.clocks


def _clock_row(
    ticket_id: int, c: Clock, facts: dict[str, Any], policy_id: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "metric": c.metric.value,
        "cycle": c.cycle,
        "policy_id": policy_id,
        "priority": facts["priority"],
        "group_id": facts["group_id"],
        "state": c.state.value,
        "target_minutes": c.target.minutes,
        "business": c.target.business,
        "activated_at": c.activated_at,
        "running_since": c.running_since,
        "due_at": c.due_at,
        "warn_at": c.warn_at,
        "breached_at": c.breached_at,
        "fulfilled_at": c.fulfilled_at,
        "business_minutes": c.business_minutes,
        "calendar_minutes": c.calendar_minutes,
        "evaluated_at": now,
    }


def _unfired(c: Clock, fired: set[tuple[str, int, str]]) -> list[datetime]:
    """Instants at which this clock still has a warning or a breach to record."""
    instants = []
    if c.state == ClockState.active:
        if c.warn_at is not None and (c.metric, c.cycle, "warn") not in fired:
            instants.append(c.warn_at)
        if c.due_at is not None:
            instants.append(c.due_at)
    elif (
        c.state == ClockState.breached
        and c.breached_at is not None
        and (c.metric, c.cycle, "breach") not in fired
    ):
        instants.append(c.breached_at)
    return instants


def _next_alarm(
    ticket_id: int, clocks: Iterable[Clock], known: set[tuple[str, int, str, datetime]], *, now: datetime
) -> jobs.JobSpec | None:
    """One alarm per ticket, at the next instant a clock warns or breaches. The alarm records what
    is due and schedules the next one; an alarm whose instant moved away finds nothing to do."""
    fired = {(metric, cycle, kind) for metric, cycle, kind, _ in known if kind in ("warn", "breach")}
    instants = [when for c in clocks for when in _unfired(c, fired)]
    if not instants:
        return None
    when = max(min(instants), now)
    return jobs.JobSpec(
        kind=ALARM_JOB,
        payload={"ticket_id": ticket_id},
        run_at=when,
        dedupe_key=f"{ALARM_JOB}:{ticket_id}:{when.isoformat()}",
        created_at=now,
    )


# --- alarms -----------------------------------------------------------------------------------


@jobs.handler(ALARM_JOB)
def run_alarm(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """Record every warning and breach the ticket's clocks, recomputed now, have reached; once."""
    ticket_id = int(payload["ticket_id"])
    clocks = refresh(session, ticket_id, now=now, settings=get_settings())
    fired = {
        (r.metric, r.cycle, r.kind)
        for r in session.execute(_KNOWN, {"ticket_id": ticket_id})
        if r.kind in ("warn", "breach")
    }
    settings = get_settings()
    actions = applicable(session, _facts(session, ticket_id) or {}, settings).rules.breach_actions
    for c in clocks:
        if (
            c.state == ClockState.active
            and c.warn_at is not None
            and c.warn_at <= now
            and _fire(session, ticket_id, c, "warn", c.warn_at, fired, now=now)
        ):
            sla_actions.on_warning(session, ticket_id, c, actions, now=now)
        if (
            c.state == ClockState.breached
            and c.breached_at is not None
            and _fire(session, ticket_id, c, "breach", c.breached_at, fired, now=now)
        ):
            sla_actions.on_breach(session, ticket_id, c, actions, now=now, settings=settings)


def _fire(
    session: Session,
    ticket_id: int,
    c: Clock,
    kind: str,
    at: datetime,
    fired: set[tuple[str, int, str]],
    *,
    now: datetime,
) -> bool:
    """Record a warning or breach unless it is on record already; True when it was recorded now."""
    if (c.metric.value, c.cycle, kind) in fired:
        return False
    fired.add((c.metric.value, c.cycle, kind))
    _ADD_EVENTS.run(
        session.connection(),
        [
            {
                "ticket_id": ticket_id,
                "metric": c.metric.value,
                "cycle": c.cycle,
                "kind": kind,
                "at": at,
                "data": {
                    "target_minutes": c.target.minutes,
                    "business": c.target.business,
                    "fired_at": now.isoformat(),
                },
            }
        ],
    )
    return True


def clock_rows(session: Session, ticket_id: int) -> list[SlaClock]:
    return list(
        session.scalars(
            select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.metric, SlaClock.cycle)
        )
    )


def metric_events(session: Session, ticket_id: int) -> list[SlaEvent]:
    return list(
        session.scalars(select(SlaEvent).where(SlaEvent.ticket_id == ticket_id).order_by(SlaEvent.id))
    )


__all__ = [
    "ALARM_JOB",
    "Applied",
    "Evaluation",
    "Metric",
    "applicable",
    "clock_rows",
    "evaluation",
    "mark",
    "prepare",
    "refresh",
    "refresh_marked",
]
