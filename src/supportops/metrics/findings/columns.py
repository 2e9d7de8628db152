"""The per-ticket facts the finding detectors read, as numpy columns, kept up to date by deltas.

A detector asks questions of every resolved ticket of a period: which groups it went through, how
soon it came back after being solved, how long each tier held it before moving it up, whether the
agent asked the customer anything before setting it to pending, what its agents' replies said. The
answers come from the event log and the messages, which at a million tickets hold more than fifteen
million rows. They are read once (``build``), reduced per ticket to the facts below, and saved in
the cache folder beside the metrics snapshot; before each use the tickets whose ``updated_at``
moved (every event bumps it, a message included) are read again (``refresh``), with the same
watermark rule and generation number as the snapshot. A detector run then reads columns only.

Facts are the raw material, not the verdicts: thresholds apply when the detectors run. Two
thresholds are text that must be matched against message bodies, the question markers of metric
gaming and the channel phrases of channel forcing; the facts carry the matches for one set of
those texts (``texts``), the stored one. A run that names other texts computes its own facts for
the period's tickets from the database.

Tables, each a set of parallel arrays keyed by ticket id:

- ``ticket``: one row per ticket: first resolution, closing, the ticket it follows up, agent and
  group stations, the subject (coded), the shortest gap from a resolution to a reopen, and whether
  a public system message was posted;
- ``path``: the groups a ticket went through; ``bounce``: each A -> B -> A in its group path;
- ``hold``: each stretch in one tier that ended with a move to a higher tier;
- ``move``: each move to pending, and whether an agent asked a question since the customer last
  wrote;
- ``reply``: each public agent reply, with its reply key (coded; see ``text.reply_key``) and whether
  an earlier reply on the ticket had the same key;
- ``forced``: each (reply, channel) where the reply tells the customer to use that channel;
- ``tag`` and ``field``: the ticket's tags (lower case) and the custom fields it has a value in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from supportops.metrics.findings.scope import EVENTS, MESSAGES, TICKETS, chunks, json_text
from supportops.metrics.findings.text import PhraseMatcher, any_of, reply_key, terms
from supportops.metrics.kept import (
    Kept,
    Registry,
    changed_after,
    epochs,
    load_arrays,
    raw_time,
    read_columns,
    save_arrays,
)
from supportops.metrics.snapshot import generation
from supportops.tickets.counters import TIER_RANK
from supportops.tickets.enums import SOLVED_STATUSES, AuthorKind, Status

log = logging.getLogger(__name__)

FORMAT = 3
CHANNELS = ("phone", "email", "chat", "web")
TIERS = ("L0", "L1", "L2", "L3")
_RANGE = 20_000
"""Tickets per read in a full build: the events and messages of that many tickets at a time."""
# Plain strings: reading an enum member's value costs an attribute lookup through the enum machinery,
# and the loops below do it once per event or message.
_RESOLVED, _PENDING = Status.resolved.value, Status.pending.value
_AGENT, _CUSTOMER = AuthorKind.agent.value, AuthorKind.customer.value

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "ticket": (
        ("id", "i8"),
        ("first_resolved", "f8"),
        ("closed", "f8"),
        ("follow_up_of", "i8"),
        ("agent_stations", "i8"),
        ("group_stations", "i8"),
        ("subject", "i8"),
        ("reopen_gap", "f8"),
        ("system_public", "i1"),
    ),
    "path": (("path_ticket", "i8"), ("path_group", "i8")),
    "bounce": (("bounce_ticket", "i8"), ("bounce_a", "i8"), ("bounce_b", "i8")),
    "hold": (
        ("hold_ticket", "i8"),
        ("hold_tier", "i8"),
        ("hold_start", "f8"),
        ("hold_end", "f8"),
        ("hold_group", "i8"),
        ("hold_holder", "i8"),
    ),
    "move": (("move_ticket", "i8"), ("move_event", "i8"), ("move_actor", "i8"), ("move_asked", "i1")),
    "reply": (
        ("reply_ticket", "i8"),
        ("reply_message", "i8"),
        ("reply_author", "i8"),
        ("reply_key", "i8"),
        ("reply_repeat", "i1"),
    ),
    "forced": (
        ("forced_ticket", "i8"),
        ("forced_message", "i8"),
        ("forced_author", "i8"),
        ("forced_channel", "i8"),
        ("forced_phrase", "i8"),
    ),
    "tag": (("tag_ticket", "i8"), ("tag_code", "i8")),
    "field": (("field_ticket", "i8"), ("field_code", "i8")),
}
ARRAYS = tuple(name for columns in TABLES.values() for name, _ in columns)
_KEY_ARRAYS = (("key_hash", "u8"), ("key_length", "i8"))
LABELS = ("subject", "phrase", "tag", "field")


def texts_of(thresholds: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The thresholds that are matched against message bodies when the facts are built."""
    texts = {"question_markers": list(thresholds["metric_gaming"]["question_markers"])}
    for channel in CHANNELS:
        texts[f"{channel}_phrases"] = list(thresholds["channel_forcing"][f"{channel}_phrases"])
    return texts


@dataclass
class Columns:
    """The facts: ``arrays`` by name (see ``TABLES``), the reply keys, the coded labels, the texts the
    matches were made with, and the watermarks of the last read."""

    arrays: dict[str, npt.NDArray[Any]]
    key_hash: npt.NDArray[np.uint64]
    key_length: IntArray
    labels: dict[str, list[str]]
    texts: dict[str, list[str]]
    subject_terms: list[dict[str, str]] = field(default_factory=list)
    """``text.terms`` of each subject label, read once when the subject is first seen."""
    generation: int = 0
    ticket_mark: float = float("-inf")
    read_at: float = float("-inf")
    _key_codes: dict[int, int] | None = field(default=None, repr=False)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self.arrays[name]

    @property
    def tickets(self) -> int:
        return len(self.arrays["id"])


# -- reading and reducing -----------------------------------------------------------------------


@dataclass
class _Builder:
    """Reduces the rows of some tickets to facts, appending to growing lists."""

    dialect: str
    texts: dict[str, list[str]]
    labels: dict[str, list[str]]
    key_hash: list[int]
    key_length: list[int]
    key_codes: dict[int, int]
    subject_terms: list[dict[str, str]]
    out: dict[str, list[Any]] = field(default_factory=lambda: {name: [] for name in ARRAYS})
    _done: dict[str, list[npt.NDArray[Any]]] = field(default_factory=lambda: {name: [] for name in ARRAYS})
    _codes: dict[str, dict[str, int]] = field(default_factory=dict)
    _matchers: dict[str, PhraseMatcher] | None = None
    _gate: re.Pattern[str] = field(default_factory=lambda: any_of(()))

    def __post_init__(self) -> None:
        for name in LABELS:
            known = self.labels.setdefault(name, [])
            self._codes[name] = {value: i for i, value in enumerate(known)}
        self._markers = [m.lower() for m in self.texts["question_markers"]]

    def code(self, label: str, value: str) -> int:
        codes = self._codes[label]
        found = codes.get(value)
        if found is None:
            found = codes[value] = len(codes)
            self.labels[label].append(value)
            if label == "subject":
                self.subject_terms.append(terms(value))
        return found

    def key_code(self, key: str) -> int:
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
        found = self.key_codes.get(digest)
        if found is None:
            found = self.key_codes[digest] = len(self.key_hash)
            self.key_hash.append(digest)
            self.key_length.append(len(key))
        return found

    def matchers(self, sample: Sequence[str]) -> dict[str, PhraseMatcher]:
        if self._matchers is None:
            self._matchers = {c: PhraseMatcher(self.texts[f"{c}_phrases"], sample) for c in CHANNELS}
            self._gate = any_of(a for m in self._matchers.values() for a in m.anchors)
        return self._matchers

    # -- the three reads of a batch of tickets ----------------------------------------------------

    def read(self, session: Session, where: Callable[[Any], ColumnElement[bool]]) -> None:
        """Facts of the tickets whose id satisfies ``where(id column)``."""
        t, e, m = TICKETS, EVENTS, MESSAGES
        d = self.dialect
        tickets = read_columns(
            session,
            select(
                t.c.id,
                raw_time(t.c.first_resolved_at, d),
                raw_time(t.c.closed_at, d),
                t.c.follow_up_of_id,
                t.c.agent_stations,
                t.c.group_stations,
                t.c.subject,
                t.c.tags,
                t.c.custom_fields,
            )
            .where(where(t.c.id))
            .order_by(t.c.id),
        )
        events = read_columns(
            session,
            select(
                e.c.ticket_id,
                e.c.id,
                raw_time(e.c.at, d),
                e.c.field,
                json_text(e.c.old_value, d),
                json_text(e.c.new_value, d),
                e.c.data["group_id"].as_string(),
                e.c.data["group_tier"].as_string(),
                e.c.data["assignee_id"].as_string(),
                e.c.actor_id,
            )
            .where(
                where(e.c.ticket_id),
                or_(
                    e.c.kind == "created",
                    and_(e.c.kind == "change", e.c.field.in_(("group_id", "assignee_id", "status"))),
                ),
            )
            .order_by(e.c.ticket_id, e.c.id),
        )
        agent = _AGENT
        messages = read_columns(
            session,
            select(
                m.c.ticket_id,
                m.c.id,
                raw_time(m.c.created_at, d),
                m.c.author_kind,
                m.c.author_id,
                case((m.c.author_kind == agent, m.c.body), else_=None),
            )
            .where(where(m.c.ticket_id), m.c.public.is_(True))
            .order_by(m.c.ticket_id, m.c.id),
        )
        self._reduce(tickets, events, messages)

    def _reduce(
        self, tickets: list[Sequence[Any]], events: list[Sequence[Any]], messages: list[Sequence[Any]]
    ) -> None:
        d = self.dialect
        event_at = epochs(events[2], d).tolist() if events[0] else []
        message_at = epochs(messages[2], d).tolist() if messages[0] else []
        by_ticket_events = _spans(events[0])
        by_ticket_messages = _spans(messages[0])
        sample = [b.lower() for b in messages[5][:: max(1, len(messages[5]) // 1000)] if b is not None]
        matchers = self.matchers(sample)
        first_resolved = epochs(tickets[1], d).tolist()
        closed = epochs(tickets[2], d).tolist()
        o = self.out
        for i, ticket_id in enumerate(tickets[0]):
            o["id"].append(ticket_id)
            o["first_resolved"].append(first_resolved[i])
            o["closed"].append(closed[i])
            o["follow_up_of"].append(-1 if tickets[3][i] is None else tickets[3][i])
            o["agent_stations"].append(tickets[4][i])
            o["group_stations"].append(tickets[5][i])
            o["subject"].append(self.code("subject", tickets[6][i]))
            for tag in {str(t).lower() for t in _json(tickets[7][i]) or ()}:
                o["tag_ticket"].append(ticket_id)
                o["tag_code"].append(self.code("tag", tag))
            for name, value in (_json(tickets[8][i]) or {}).items():
                if value is not None and value != "":
                    o["field_ticket"].append(ticket_id)
                    o["field_code"].append(self.code("field", name))
            lo, hi = by_ticket_events.get(ticket_id, (0, 0))
            moves = self._events(ticket_id, events, event_at, lo, hi)
            lo, hi = by_ticket_messages.get(ticket_id, (0, 0))
            self._messages(ticket_id, messages, message_at, lo, hi, moves, matchers)

    def _events(
        self, ticket_id: int, ev: list[Sequence[Any]], at: list[float], lo: int, hi: int
    ) -> list[tuple[int, float, int | None]]:
        """Group path, holds and the reopen gap of one ticket; returns its moves to pending."""
        o = self.out
        path: list[int] = []
        tier: str | None = None
        group: int | None = None
        assignee: int | None = None
        since = 0.0
        solved_at: float | None = None
        gap = np.inf
        moves: list[tuple[int, float, int | None]] = []
        for k in range(lo, hi):
            field_name, old, new = ev[3][k], ev[4][k], ev[5][k]
            when = at[k]
            if field_name == "status":
                if new == _RESOLVED:
                    solved_at = when
                elif old == _RESOLVED and new not in SOLVED_STATUSES and solved_at is not None:
                    gap = min(gap, when - solved_at)
                if new == _PENDING:
                    moves.append((ev[1][k], when, ev[9][k]))
                continue
            if field_name == "assignee_id":
                assignee = _id(new)
                continue
            if field_name is None:  # created
                assignee = _id(ev[8][k])
                moved_to = _id(ev[6][k])
            else:
                moved_to = _id(new)
            if moved_to is not None and (not path or path[-1] != moved_to):
                path.append(moved_to)
            new_tier = ev[7][k]
            if moved_to is None or new_tier not in TIER_RANK:
                continue
            if tier is not None and TIER_RANK[new_tier] > TIER_RANK[tier]:
                o["hold_ticket"].append(ticket_id)
                o["hold_tier"].append(TIERS.index(tier))
                o["hold_start"].append(since)
                o["hold_end"].append(when)
                o["hold_group"].append(-1 if group is None else group)
                o["hold_holder"].append(-1 if assignee is None else assignee)
            if new_tier != tier:
                since = when
            tier, group = new_tier, moved_to
        for g in set(path):
            o["path_ticket"].append(ticket_id)
            o["path_group"].append(g)
        for j in range(len(path) - 2):
            if path[j] == path[j + 2]:
                o["bounce_ticket"].append(ticket_id)
                o["bounce_a"].append(path[j])
                o["bounce_b"].append(path[j + 1])
        o["reopen_gap"].append(gap)
        return moves

    def _messages(
        self,
        ticket_id: int,
        ms: list[Sequence[Any]],
        at: list[float],
        lo: int,
        hi: int,
        moves: list[tuple[int, float, int | None]],
        matchers: dict[str, PhraseMatcher],
    ) -> None:
        o = self.out
        system = 0
        agent, customer = _AGENT, _CUSTOMER
        asks: list[tuple[int, float, bool]] = []  # agent replies: (id, at, asks a question)
        heard: list[tuple[int, float]] = []  # customer messages: (id, at)
        keys: set[int] = set()
        for k in range(lo, hi):
            kind, message_id, author = ms[3][k], ms[1][k], ms[4][k]
            if kind == customer:
                heard.append((message_id, at[k]))
                continue
            if kind != agent:
                system = 1
                continue
            body: str = ms[5][k]
            lowered = body.lower()
            asks.append((message_id, at[k], any(marker in lowered for marker in self._markers)))
            key = reply_key(body)
            o["reply_ticket"].append(ticket_id)
            o["reply_message"].append(message_id)
            o["reply_author"].append(-1 if author is None else author)
            code = self.key_code(key)
            o["reply_key"].append(code)
            o["reply_repeat"].append(int(code in keys))
            keys.add(code)
            if self._gate.search(lowered) is None:
                continue
            for channel, matcher in matchers.items():
                if not matcher.may_match(lowered):
                    continue
                found = matcher.search(key)
                if found is not None:
                    o["forced_ticket"].append(ticket_id)
                    o["forced_message"].append(message_id)
                    o["forced_author"].append(-1 if author is None else author)
                    o["forced_channel"].append(CHANNELS.index(channel))
                    o["forced_phrase"].append(self.code("phrase", found))
        o["system_public"].append(system)
        for event_id, when, actor in moves:
            last_heard = max((i for i, t in heard if t <= when), default=0)
            asked = any(a for i, t, a in asks if t <= when and i > last_heard)
            o["move_ticket"].append(ticket_id)
            o["move_event"].append(event_id)
            o["move_actor"].append(-1 if actor is None else actor)
            o["move_asked"].append(int(asked))

    def flush(self) -> None:
        """Turn what was reduced so far into arrays: lists of Python numbers take several times the
        memory, so a full build keeps only one range of tickets in them."""
        types = {name: kind for columns in TABLES.values() for name, kind in columns}
        for name, values in self.out.items():
            if values:
                self._done[name].append(np.array(values, dtype=types[name]))
                values.clear()

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        self.flush()
        types = {name: kind for columns in TABLES.values() for name, kind in columns}
        return {
            name: np.concatenate(parts) if parts else np.empty(0, dtype=types[name])
            for name, parts in self._done.items()
        }


def _in_range(lo: int, hi: int) -> Callable[[Any], ColumnElement[bool]]:
    return lambda column: and_(column >= lo, column < hi)


def _in_list(ids: list[int]) -> Callable[[Any], ColumnElement[bool]]:
    return lambda column: column.in_(ids)


def _spans(ticket_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Start and end index of each ticket's rows in rows ordered by ticket."""
    spans: dict[int, tuple[int, int]] = {}
    start = 0
    for k in range(1, len(ticket_ids) + 1):
        if k == len(ticket_ids) or ticket_ids[k] != ticket_ids[start]:
            spans[ticket_ids[start]] = (start, k)
            start = k
    return spans


def _id(value: Any) -> int | None:
    """An id that SQL pulled out of JSON as text (or as a number, on SQLite)."""
    return None if value is None or value == "null" else int(value)


def _json(value: Any) -> Any:
    """A JSON column read raw: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def _new_builder(session: Session, texts: dict[str, list[str]], base: Columns | None) -> _Builder:
    labels = {k: list(v) for k, v in base.labels.items()} if base is not None else {}
    known_terms = list(base.subject_terms) if base is not None else []
    hashes = base.key_hash.tolist() if base is not None else []
    lengths = base.key_length.tolist() if base is not None else []
    return _Builder(
        dialect=session.get_bind().dialect.name,
        texts=texts,
        labels=labels,
        subject_terms=known_terms,
        key_hash=hashes,
        key_length=lengths,
        key_codes=(
            dict(base._key_codes)
            if base is not None and base._key_codes is not None
            else {h: i for i, h in enumerate(hashes)}
        ),
    )


def _finish(builder: _Builder, arrays: dict[str, npt.NDArray[Any]], texts: dict[str, list[str]]) -> Columns:
    return Columns(
        arrays=arrays,
        key_hash=np.array(builder.key_hash, dtype=np.uint64),
        key_length=np.array(builder.key_length, dtype=np.int64),
        labels=builder.labels,
        subject_terms=builder.subject_terms,
        texts=texts,
        _key_codes=builder.key_codes,
    )


def build(session: Session, texts: dict[str, list[str]]) -> Columns:
    """Read every ticket: the slow path, taken once per generation (and when the texts change)."""
    read_at = time.time()
    gen = generation(session)
    mark = _ticket_mark(session)
    top = session.scalar(select(func.max(TICKETS.c.id))) or 0
    builder = _new_builder(session, texts, None)
    for lo in range(0, top + 1, _RANGE):
        builder.read(session, _in_range(lo, lo + _RANGE))
        builder.flush()
    columns = _finish(builder, builder.arrays(), texts)
    columns.generation = gen
    columns.read_at = read_at
    columns.ticket_mark = mark
    return columns


def for_tickets(session: Session, ids: Iterable[int], texts: dict[str, list[str]]) -> Columns:
    """The facts of some tickets only, with ``texts``: for a run whose texts differ from the kept ones."""
    builder = _new_builder(session, texts, None)
    for part in chunks(ids):
        builder.read(session, _in_list(part))
    return _finish(builder, builder.arrays(), texts)


def refresh(session: Session, columns: Columns) -> tuple[Columns, int]:
    """Bring the facts up to date: the tickets created or touched since the last read are read again."""
    if columns.generation != generation(session):
        return build(session, columns.texts), -1
    read_at = time.time()
    new_mark = _ticket_mark(session)
    max_id = int(columns["id"].max()) if columns.tickets else 0
    changed = set(session.scalars(select(TICKETS.c.id).where(TICKETS.c.id > max_id)))
    since = changed_after(TICKETS.c.updated_at, columns.ticket_mark, columns.read_at)
    if since is not None:
        changed.update(session.scalars(select(TICKETS.c.id).where(since)))
    if changed:
        builder = _new_builder(session, columns.texts, columns)
        for part in chunks(changed):
            builder.read(session, _in_list(part))
        fresh = builder.arrays()
        gone = np.array(sorted(changed), dtype=np.int64)
        merged: dict[str, npt.NDArray[Any]] = {}
        for table in TABLES.values():
            names = [name for name, _ in table]
            keep = ~np.isin(columns[names[0]], gone)
            for name in names:
                merged[name] = np.concatenate((columns[name][keep], fresh[name]))
        order = np.argsort(merged["id"], kind="stable")
        for name, _ in TABLES["ticket"]:
            merged[name] = merged[name][order]
        result = _finish(builder, merged, columns.texts)
    else:
        result = Columns(
            arrays=columns.arrays,
            key_hash=columns.key_hash,
            key_length=columns.key_length,
            labels=columns.labels,
            subject_terms=columns.subject_terms,
            texts=columns.texts,
            _key_codes=columns._key_codes,
        )
    result.generation = columns.generation
    if result.tickets != session.scalar(select(func.count()).select_from(TICKETS)):
        return build(session, columns.texts), -1  # rows went away: deltas cannot say which
    result.ticket_mark = max(new_mark, columns.ticket_mark)
    result.read_at = read_at
    return result, len(changed)


def _ticket_mark(session: Session) -> float:
    value = session.scalar(select(func.max(TICKETS.c.updated_at)))
    return value.timestamp() if value is not None else float("-inf")


# -- keeping copies -----------------------------------------------------------------------------


def save(columns: Columns, path: Path) -> None:
    """Atomically: a reader sees the old file or the new one."""
    meta = {
        "format": FORMAT,
        "labels": columns.labels,
        "subject_terms": columns.subject_terms,
        "texts": columns.texts,
        "generation": columns.generation,
        "ticket_mark": columns.ticket_mark,
        "read_at": columns.read_at,
    }
    keys = {"key_hash": columns.key_hash, "key_length": columns.key_length}
    save_arrays(path, meta, {**keys, **columns.arrays})


def load(path: Path) -> Columns | None:
    """The saved facts, or None when there are none or they are unreadable or of another format."""
    found = load_arrays(path, (*ARRAYS, "key_hash", "key_length"), FORMAT)
    if found is None:
        return None
    meta, arrays = found
    return Columns(
        arrays={name: arrays[name] for name in ARRAYS},
        key_hash=arrays["key_hash"],
        key_length=arrays["key_length"],
        labels=meta["labels"],
        subject_terms=meta["subject_terms"],
        texts=meta["texts"],
        generation=meta["generation"],
        ticket_mark=meta["ticket_mark"],
        read_at=meta["read_at"],
    )


class Store(Kept[Columns]):
    """One process's facts per database, backed by a file ``finding-facts-*.cols`` in ``folder``
    (None: memory only)."""

    def __init__(self, folder: Path | None, save_after: int = 20_000) -> None:
        super().__init__(folder, "finding-facts", load, save, save_after)

    def current(self, session: Session, texts: dict[str, list[str]]) -> Columns:
        """The facts, up to date, matched with ``texts`` (the stored thresholds' texts)."""

        def update(held: Columns | None) -> tuple[Columns, int]:
            if held is None or held.texts != texts:
                return build(session, texts), -1
            return refresh(session, held)

        return self.kept(session, update)


store_for = Registry(Store)
forget_all = store_for.forget_all
