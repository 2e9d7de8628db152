"""Ranked full-text search over published articles, behind one :class:`SearchBackend` protocol.

A query is cleaned (control characters dropped, bounded), split into words, corrected for typos
against the words the published articles use, and expanded with the synonym groups. SQLite answers
with FTS5 (porter stemming, BM25 with the title weighted 5:1); PostgreSQL with a weighted ``tsvector``
(English stemming, ``ts_rank_cd``). Both return a snippet of the body with the matched words marked.
When full text finds fewer articles than asked (a misspelling no correction caught, words that appear
in no article), the suggestion index fills the rest: its character n-grams match what words miss.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy.orm import Session

from supportops.knowledge import repository

MAX_QUERY_CHARS = 2_000
"""Matching reads this much of a query (subject and description together); the rest adds nothing
but time."""
MAX_WORDS = 24
_WORD = re.compile(r"\w+", re.UNICODE)
_MARK_START, _MARK_END = "\x02", "\x03"


def clean_query(text: str) -> str:
    """Drop control and format characters (NUL included), collapse white space, bound the length."""
    text = text[: MAX_QUERY_CHARS * 4]
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(kept.split())[:MAX_QUERY_CHARS]


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)][:MAX_WORDS]


@dataclass(frozen=True)
class PreparedQuery:
    text: str
    """The cleaned query."""
    groups: tuple[tuple[str, ...], ...]
    """One group per query word: the (corrected) word first, then its synonyms (which may be phrases)."""
    corrected: str | None
    """The query with corrections applied, when a word was corrected."""


class Vocabulary(Protocol):
    def __contains__(self, word: str) -> bool: ...

    def closest(self, word: str) -> str | None: ...


class WordList:
    """The words published articles use, for typo correction: a word the articles never use is
    replaced by the closest one within one edit (words of 4-7 letters) or two (8 and more)."""

    def __init__(self, known: Sequence[str]) -> None:
        self._known = frozenset(known)
        self._choices = sorted(w for w in self._known if len(w) >= 3 and not w.isdigit())

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def closest(self, word: str) -> str | None:
        if len(word) < 4 or word.isdigit():
            return None
        cutoff = 1 if len(word) < 8 else 2
        found = process.extractOne(word, self._choices, scorer=Levenshtein.distance, score_cutoff=cutoff)
        return None if found is None else str(found[0])


def prepare(text: str, *, vocabulary: Vocabulary, synonyms: Sequence[Sequence[str]]) -> PreparedQuery:
    cleaned = clean_query(text)
    lookup: dict[str, list[str]] = {}
    for group in synonyms:
        members = [" ".join(words(m)) for m in group if words(m)]
        for member in members:
            lookup.setdefault(member, []).extend(m for m in members if m != member)
    groups: list[tuple[str, ...]] = []
    changed = False
    shown: list[str] = []
    for word in words(cleaned):
        fixed = word
        if word not in vocabulary and word not in lookup:
            fixed = vocabulary.closest(word) or word
            changed = changed or fixed != word
        shown.append(fixed)
        groups.append(tuple(dict.fromkeys([fixed, *lookup.get(fixed, []), *lookup.get(word, [])])))
    return PreparedQuery(
        text=cleaned, groups=tuple(dict.fromkeys(groups)), corrected=" ".join(shown) if changed else None
    )


@dataclass(frozen=True)
class FullTextHit:
    article_id: int
    score: float
    snippet: str
    """HTML: escaped text, matched words in ``<mark>``."""


class SearchBackend(Protocol):
    """Ranked full-text search over published articles; ``public_only`` hides internal ones."""

    def search(
        self, session: Session, query: PreparedQuery, *, public_only: bool, limit: int
    ) -> list[FullTextHit]: ...


def _marked(snippet: str) -> str:
    return html.escape(snippet or "").replace(_MARK_START, "<mark>").replace(_MARK_END, "</mark>")


@dataclass(frozen=True)
class _Syntax:
    """How one engine spells a phrase, a prefix and "or"."""

    phrase: str  # format with {words} (space-separated) / {joined}
    prefix: str
    alternative: str

    def expression(self, query: PreparedQuery) -> str:
        """Any group may match; inside a group any member (a word, or a phrase for a multi-word
        synonym); the last word also as a prefix, for search as you type. Members are \\w+ words only,
        so nothing a searcher types reaches the engine as syntax."""
        parts = []
        for i, group in enumerate(query.groups):
            options = [self.phrase.format(words=m, joined=" <-> ".join(m.split())) for m in group]
            if i == len(query.groups) - 1 and len(group[0]) >= 3:
                options.append(self.prefix.format(word=group[0]))
            parts.append("(" + self.alternative.join(options) + ")")
        return self.alternative.join(parts)


def _hits(rows: Sequence[Any]) -> list[FullTextHit]:
    return [
        FullTextHit(article_id=r.id, score=round(float(r.score), 4), snippet=_marked(r.snippet)) for r in rows
    ]


class SqliteFullText:
    """SQLite FTS5 (porter stemming); BM25 ranks articles matching more and rarer words first, with
    the title weighted 5:1."""

    syntax = _Syntax(phrase='"{words}"', prefix='"{word}"*', alternative=" OR ")

    def search(
        self, session: Session, query: PreparedQuery, *, public_only: bool, limit: int
    ) -> list[FullTextHit]:
        if not query.groups:
            return []
        match = self.syntax.expression(query)
        return _hits(repository.full_text_sqlite(session, match, public_only=public_only, limit=limit))


class PostgresFullText:
    """PostgreSQL ``tsvector`` (English stemming, title weighted A, body B), ranked by cover density."""

    syntax = _Syntax(phrase="{joined}", prefix="{word}:*", alternative=" | ")

    def search(
        self, session: Session, query: PreparedQuery, *, public_only: bool, limit: int
    ) -> list[FullTextHit]:
        if not query.groups:
            return []
        expression = self.syntax.expression(query)
        return _hits(repository.full_text_postgres(session, expression, public_only=public_only, limit=limit))


def backend_for(session: Session) -> SearchBackend:
    return PostgresFullText() if session.get_bind().dialect.name == "postgresql" else SqliteFullText()


def highlight(passage: str, query: PreparedQuery, *, limit: int = 240) -> str:
    """An escaped passage with the query's words (and their synonyms) in ``<mark>``; words match on
    their first five letters, so "refunds" marks "refund"."""
    stems = {w[:5] for group in query.groups for member in group for w in member.split() if len(w) >= 3}
    text = passage if len(passage) <= limit else passage[: limit - 1].rsplit(" ", 1)[0] + "…"
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        word = match.group(0)
        marked = len(word) >= 3 and word.lower()[:5] in stems
        out.append(f"<mark>{html.escape(word)}</mark>" if marked else html.escape(word))
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
