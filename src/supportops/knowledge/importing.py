"""Bulk import of articles: one JSON object a line, with the fields of ``POST /api/v1/kb/articles``.

Each line is checked and written on its own (a savepoint), so a bad line is reported as
``line N: field: reason`` and the good lines still load. A line whose title is already used by an
article that is not archived is skipped, so running an import twice adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportops.auth.principal import Principal
from supportops.kit.errors import InvalidInput, SupportOpsError
from supportops.knowledge import service
from supportops.knowledge.enums import ArticleStatus
from supportops.knowledge.models import Article
from supportops.knowledge.schemas import ArticleCreate


@dataclass
class ImportSummary:
    imported: list[int] = field(default_factory=list)
    skipped: int = 0
    rejected: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"imported={len(self.imported)} skipped={self.skipped} rejected={len(self.rejected)}"


def _reason(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "line"
    return f"{where}: {error['msg']}"


def import_lines(
    session: Session, *, actor: Principal, lines: Iterable[tuple[int, bytes]], now: datetime
) -> ImportSummary:
    actor.require_staff("import knowledge-base articles")
    summary = ImportSummary()
    titles = {
        t.lower()
        for t in session.scalars(select(Article.title).where(Article.status != ArticleStatus.archived))
    }
    for number, raw in lines:
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            summary.rejected.append(f"line {number}: line: not valid UTF-8")
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
            data = ArticleCreate.model_validate(value)
        except json.JSONDecodeError as exc:
            summary.rejected.append(f"line {number}: line: invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        except ValidationError as exc:
            summary.rejected.append(f"line {number}: {_reason(exc)}")
            continue
        if data.title.lower() in titles:
            summary.skipped += 1
            continue
        try:
            with session.begin_nested():
                created = service.create_article(session, actor=actor, data=data, now=now)
        except InvalidInput as exc:
            summary.rejected.append(f"line {number}: {exc.field or 'line'}: {exc.detail}")
            continue
        except SupportOpsError as exc:
            summary.rejected.append(f"line {number}: line: {exc.detail}")
            continue
        titles.add(data.title.lower())
        summary.imported.append(created.id)
    return summary
