"""The suggestion index of each database, kept in step with the articles.

Every process holds one index per database in memory. Before a query it reads, at most every
``CHECK_SECONDS``, the change generation (one row, bumped in the transaction of every article change).
When it moved, it reads each article's ``updated_at``, reads again the articles whose stamp differs
from what the index saw, and swaps in an index with those in its overlay; a publish is suggested
within a second on every process. A generation that went down (a database reset) rebuilds it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from supportops.kit import longlived
from supportops.knowledge import repository, semantic
from supportops.knowledge.enums import ArticleStatus, Visibility
from supportops.knowledge.index import IndexedArticle, LayeredIndex, indexed
from supportops.knowledge.markup import sentences
from supportops.knowledge.search import WordList

CHECK_SECONDS = 0.25


@dataclass(frozen=True)
class _Entry:
    index: LayeredIndex
    words: WordList
    generation: int
    stamps: dict[int, datetime]
    """Every article's ``updated_at`` as the index last saw it (any status)."""
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


def _words(index: LayeredIndex) -> WordList:
    return WordList([t for t in index.vocabulary.word.vocabulary_ if " " not in t])


def _build(session: Session) -> _Entry:
    generation = repository.generation(session)
    stamps = repository.article_stamps(session)
    rows = [(r.id, r.title, r.body_text, r.visibility) for r in repository.searchable_articles(session)]
    index = LayeredIndex.build(_articles(session, rows), embedder=semantic.embedder())
    return _Entry(index, _words(index), generation, stamps, time.monotonic())


def _refresh(session: Session, entry: _Entry) -> _Entry:
    """Read again exactly the articles whose ``updated_at`` differs from what the index saw: commits
    that land out of order are caught too, because no single watermark is trusted."""
    generation = repository.generation(session)
    if generation == entry.generation:
        return replace(entry, checked=time.monotonic())
    if generation < entry.generation:  # the database was replaced or reset
        return _build(session)
    stamps = repository.article_stamps(session)
    changed = [i for i, at in stamps.items() if entry.stamps.get(i) != at]
    deleted = [i for i in entry.stamps if i not in stamps]
    rows = repository.searchable_articles(session, ids=changed)
    live = [(r.id, r.title, r.body_text, r.visibility) for r in rows if r.status == ArticleStatus.published]
    gone = [r.id for r in rows if r.status != ArticleStatus.published] + deleted
    index = entry.index.with_changes(_articles(session, live), gone) if (live or gone) else entry.index
    words = entry.words if index.vocabulary is entry.index.vocabulary else _words(index)
    return _Entry(index, words, generation, stamps, time.monotonic())


def current(session: Session) -> tuple[LayeredIndex, WordList]:
    """The index of this session's database, brought up to date if it may be stale."""
    key = _key(session)
    entry = _entries.get(key)
    if entry is not None and time.monotonic() - entry.checked < CHECK_SECONDS:
        return entry.index, entry.words
    with _lock:
        entry = _entries.get(key)
        words = entry.words if entry is not None else None
        if entry is None:
            entry = _build(session)
        elif time.monotonic() - entry.checked >= CHECK_SECONDS:
            entry = _refresh(session, entry)
        _entries[key] = entry
        if entry.words is not words:  # a new vocabulary: a full build
            longlived.settle()
    return entry.index, entry.words


def changed(session: Session) -> None:
    """An article of this database is changing in this process: probe again on the next query instead
    of waiting out ``CHECK_SECONDS``."""
    key = _key(session)
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries[key] = replace(entry, checked=-1e9)


def forget(session: Session | None = None) -> None:
    """Drop the cached index (of one database, or all): the next query rebuilds it."""
    with _lock:
        if session is None:
            _entries.clear()
        else:
            _entries.pop(_key(session), None)
