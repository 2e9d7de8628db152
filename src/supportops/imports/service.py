"""Importing a source's history: group its lines by ticket, apply each ticket's lines in time order
(ties in file order), and write what they add a chunk of tickets per transaction.

Idempotent: every applied line is recorded under the digest of its content (``import_records``,
kind ``line``) and every source ticket id under the ticket it became (kind ``ticket``), so the same
file imported twice adds nothing, and a later file continues the tickets an earlier one opened. A bad
line is reported and skipped; it writes nothing. Counters are the fold of each ticket's whole log and
its SLA clocks are recomputed by the SLA domain's own code, as of ``now``. Warnings and breaches that
lie in the past are history: no alarm announces them, and only clocks still running get one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportops.config import Settings, get_settings
from supportops.db.session import Database
from supportops.imports import repository
from supportops.imports.directory import Directory
from supportops.imports.lines import (
    Assign,
    Created,
    Event,
    HandleTime,
    LineError,
    MessageLine,
    Nps,
    Presence,
    SelfService,
    SourceLine,
)
from supportops.imports.replay import IMPORT_SOURCE, CsatAnswer, TicketState, apply, check, open_ticket
from supportops.jobs import service as jobs
from supportops.kit.errors import Conflict, InvalidInput
from supportops.metrics import snapshot
from supportops.sla import service as sla
from supportops.sla.clocks import Clock, ClockState
from supportops.tickets import counters
from supportops.tickets.enums import Status
from supportops.tickets.service import AUTO_CLOSE_JOB, COUNTER_FIELDS

DEFAULT_SOURCE = "events"
TICKETS_PER_CHUNK = 1000
LINES_PER_CHUNK = 5000


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    read: int = 0
    applied: int = 0
    already_imported: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    tickets_created: int = 0
    tickets_updated: int = 0
    people_created: int = 0
    organizations_created: int = 0
    groups_created: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"read {self.read:,} lines: {self.applied:,} applied, {self.already_imported:,} already "
            f"imported, {len(self.rejected):,} rejected; tickets: {self.tickets_created:,} created, "
            f"{self.tickets_updated:,} updated; new: {_count(self.people_created, 'person', 'people')}, "
            f"{_count(self.organizations_created, 'organization')}, {_count(self.groups_created, 'group')} "
            f"(source {self.source!r}, {self.seconds:.1f}s)"
        )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def check_source(source: str) -> str:
    source = source.strip()
    if not 1 <= len(source) <= 40:
        raise InvalidInput("The source name is 1 to 40 characters.", field="source")
    return source


def import_lines(
    db: Database,
    lines: Iterable[SourceLine],
    *,
    source: str = DEFAULT_SOURCE,
    now: datetime,
    settings: Settings | None = None,
    tickets_per_chunk: int = TICKETS_PER_CHUNK,
) -> ImportReport:
    """Apply the lines' history; one transaction per chunk of tickets, so that an interrupted import
    resumes where it stopped when run again."""
    started = time.perf_counter()
    run = _Run(source=check_source(source), now=now, settings=settings or get_settings())
    by_ticket: dict[str, list[SourceLine]] = {}
    others: list[SourceLine] = []
    for line in lines:
        run.report.read += 1
        if line.error is not None:
            run.reject(line.number, line.error)
            continue
        key = line.ticket
        if key is None:
            others.append(line)
        else:
            by_ticket.setdefault(key, []).append(line)
            if any(isinstance(e, Created) and not e.implicit for e in line.events):
                run.created_lines.setdefault(key, []).append(line.number)
    groups = list(by_ticket.items())
    step = max(1, tickets_per_chunk)
    others.sort(key=lambda line: (line.at, line.number))
    try:
        for start in range(0, len(groups), step):
            with db.unit_of_work() as session:
                run.tickets(session, groups[start : start + step])
        for start in range(0, len(others), LINES_PER_CHUNK):
            with db.unit_of_work() as session:
                run.others(session, others[start : start + LINES_PER_CHUNK])
    except (IntegrityError, repository.ConcurrentChange) as exc:
        raise Conflict(
            f"Something else changed the same rows while this import ran ({str(exc).splitlines()[0]}); "
            "run the import again: it goes on where it stopped."
        ) from exc
    report = run.report
    report.rejected.sort(key=lambda r: r.line)
    report.people_created = run.directory.created_people
    report.organizations_created = run.directory.created_organizations
    report.groups_created = run.directory.created_groups
    report.seconds = time.perf_counter() - started
    return report


def _names(events: Iterable[Event]) -> tuple[set[str], set[str], set[str]]:
    """The emails, organization names and group names the events mention."""
    emails: set[str] = set()
    organizations: set[str] = set()
    groups: set[str] = set()
    for e in events:
        if isinstance(e, Created):
            emails.add(e.requester)
            if e.organization:
                organizations.add(e.organization)
            if e.group:
                groups.add(e.group)
        elif isinstance(e, MessageLine) and e.author:
            emails.add(e.author)
        elif isinstance(e, Assign):
            groups.add(e.group)
            if e.agent:
                emails.add(e.agent)
        elif isinstance(e, HandleTime | Presence):
            emails.add(e.agent)
        elif isinstance(e, Nps | SelfService) and e.customer:
            emails.add(e.customer)
    return emails, organizations, groups


class _Run:
    """One import: the report, the lines applied so far (for duplicates within the file), the
    people directory, and the chunk steps."""

    def __init__(self, *, source: str, now: datetime, settings: Settings) -> None:
        self.source = source
        self.now = now
        self.settings = settings
        self.report = ImportReport(source=source)
        self.seen: set[str] = set()
        self.created_lines: dict[str, list[int]] = {}
        self.directory = Directory(source=source)

    def reject(self, number: int, error: LineError) -> None:
        self.report.rejected.append(Rejection(number, str(error)))

    def _bind(self, session: Session) -> Directory:
        self.directory.bind(session)
        return self.directory

    def _fresh(self, lines: list[SourceLine], session: Session) -> list[SourceLine]:
        """The lines no earlier import applied."""
        done = repository.recorded(session, source=self.source, kind="line", keys=(x.digest for x in lines))
        fresh = []
        for line in lines:
            if line.digest in done:
                self.report.already_imported += 1
            else:
                fresh.append(line)
        return fresh

    def _repeated(self, line: SourceLine) -> bool:
        """A line applied earlier in this file: the same content twice is one line."""
        if line.digest in self.seen:
            self.report.already_imported += 1
            return True
        return False

    # -- tickets -------------------------------------------------------------------------------

    def tickets(self, session: Session, groups: list[tuple[str, list[SourceLine]]]) -> None:
        directory = self._bind(session)
        kept = set(map(id, self._fresh([line for _, lines in groups for line in lines], session)))
        fresh = {key: new for key, lines in groups if (new := [line for line in lines if id(line) in kept])}
        # Only tickets with something new are read back (with their whole log, for the fold).
        mapped = repository.recorded(session, source=self.source, kind="ticket", keys=fresh)
        ids = [i for i in mapped.values() if i is not None]
        rows = repository.ticket_rows(session, ids)
        logs = repository.histories(session, ids)
        states: dict[str, TicketState] = {}
        for key, ticket_id in mapped.items():
            if ticket_id is not None and ticket_id in rows:
                states[key] = TicketState.from_row(key, rows[ticket_id], logs.get(ticket_id, []))
        directory.preload(*_names(e for lines in fresh.values() for line in lines for e in line.events))
        csat: dict[tuple[str, datetime], CsatAnswer] = {}
        applied: list[tuple[SourceLine, TicketState]] = []
        rejected_created: dict[str, int] = {}
        for key, lines in fresh.items():
            lines.sort(key=lambda line: (line.at, line.number))
            for line in lines:
                if self._repeated(line):
                    continue
                state = states.get(key)
                try:
                    self._check_line(key, line, state, mapped, rejected_created)
                except LineError as exc:
                    self.reject(line.number, exc)
                    if any(isinstance(e, Created) and not e.implicit for e in line.events):
                        rejected_created.setdefault(key, line.number)
                    continue
                for event in line.events:
                    if isinstance(event, Created):
                        if state is None:
                            state = states[key] = open_ticket(event, directory, source=self.source)
                    else:
                        assert state is not None and not isinstance(event, Nps | Presence | SelfService)
                        apply(state, event, directory, csat)
                assert state is not None
                state.applied_lines += 1
                self.seen.add(line.digest)
                applied.append((line, state))
        self.report.applied += len(applied)
        _write_tickets(session, states.values(), now=self.now)
        self._write_csat(session, csat)
        records = [_record(self.source, "ticket", s.key, s.id, self.now) for s in states.values() if s.is_new]
        records += [_record(self.source, "line", line.digest, s.id, self.now) for line, s in applied]
        repository.add_records(session, records)
        touched = [s for s in states.values() if s.pending]
        self._refresh_sla(session, touched)
        self._auto_close(session, touched)
        if applied:
            snapshot.invalidate(session, now=self.now)  # history with old timestamps: reports rebuild
        for s in states.values():
            if s.is_new:
                self.report.tickets_created += 1
            elif s.applied_lines:
                self.report.tickets_updated += 1

    def _check_line(
        self,
        key: str,
        line: SourceLine,
        state: TicketState | None,
        mapped: dict[str, int | None],
        rejected_created: dict[str, int],
    ) -> None:
        opened = state is not None
        for event in line.events:
            assert not isinstance(event, Nps | Presence | SelfService)
            if isinstance(event, Created):
                if opened and not event.implicit:
                    where = "by an earlier import" if key in mapped else "earlier in this file"
                    raise LineError("ticket", f"{key} was already created {where}")
                opened = True
                continue
            if not opened:
                raise LineError("ticket", self._never_created(key, line, rejected_created))
            check(state, event, self.directory)

    def _never_created(self, key: str, line: SourceLine, rejected_created: dict[str, int]) -> str:
        if key in rejected_created:
            return f"{key} was never created: its created line {rejected_created[key]} was rejected"
        later = [n for n in self.created_lines.get(key, []) if n != line.number]
        if later:
            return f"{key} is not created until line {later[0]}, which is later in time"
        return (
            f"{key} was never created: no valid created line for it in this file or in an earlier "
            f"import from source {self.source!r}"
        )

    def _write_csat(self, session: Session, csat: dict[tuple[str, datetime], CsatAnswer]) -> None:
        if not csat:
            return
        answers = list(csat.values())
        existing = repository.csat_ids(
            session,
            [(a.state.id, a.resolved_at) for a in answers if not a.state.is_new and a.state.id is not None],
        )
        inserts, updates = [], []
        for a in answers:
            assert a.state.id is not None
            survey_id = existing.get((a.state.id, a.resolved_at))
            if survey_id is None:
                inserts.append({"ticket_id": a.state.id, **a.row})
            else:
                row = a.row
                updates.append(
                    {
                        "id": survey_id,
                        "score": row["score"],
                        "comment": row["comment"],
                        "sent_at": row["sent_at"],
                        "answered_at": row["answered_at"],
                        "source": row["source"],
                    }
                )
        repository.insert_rows(session, repository.CSAT, inserts)
        repository.update_csat(session, updates)

    def _refresh_sla(self, session: Session, touched: list[TicketState]) -> None:
        """Each touched ticket's clocks, recomputed from its whole log by the SLA domain; only
        clocks still running get an alarm (see the module docstring)."""
        writes = sla.Writes()
        alarms: list[jobs.JobSpec] = []
        for state in touched:
            assert state.id is not None
            facts = {name: state.values[name] for name in sla.FACT_FIELDS}
            clocks = sla.refresh(
                session,
                state.id,
                now=self.now,
                settings=self.settings,
                new=state.is_new,
                facts=facts,
                history=state.log,
                writes=writes,
            )
            alarm = _future_alarm(state.id, clocks, self.now)
            if alarm is not None:
                alarms.append(alarm)
        writes.alarms = alarms
        writes.apply(session)

    def _auto_close(self, session: Session, touched: list[TicketState]) -> None:
        """A ticket left resolved closes N days after its resolution, as live ones do, unless that
        day is already past: the source kept it resolved, and history is not rewritten."""
        days = timedelta(days=self.settings.auto_close_days)
        specs = []
        for state in touched:
            resolved_at = state.values["last_resolved_at"]
            if state.values["status"] != Status.resolved or resolved_at is None:
                continue
            if resolved_at + days <= self.now:
                continue
            specs.append(
                jobs.JobSpec(
                    kind=AUTO_CLOSE_JOB,
                    payload={"ticket_id": state.id, "resolved_at": resolved_at.isoformat()},
                    run_at=resolved_at + days,
                    created_at=self.now,
                    dedupe_key=f"{AUTO_CLOSE_JOB}:{state.id}:{resolved_at.isoformat()}",
                )
            )
        if specs:
            jobs.enqueue_many(session, specs)

    # -- lines without a ticket ----------------------------------------------------------------

    def others(self, session: Session, lines: list[SourceLine]) -> None:
        directory = self._bind(session)
        fresh = self._fresh(lines, session)
        directory.preload(*_names(e for line in fresh for e in line.events))
        nps: list[dict[str, Any]] = []
        presence: list[dict[str, Any]] = []
        latest: dict[int, tuple[datetime, str]] = {}
        self_service: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for line in fresh:
            if self._repeated(line):
                continue
            event = line.events[0]
            try:
                if isinstance(event, Presence):
                    directory.check_agent(event.agent, "agent")
            except LineError as exc:
                self.reject(line.number, exc)
                continue
            if isinstance(event, Nps):
                customer = directory.customer(event.customer, at=event.at)
                nps.append(
                    {
                        "customer_id": customer,
                        "sent_at": event.at,
                        "answered_at": event.at,
                        "score": event.score,
                        "comment": event.comment,
                        "source": IMPORT_SOURCE,
                    }
                )
            elif isinstance(event, Presence):
                agent = directory.agent(event.agent, at=event.at)
                presence.append({"agent_id": agent, "state": event.state, "at": event.at})
                latest[agent] = (event.at, event.state)
            elif isinstance(event, SelfService):
                customer_id = directory.customer(event.customer, at=event.at) if event.customer else None
                self_service.append(
                    {
                        "customer_id": customer_id,
                        "outcome": event.outcome,
                        "at": event.at,
                        "source": IMPORT_SOURCE,
                    }
                )
            self.seen.add(line.digest)
            records.append(_record(self.source, "line", line.digest, None, self.now))
        self.report.applied += len(records)
        repository.insert_rows(session, repository.NPS, nps)
        repository.insert_rows(session, repository.PRESENCE, presence)
        repository.insert_rows(session, repository.SELF_SERVICE, self_service)
        self._presence_profiles(session, latest)
        repository.add_records(session, records)
        if records:
            snapshot.invalidate(session, now=self.now)

    def _presence_profiles(self, session: Session, latest: dict[int, tuple[datetime, str]]) -> None:
        """An agent's routing profile shows the imported presence when it is the latest change."""
        if not latest:
            return
        known = repository.profiles(session, latest)
        inserts, updates = [], []
        for agent_id, (at, state) in latest.items():
            if agent_id not in known:
                inserts.append(
                    {
                        "user_id": agent_id,
                        "presence": state,
                        "presence_changed_at": at,
                        "languages": [],
                        "capacity": {},
                        "shift_calendar_id": None,
                        "last_assigned_at": None,
                        "updated_at": self.now,
                    }
                )
            elif (changed := known[agent_id]) is None or at >= changed:
                updates.append(
                    {
                        "user_id": agent_id,
                        "presence": state,
                        "presence_changed_at": at,
                        "updated_at": self.now,
                    }
                )
        repository.insert_rows(session, repository.PROFILES, inserts)
        repository.update_presence(session, updates)


def _record(source: str, kind: str, key: str, ticket_id: int | None, now: datetime) -> dict[str, Any]:
    return {"source": source, "kind": kind, "key": key, "ticket_id": ticket_id, "created_at": now}


def _future_alarm(ticket_id: int, clocks: list[Clock], now: datetime) -> jobs.JobSpec | None:
    """One alarm at the next warning or due instant still ahead of ``now``, as the SLA domain
    schedules them (same job, same dedupe key)."""
    ahead = [
        when
        for c in clocks
        if c.state == ClockState.active
        for when in (c.warn_at, c.due_at)
        if when is not None and when > now
    ]
    if not ahead:
        return None
    when = min(ahead)
    return jobs.JobSpec(
        kind=sla.ALARM_JOB,
        payload={"ticket_id": ticket_id},
        run_at=when,
        dedupe_key=f"{sla.ALARM_JOB}:{ticket_id}:{when.isoformat()}",
        created_at=now,
    )


def _write_tickets(session: Session, states: Iterable[TicketState], *, now: datetime) -> None:
    """New tickets, their messages, time entries and events, and the changed columns of continued
    tickets: one batched statement per table."""
    new: list[TicketState] = []
    changed: list[TicketState] = []
    for state in states:
        if not state.pending:
            continue
        folded = counters.recompute(state.log)
        state.values.update({name: getattr(folded, name) for name in COUNTER_FIELDS})
        (new if state.is_new else changed).append(state)
    ids = repository.insert_returning_ids(
        session, repository.TICKETS, [{**s.values, "version": 1} for s in new]
    )
    for state, ticket_id in zip(new, ids, strict=True):
        state.id = ticket_id
    repository.update_tickets(
        session,
        [
            {
                "id": s.id,
                "version": s.version,
                **{name: s.values[name] for name in repository.TICKET_UPDATE_COLUMNS},
            }
            for s in changed
        ],
    )
    touched = new + changed
    with_message = [(s, p) for s in touched for p in s.pending if p.message is not None]
    message_ids = repository.insert_returning_ids(
        session, repository.MESSAGES, [{**p.message, "ticket_id": s.id} for s, p in with_message if p.message]
    )
    for (_, pending), message_id in zip(with_message, message_ids, strict=True):
        pending.row["new_value"] = message_id
    with_entry = [(s, p) for s in touched for p in s.pending if p.time_entry is not None]
    entry_ids = repository.insert_returning_ids(
        session,
        repository.TIME_ENTRIES,
        [{**p.time_entry, "ticket_id": s.id} for s, p in with_entry if p.time_entry],
    )
    for (_, pending), entry_id in zip(with_entry, entry_ids, strict=True):
        pending.row["new_value"] = entry_id
    repository.insert_rows(
        session, repository.EVENTS, [{**p.row, "ticket_id": s.id} for s in touched for p in s.pending]
    )
