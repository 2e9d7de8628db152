"""``load`` and ``is_empty``: read the next free ids, write the cast, then generate the tickets and
write them one batch per transaction."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from supportops.auth.passwords import hash_password
from supportops.config import get_settings
from supportops.db.session import Database
from supportops.demo import knowledge, macros
from supportops.demo.generator.customers import _NpsWaves, _self_service
from supportops.demo.generator.people import _build_world
from supportops.demo.generator.roster import _build_roster
from supportops.demo.generator.rows import _Batch, _fix_sequences, _Ids, _insert, _table, _ts
from supportops.demo.generator.shape import _DAY, DEMO_LOGINS, _arrivals, span_days
from supportops.demo.generator.story import _Generator
from supportops.kit.clock import utc
from supportops.kit.errors import Conflict
from supportops.metrics import snapshot
from supportops.metrics.costs import set_cost_inputs
from supportops.sla.bulk import recompute_all
from supportops.tickets.enums import PRIORITIES


@dataclass(frozen=True)
class DemoSummary:
    """What ``load`` wrote; ``agents`` counts all staff (agents, leads and the admin)."""

    organizations: int
    customers: int
    agents: int
    groups: int
    tickets: int
    messages: int
    events: int
    sla_clocks: int
    seconds: float
    csat_surveys: int = 0
    nps_surveys: int = 0
    presence_changes: int = 0
    self_service_events: int = 0


def is_empty(db: Database) -> bool:
    """True when the database has no users (a fresh install)."""
    users = _table("users")
    with db.unit_of_work(write=False) as session:
        return session.execute(select(users.c.id).limit(1)).first() is None


def _priority_labels() -> tuple[str, ...]:
    """P1..P5 in the default scheme; with P0-P3, P4 and P5 both become P3."""
    scheme = get_settings().priority_scheme
    labels = PRIORITIES[scheme]
    return tuple(labels[min(rank, len(labels) - 1)] for rank in range(5))


def load(
    db: Database,
    *,
    tickets: int = 2000,
    seed: int = 7,
    now: datetime | None = None,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Load ``tickets`` tickets with history ending at ``now``, plus the people behind them.

    ``progress`` gets the number of tickets written so far after each committed batch. Raises
    Conflict when the demo logins already exist (the demo data is loaded once per database).
    """
    started = time.perf_counter()
    if tickets < 0:
        raise ValueError("tickets must be zero or more")
    batch_size = max(1, batch_size)
    now_dt = utc(now) if now is not None else datetime.now(UTC)
    now_s = math.floor(now_dt.timestamp())
    days = span_days(tickets)
    start = now_s - days * _DAY

    with db.unit_of_work(write=False) as session:
        users = _table("users")
        taken = session.execute(
            select(users.c.email).where(users.c.email.in_([d.email for d in DEMO_LOGINS]))
        ).first()
        if taken is not None:
            raise Conflict(
                f"The demo data is already loaded ({taken[0]} exists); load it into an empty database."
            )
        ids = _Ids(session)

    hashes = {login.role: hash_password(login.password) for login in DEMO_LOGINS}
    world = _build_world(
        random.Random(f"supportops-demo:{seed}:world"),
        ids,
        tickets=tickets,
        days=days,
        start=start,
        demo_hashes=hashes,
    )
    roster = _build_roster(
        random.Random(f"supportops-demo:{seed}:roster"), world, tickets=tickets, start=start, now=now_s
    )
    with db.unit_of_work() as session:
        _insert(session, "organizations", world.organizations)
        _insert(session, "groups", world.groups)
        _insert(session, "users", world.users)
        _insert(session, "group_memberships", world.memberships)
        _insert(session, "agent_skills", world.skills)
        if db.dialect == "postgresql":
            _fix_sequences(session)

    nps = _NpsWaves(start, now_s)
    gen = _Generator(
        rng=random.Random(f"supportops-demo:{seed}:tickets"),
        world=world,
        roster=roster,
        nps=nps,
        ids=ids,
        now=now_s,
        priority_label=_priority_labels(),
        auto_close_days=get_settings().auto_close_days,
    )
    arrivals = _arrivals(random.Random(f"supportops-demo:{seed}:arrivals"), tickets, start, now_s)
    done = messages = events = csat = 0

    def flush() -> None:
        nonlocal done, messages, events, csat
        batch = gen.batch
        with db.unit_of_work() as session:
            _insert(session, "tickets", batch.tickets)
            _insert(session, "messages", batch.messages)
            _insert(session, "ticket_events", batch.events)
            _insert(session, "time_entries", batch.time_entries)
            _insert(session, "csat_surveys", batch.csat_surveys)
            _insert(session, "jobs", batch.jobs)
            if db.dialect == "postgresql":
                _fix_sequences(session)
        done += len(batch.tickets)
        messages += len(batch.messages)
        events += len(batch.events)
        csat += len(batch.csat_surveys)
        gen.batch = _Batch()
        if progress is not None:
            progress(done)

    for created in arrivals:
        gen.ticket(created)
        if len(gen.batch.tickets) >= batch_size:
            flush()
    if gen.batch.tickets:
        flush()
    # after the tickets: the presence log includes the work the story had agents do on call
    changes = roster.presence()
    presence = (
        {"id": ids.take("presence_log"), "agent_id": agent, "state": state, "at": _ts(at)}
        for at, agent, state in changes
    )
    surveys = nps.rows(
        random.Random(f"supportops-demo:{seed}:nps"), world.customer_ids, lambda: ids.take("nps_surveys")
    )
    self_service = 0
    with db.unit_of_work() as session:
        for chunk in _chunks(presence):
            _insert(session, "presence_log", chunk)
        for chunk in _chunks(iter(surveys)):
            _insert(session, "nps_surveys", chunk)
        kb_rng = random.Random(f"supportops-demo:{seed}:knowledge")
        articles = knowledge.seed_articles(
            session, kb_rng, written=datetime.fromtimestamp(start, UTC), now=now_dt
        )
        macros.seed_macros(session, now=now_dt)
        for chunk in _chunks(_self_service(seed, world, ids, tickets=tickets, start=start, now=now_s)):
            searches, votes = knowledge.with_searches(kb_rng, articles, chunk, ids.take)
            _insert(session, "kb_searches", searches)
            _insert(session, "self_service_events", chunk)
            _insert(session, "kb_votes", votes)
            self_service += len(chunk)
        knowledge.link_tickets(session, articles)
        if db.dialect == "postgresql":
            _fix_sequences(session)
    # The generator writes rows directly, so the SLA clocks are computed from the finished history.
    sla = recompute_all(db, now=now_dt, settings=get_settings())
    with db.unit_of_work() as session:
        # Reports must not reuse a columnar copy of another history (snapshot.py).
        snapshot.invalidate(session, now=now_dt)
        # The demo business serves more customers than ever write in: ten tickets a month per
        # hundred customers, the middle of DOMAIN.md's band.
        monthly = tickets / span_days(tickets) * 30
        set_cost_inputs(session, {"customer_base": max(1, round(monthly * 10))}, now=now_dt)
    if db.dialect == "postgresql":
        # Planner statistics for the tables just filled: without them PostgreSQL guesses that a
        # range on an indexed column matches a third of the rows and scans the table, until
        # autovacuum (where it runs at all) gets round to analysing it. SQLite gets none: the
        # queries are written for its planner without statistics, and some rely on it.
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    return DemoSummary(
        organizations=len(world.organizations),
        customers=world.customer_count,
        agents=world.staff_count,
        groups=len(world.groups),
        tickets=done,
        messages=messages,
        events=events,
        sla_clocks=sla.clocks,
        seconds=round(time.perf_counter() - started, 3),
        csat_surveys=csat,
        nps_surveys=len(surveys),
        presence_changes=len(changes),
        self_service_events=self_service,
    )


def _chunks(rows: Iterator[dict[str, Any]], size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
