"""The suggestion index of each database, kept in step with the articles.

Every process holds one index per database in memory. Before a query it asks the database, at most
every ``CHECK_SECONDS``, for the change generation (bumped by every article change), the latest change
and the article count (two indexed reads). When any moved, it reads the articles changed since its
watermark and swaps in a new index with those replaced; a publish is searchable in under a second on
every process. A generation or count that went down, or a clock that went backwards, makes it rebuild
from scratch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from supportops.knowledge import repository, semantic
from supportops.knowledge.enums import ArticleStatus, Visibility
from supportops.knowledge.index import ArticleIndex, IndexedArticle, indexed
from supportops.knowledge.markup import sentences
from supportops.knowledge.search import WordList

CHECK_SECONDS = 0.25


@dataclass(frozen=True)
class _Entry:
    index: ArticleIndex
    words: WordList
    generation: int
    watermark: datetime | None
    count: int
    checked: float


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()


def _key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def _articles(session: Session, rows: list[tuple[int, str, str, str]]) -> list[IndexedArticle]:
    phrases = repository.phrases(session, [r[0] for r in rows])
    return [
        indexed(
            id=article_id,
            title=title,
            text=body_text,
            public=visibility == Visibility.public,
            phrases=phrases.get(article_id, ()),
            sentences=sentences(body_text),
        )
        for article_id, title, body_text, visibility in rows
    ]


def _words(index: ArticleIndex) -> WordList:
    return WordList([t for t in index.vocabulary.word.vocabulary_ if " " not in t])


def _build(session: Session) -> _Entry:
    generation, watermark, count = repository.index_watermark(session)
    rows = [
        (r.id, r.title, r.body_text, r.visibility)
        for r in repository.searchable_articles(session, changed_since=None)
    ]
    index = ArticleIndex.build(_articles(session, rows), embedder=semantic.embedder())
    return _Entry(index, _words(index), generation, watermark, count, time.monotonic())


def _refresh(session: Session, entry: _Entry) -> _Entry:
    generation, watermark, count = repository.index_watermark(session)
    if (generation, watermark, count) == (entry.generation, entry.watermark, entry.count):
        return _Entry(entry.index, entry.words, generation, watermark, count, time.monotonic())
    went_back = watermark is not None and entry.watermark is not None and watermark < entry.watermark
    if generation < entry.generation or count < entry.count or entry.watermark is None or went_back:
        return _build(session)
    rows = repository.searchable_articles(session, changed_since=entry.watermark)
    live = [(r.id, r.title, r.body_text, r.visibility) for r in rows if r.status == ArticleStatus.published]
    gone = [r.id for r in rows if r.status != ArticleStatus.published]
    index = entry.index.with_changes(_articles(session, live), gone)
    words = entry.words if index.vocabulary is entry.index.vocabulary else _words(index)
    return _Entry(index, words, generation, watermark, count, time.monotonic())


def current(session: Session) -> tuple[ArticleIndex, WordList]:
    """The index of this session's database, brought up to date if it may be stale."""
    key = _key(session)
    entry = _entries.get(key)
    if entry is not None and time.monotonic() - entry.checked < CHECK_SECONDS:
        return entry.index, entry.words
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            entry = _build(session)
        elif time.monotonic() - entry.checked >= CHECK_SECONDS:
            entry = _refresh(session, entry)
        _entries[key] = entry
    return entry.index, entry.words


def changed(session: Session) -> None:
    """An article of this database is changing in this process: probe again on the next query instead
    of waiting out ``CHECK_SECONDS``."""
    key = _key(session)
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries[key] = _Entry(
                entry.index, entry.words, entry.generation, entry.watermark, entry.count, -1e9
            )


def forget(session: Session | None = None) -> None:
    """Drop the cached index (of one database, or all): the next query rebuilds it."""
    with _lock:
        if session is None:
            _entries.clear()
        else:
            _entries.pop(_key(session), None)
