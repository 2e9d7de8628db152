"""The suggestion index: which published articles answer a customer's words, and how well.

Each article is represented twice: as a whole (title and body) and as its passages (the title, each
sentence, and the subjects of tickets agents linked to it). Both go through TF-IDF over words (1-2
grams) and characters (2-5 grams inside words); character n-grams make the match tolerant of typos and
inflections. A query is scored against every article as a whole, the best candidates are re-scored by
their closest passages, and the score of an article is

    0.6 * mean of its five closest passages + 0.4 * whole-article similarity

(cosines, so between 0 and 1). The index lives in memory: a search costs two sparse products and no
database round trip. It is immutable; :meth:`ArticleIndex.with_changes` returns a new one with some
articles replaced, reusing the fitted vocabulary, so a publish is searchable at once without a refit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from supportops.kit.text import normalise

_WORD = r"(?u)\b\w+\b"
CANDIDATES = 40
"""Articles re-scored by their passages, picked by whole-article similarity."""
TOP_PASSAGES = 5
PASSAGE_WEIGHT = 0.6
MAX_PASSAGES = 200
"""Passages kept per article (title, sentences, linked-ticket subjects), so one huge article cannot
crowd the index."""
MAX_DOCUMENT_CHARS = 20_000
REFIT_SHARE = 0.2
"""Refit the vocabulary once this share of the fitted articles has changed since the fit."""


@dataclass(frozen=True)
class IndexedArticle:
    """What the index needs of an article."""

    id: int
    title: str
    text: str
    """Plain text of the body, one block a line."""
    public: bool
    phrases: tuple[str, ...] = ()
    """How customers described the problem this article solved: the subjects of linked tickets. They
    help matching and are never shown."""
    passages: tuple[str, ...] = field(default=())
    """The title and the sentences of the body; filled by :func:`indexed`."""


@dataclass(frozen=True)
class Match:
    article_id: int
    score: float
    passage: str
    """The article's passage closest to the query (never a linked-ticket subject)."""


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    word = TfidfVectorizer(
        preprocessor=normalise,
        token_pattern=_WORD,
        ngram_range=(1, 2),
        sublinear_tf=True,
        dtype=np.float32,
    )
    char = TfidfVectorizer(
        preprocessor=normalise,
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        dtype=np.float32,
    )
    return word, char


@dataclass(frozen=True)
class _Vocabulary:
    word: TfidfVectorizer
    char: TfidfVectorizer

    @classmethod
    def fit(cls, texts: Sequence[str]) -> _Vocabulary:
        word, char = _vectorizers()
        texts = [t for t in texts if t.strip()] or ["knowledge base"]
        return cls(word=word.fit(texts), char=char.fit(texts))

    @cached_property
    def queries(self) -> _QueryEncoder:
        return _QueryEncoder([self.word, self.char])

    def transform(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        if not texts:
            return scipy.sparse.csr_matrix((0, len(self.word.vocabulary_) + len(self.char.vocabulary_)))
        both = scipy.sparse.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")
        return normalize(both).astype(np.float32)


class _QueryEncoder:
    """The same vector as :meth:`_Vocabulary.transform` for one short text, without the per-call
    overhead of the vectorizers (a tenth of the time for a query)."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer]) -> None:
        self._blocks = []
        offset = 0
        for v in vectorizers:
            self._blocks.append(
                (v.build_analyzer(), v.vocabulary_, np.asarray(v.idf_, dtype=np.float64), offset)
            )
            offset += len(v.vocabulary_)

    def encode(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        indices: list[NDArray[np.int64]] = []
        values: list[NDArray[np.float64]] = []
        for analyze, vocabulary, idf, offset in self._blocks:
            counts: dict[int, int] = {}
            for gram in analyze(text):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weights = tf * idf[columns]
            indices.append(columns + offset)
            values.append(weights / np.linalg.norm(weights))
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        data = np.concatenate(values)
        return np.concatenate(indices), (data / np.linalg.norm(data)).astype(np.float32)


def _document(article: IndexedArticle) -> str:
    phrases = "\n".join(article.phrases[:MAX_PASSAGES])
    return f"{article.title}\n{article.title}\n{article.text}"[:MAX_DOCUMENT_CHARS] + "\n" + phrases


def _passages(article: IndexedArticle) -> list[str]:
    return [*article.passages, *article.phrases][:MAX_PASSAGES]


@dataclass(frozen=True)
class ArticleIndex:
    vocabulary: _Vocabulary
    ids: NDArray[np.int64]
    public: NDArray[np.bool_]
    documents: scipy.sparse.csr_matrix
    passages: scipy.sparse.csr_matrix
    passage_start: NDArray[np.int64]
    """Article row i owns passage rows ``passage_start[i]:passage_start[i + 1]``."""
    articles: tuple[IndexedArticle, ...]
    fitted_size: int
    changes_since_fit: int = 0

    @classmethod
    def build(cls, articles: Sequence[IndexedArticle]) -> ArticleIndex:
        vocabulary = _Vocabulary.fit([_document(a) for a in articles])
        return cls._assemble(vocabulary, list(articles), fitted_size=len(articles), changes=0)

    @classmethod
    def _assemble(
        cls, vocabulary: _Vocabulary, articles: list[IndexedArticle], *, fitted_size: int, changes: int
    ) -> ArticleIndex:
        passage_lists = [_passages(a) for a in articles]
        starts = np.zeros(len(articles) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in passage_lists], out=starts[1:])
        return cls(
            vocabulary=vocabulary,
            ids=np.array([a.id for a in articles], dtype=np.int64),
            public=np.array([a.public for a in articles], dtype=bool),
            documents=vocabulary.transform([_document(a) for a in articles]),
            passages=vocabulary.transform([p for ps in passage_lists for p in ps]),
            passage_start=starts,
            articles=tuple(articles),
            fitted_size=fitted_size,
            changes_since_fit=changes,
        )

    @cached_property
    def _by_term(self) -> scipy.sparse.csc_matrix:
        """The article vectors by term: the inverted index a query walks."""
        return self.documents.tocsc()

    def __len__(self) -> int:
        return len(self.ids)

    def with_changes(self, changed: Sequence[IndexedArticle], removed: Iterable[int]) -> ArticleIndex:
        """This index with ``changed`` articles added or replaced and ``removed`` ids dropped. Reuses
        the fitted vocabulary unless many articles changed since the fit; then it refits."""
        drop = {a.id for a in changed} | set(removed)
        keep = ~np.isin(self.ids, np.fromiter(drop, dtype=np.int64, count=len(drop)))
        changes = self.changes_since_fit + len(drop)
        if changes > max(20, REFIT_SHARE * self.fitted_size):
            return ArticleIndex.build([*(self.articles[r] for r in np.flatnonzero(keep)), *changed])
        rows = np.flatnonzero(keep)
        passage_rows = np.concatenate(
            [np.arange(self.passage_start[r], self.passage_start[r + 1]) for r in rows]
            or [np.zeros(0, dtype=np.int64)]
        )
        added = ArticleIndex._assemble(self.vocabulary, list(changed), fitted_size=0, changes=0)
        kept_counts = np.diff(self.passage_start)[rows]
        counts = np.concatenate([kept_counts, np.diff(added.passage_start)])
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return ArticleIndex(
            vocabulary=self.vocabulary,
            ids=np.concatenate([self.ids[rows], added.ids]),
            public=np.concatenate([self.public[rows], added.public]),
            documents=scipy.sparse.vstack([self.documents[rows], added.documents], format="csr"),
            passages=scipy.sparse.vstack([self.passages[passage_rows], added.passages], format="csr"),
            passage_start=starts,
            articles=tuple(self.articles[r] for r in rows) + added.articles,
            fitted_size=self.fitted_size,
            changes_since_fit=changes,
        )

    def search(self, query: str, *, public_only: bool, limit: int = 3) -> list[Match]:
        """The best ``limit`` articles for ``query``, best first."""
        if not len(self.ids) or not query.strip():
            return []
        terms, weights = self.vocabulary.queries.encode(query)
        if not len(terms):
            return []
        # Inverted-index order: only the columns of the query's terms are touched.
        whole = np.asarray(self._by_term[:, terms] @ weights).ravel()
        if public_only:
            whole = np.where(self.public, whole, -1.0)
        k = min(CANDIDATES, len(whole))
        candidates = np.argpartition(-whole, k - 1)[:k]
        candidates = candidates[whole[candidates] > 0]
        if not len(candidates):
            return []
        dense = np.zeros(self.passages.shape[1], dtype=np.float32)
        dense[terms] = weights
        bounds = [(int(self.passage_start[r]), int(self.passage_start[r + 1])) for r in candidates]
        rows = np.concatenate([np.arange(a, b) for a, b in bounds])
        sims = self.passages[rows] @ dense
        scored: list[tuple[float, int, int]] = []
        offset = 0
        for row, (start, end) in zip(candidates, bounds, strict=True):
            own = sims[offset : offset + end - start]
            offset += end - start
            close = float(np.sort(own)[::-1][:TOP_PASSAGES].mean()) if len(own) else 0.0
            mine = len(self.articles[row].passages)
            best = int(np.argmax(own[:mine])) if mine else -1
            score = PASSAGE_WEIGHT * close + (1 - PASSAGE_WEIGHT) * float(whole[row])
            scored.append((score, int(row), best))
        scored.sort(key=lambda s: (-s[0], int(self.ids[s[1]])))
        return [
            Match(
                article_id=int(self.ids[row]),
                score=round(score, 4),
                passage=self.articles[row].passages[best] if best >= 0 else "",
            )
            for score, row, best in scored[:limit]
        ]


def indexed(
    *, id: int, title: str, text: str, public: bool, phrases: Sequence[str] = (), sentences: Sequence[str]
) -> IndexedArticle:
    """An article for the index: its passages are the title and the body's sentences."""
    passages = tuple(dict.fromkeys([title, *sentences]))[:MAX_PASSAGES]
    return IndexedArticle(
        id=id, title=title, text=text, public=public, phrases=tuple(phrases), passages=passages
    )
