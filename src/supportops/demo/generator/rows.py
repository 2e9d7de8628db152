"""Rows in their stored form, the ids the generator assigns itself, and the batched bulk inserts
that write them; shared by the cast, the ticket simulation and the loader."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, column, func, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from supportops.db.base import Base
from supportops.demo.generator.shape import _DAY, _EPOCH, _HOUR, _MIN
from supportops.knowledge import models as knowledge_models
from supportops.routing import models as routing_models
from supportops.surveys import models as survey_models
from supportops.tickets.enums import AuthorKind

# The demo writes these domains' tables, so their models must be in the metadata however it is run.
_MODELS = (knowledge_models, routing_models, survey_models)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _dt(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


# Rows are written through untyped tables with values already in their stored form: timestamps as
# naive-UTC text in SQLAlchemy's SQLite format (PostgreSQL casts it to timestamp) and JSON as
# ``json.dumps`` text (cast to jsonb). That is what the typed columns would bind, without their
# per-value overhead, which dominates a million-ticket load.
_DATES: dict[int, str] = {}
_JSON_STRINGS: dict[str, str] = {}


def _ts(seconds: int) -> str:
    day, second = divmod(seconds, _DAY)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    hour, rest = divmod(second, _HOUR)
    minute, sec = divmod(rest, _MIN)
    return f"{date} {hour:02d}:{minute:02d}:{sec:02d}.000000"


def _ts_of(value: datetime | None) -> str | None:
    return None if value is None else _ts(int(value.timestamp()))


def _js(value: Any) -> str:
    if value is None:
        return "null"
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        out = _JSON_STRINGS.get(value)
        if out is None:
            out = json.dumps(value)
            if len(_JSON_STRINGS) < 10_000:
                _JSON_STRINGS[value] = out
        return out
    return json.dumps(value)


_MESSAGE_DATA = {
    (public, kind): (
        {"public": public, "author_kind": kind.value},
        json.dumps({"public": public, "author_kind": kind.value}),
    )
    for public in (True, False)
    for kind in AuthorKind
}
_LIGHT: dict[str, TableClause] = {}


def _light(name: str) -> TableClause:
    light = _LIGHT.get(name)
    if light is None:
        light = _LIGHT[name] = table(name, *(column(c.name) for c in _table(name).columns))
    return light


class _Ids:
    """The next free id per table, read once; the generator assigns ids itself."""

    TABLES = (
        "organizations",
        "users",
        "groups",
        "tickets",
        "messages",
        "ticket_events",
        "time_entries",
        "csat_surveys",
        "nps_surveys",
        "presence_log",
        "self_service_events",
        "kb_searches",
        "kb_votes",
    )

    def __init__(self, session: Session) -> None:
        self.next: dict[str, int] = {}
        for name in self.TABLES:
            current = session.execute(select(func.max(_table(name).c.id))).scalar()
            self.next[name] = int(current or 0) + 1

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


class _Batch:
    def __init__(self) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.time_entries: list[dict[str, Any]] = []
        self.csat_surveys: list[dict[str, Any]] = []
        self.jobs: list[dict[str, Any]] = []


def _insert(session: Session, name: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_light(name).insert(), rows)


def _fix_sequences(session: Session) -> None:
    """PostgreSQL: move each id sequence past the ids the generator assigned itself."""
    for name in _Ids.TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {name}))"
            )
        )
