"""Event-log lines, importing them, and reading back what an import stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from supportops.config import Settings
from supportops.db.session import Database
from supportops.imports.lines import read_jsonl
from supportops.imports.models import ImportRecord
from supportops.imports.service import ImportReport, import_lines
from supportops.tickets.enums import PRIORITIES
from supportops.tickets.models import Ticket

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""When the imports run: after every line of history below."""
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))

TABLES = (
    "tickets",
    "ticket_events",
    "messages",
    "time_entries",
    "users",
    "organizations",
    "groups",
    "csat_surveys",
    "nps_surveys",
    "presence_log",
    "agent_profiles",
    "self_service_events",
    "sla_clocks",
    "sla_events",
    "import_records",
    "jobs",
)


def at(minutes: float) -> str:
    """T0 plus ``minutes``, written with a +01:00 offset as another help desk might."""
    return (T0 + timedelta(minutes=minutes)).astimezone(CET).isoformat()


def instant(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def created(ticket: str, minutes: float, **over: Any) -> dict[str, Any]:
    line = {
        "ticket": ticket,
        "type": "created",
        "at": at(minutes),
        "priority": "P3",
        "channel": "email",
        "requester": "ann@acme.com",
        "organization": "Acme",
        "category": "billing",
        "subject": f"Ticket {ticket}",
        "description": "Something is wrong.",
    }
    line.update(over)
    return line


def message(ticket: str, minutes: float, author: str, role: str, public: bool = True) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "type": "message",
        "at": at(minutes),
        "author": author,
        "role": role,
        "public": public,
        "body": f"{role} says something",
    }


def status(ticket: str, minutes: float, value: str) -> dict[str, Any]:
    return {"ticket": ticket, "type": "status", "at": at(minutes), "status": value}


def assign(ticket: str, minutes: float, agent: str | None, group: str, tier: str) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "type": "assign",
        "at": at(minutes),
        "agent": agent,
        "group": group,
        "tier": tier,
    }


def priority(ticket: str, minutes: float, value: str) -> dict[str, Any]:
    return {"ticket": ticket, "type": "priority", "at": at(minutes), "priority": value}


def rating(ticket: str, minutes: float, score: Any, comment: str | None = None) -> dict[str, Any]:
    line = {"ticket": ticket, "type": "rating", "at": at(minutes), "score": score}
    if comment is not None:
        line["comment"] = comment
    return line


def handle_time(ticket: str, minutes: float, agent: str, spent: Any) -> dict[str, Any]:
    return {"ticket": ticket, "type": "handle_time", "at": at(minutes), "agent": agent, "minutes": spent}


def write(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def run(
    db: Database, path: Path, settings: Settings, *, source: str = "events", now: datetime = NOW
) -> ImportReport:
    lines = read_jsonl(path, priorities=PRIORITIES[settings.priority_scheme])
    return import_lines(db, lines, source=source, now=now, settings=settings)


def counts(db: Database) -> dict[str, int]:
    with db.unit_of_work(write=False) as session:
        return {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}  # noqa: S608


def ticket_id(session: Session, key: str, source: str = "events") -> int:
    found = session.scalar(
        select(ImportRecord.ticket_id).where(
            ImportRecord.source == source, ImportRecord.kind == "ticket", ImportRecord.key == key
        )
    )
    assert found is not None, f"{key} was not imported from {source}"
    return found


def ticket(session: Session, key: str, source: str = "events") -> Ticket:
    found = session.get(Ticket, ticket_id(session, key, source))
    assert found is not None
    return found


def line_records(db: Database, source: str = "events") -> int:
    with db.unit_of_work(write=False) as session:
        return int(
            session.scalar(
                select(func.count()).where(ImportRecord.source == source, ImportRecord.kind == "line")
            )
            or 0
        )
