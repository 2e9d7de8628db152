"""The suggestion index: which published articles answer a customer's words, and how well.

Each article is represented twice: as a whole (title and body) and as its passages (the title, each
sentence, and the subjects of tickets agents linked to it). Both go through TF-IDF over words (1-2
grams) and characters (2-5 grams inside words); character n-grams make the match tolerant of typos and
inflections. A query is scored against every article as a whole, the best candidates are re-scored by
their closest passages, and the score of an article is

    0.6 * mean of its five closest passages + 0.4 * whole-article similarity

(cosines, so between 0 and 1). With the optional embeddings (``knowledge.semantic``) the articles
closest in meaning join the candidates, and the score becomes 0.6 * that lexical score + 0.4 * the
mean of the five passages closest in meaning. The index lives in memory: a search costs two sparse
products (and two small dense ones) and no database round trip. It is immutable;
:meth:`ArticleIndex.with_changes` returns a new one with some articles replaced, reusing the fitted
vocabulary, so a publish is searchable at once without a refit.
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
from supportops.knowledge.semantic import Embedder

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
SEMANTIC_WEIGHT = 0.4
"""With embeddings on, the score is (1 - w) * the lexical score + w * the mean of the five closest
passages by meaning."""
SEMANTIC_CANDIDATES = 20
SEMANTIC_DOCUMENT_CHARS = 4_000
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
class _Vectors:
    """Embeddings (float16, unit length) of each article as a whole and of its passages."""

    embedder: Embedder
    documents: NDArray[np.float16]
    passages: NDArray[np.float16]

    @classmethod
    def of(cls, embedder: Embedder, articles: Sequence[IndexedArticle]) -> _Vectors:
        return cls(
            embedder=embedder,
            documents=embedder.embed([_document(a)[:SEMANTIC_DOCUMENT_CHARS] for a in articles]).astype(
                np.float16
            ),
            passages=embedder.embed([p for a in articles for p in _passages(a)]).astype(np.float16),
        )


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
    vectors: _Vectors | None = None
    """Present when semantic similarity is on (``knowledge.semantic``)."""

    @classmethod
    def build(cls, articles: Sequence[IndexedArticle], *, embedder: Embedder | None = None) -> ArticleIndex:
        vocabulary = _Vocabulary.fit([_document(a) for a in articles])
        return cls._assemble(
            vocabulary, list(articles), fitted_size=len(articles), changes=0, embedder=embedder
        )

    @classmethod
    def _assemble(
        cls,
        vocabulary: _Vocabulary,
        articles: list[IndexedArticle],
        *,
        fitted_size: int,
        changes: int,
        embedder: Embedder | None,
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
            vectors=None if embedder is None else _Vectors.of(embedder, articles),
        )

    @cached_property
    def _by_term(self) -> scipy.sparse.csc_matrix:
        """The article vectors by term: the inverted index a query walks."""
        return self.documents.tocsc()

    @property
    def semantic(self) -> str | None:
        """The embedding model blended in, if any."""
        return None if self.vectors is None else self.vectors.embedder.name

    def __len__(self) -> int:
        return len(self.ids)

    def with_changes(self, changed: Sequence[IndexedArticle], removed: Iterable[int]) -> ArticleIndex:
        """This index with ``changed`` articles added or replaced and ``removed`` ids dropped. Reuses
        the fitted vocabulary unless many articles changed since the fit; then it refits."""
        drop = {a.id for a in changed} | set(removed)
        keep = ~np.isin(self.ids, np.fromiter(drop, dtype=np.int64, count=len(drop)))
        changes = self.changes_since_fit + len(drop)
        embedder = None if self.vectors is None else self.vectors.embedder
        if changes > max(20, REFIT_SHARE * self.fitted_size):
            kept = [self.articles[r] for r in np.flatnonzero(keep)]
            return ArticleIndex.build([*kept, *changed], embedder=embedder)
        rows = np.flatnonzero(keep)
        passage_rows = np.concatenate(
            [np.arange(self.passage_start[r], self.passage_start[r + 1]) for r in rows]
            or [np.zeros(0, dtype=np.int64)]
        )
        added = ArticleIndex._assemble(
            self.vocabulary, list(changed), fitted_size=0, changes=0, embedder=embedder
        )
        kept_counts = np.diff(self.passage_start)[rows]
        counts = np.concatenate([kept_counts, np.diff(added.passage_start)])
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        vectors = None
        if self.vectors is not None and added.vectors is not None:
            vectors = _Vectors(
                embedder=self.vectors.embedder,
                documents=np.concatenate([self.vectors.documents[rows], added.vectors.documents]),
                passages=np.concatenate([self.vectors.passages[passage_rows], added.vectors.passages]),
            )
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
            vectors=vectors,
        )

    def search(self, query: str, *, public_only: bool, limit: int = 3) -> list[Match]:
        """The best ``limit`` articles for ``query``, best first."""
        if not len(self.ids) or not query.strip():
            return []
        terms, weights = self.vocabulary.queries.encode(query)
        # Inverted-index order: only the columns of the query's terms are touched.
        if len(terms):
            whole = np.asarray(self._by_term[:, terms] @ weights).ravel()
        else:
            whole = np.zeros(len(self.ids), dtype=np.float32)
        meaning = None
        if self.vectors is not None:
            q = self.vectors.embedder.embed([query])[0]
            meaning = (self.vectors.documents @ q.astype(np.float16)).astype(np.float32) if q.any() else None
        candidates = self._candidates(whole, meaning, public_only)
        if not len(candidates):
            return []
        dense = np.zeros(self.passages.shape[1], dtype=np.float32)
        dense[terms] = weights
        bounds = [(int(self.passage_start[r]), int(self.passage_start[r + 1])) for r in candidates]
        rows = np.concatenate([np.arange(a, b) for a, b in bounds])
        sims = self.passages[rows] @ dense
        close_meaning = None
        if meaning is not None and self.vectors is not None:
            close_meaning = (self.vectors.passages[rows] @ q.astype(np.float16)).astype(np.float32)
        scored: list[tuple[float, int, int]] = []
        offset = 0
        for row, (start, end) in zip(candidates, bounds, strict=True):
            own = sims[offset : offset + end - start]
            mine = len(self.articles[row].passages)
            best = int(np.argmax(own[:mine])) if mine else -1
            score = PASSAGE_WEIGHT * _top_mean(own) + (1 - PASSAGE_WEIGHT) * float(whole[row])
            if close_meaning is not None:
                semantic = _top_mean(close_meaning[offset : offset + end - start])
                score = (1 - SEMANTIC_WEIGHT) * score + SEMANTIC_WEIGHT * max(semantic, 0.0)
            offset += end - start
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

    def _candidates(
        self, whole: NDArray[np.float32], meaning: NDArray[np.float32] | None, public_only: bool
    ) -> NDArray[np.int64]:
        """The best articles by whole-article similarity, by words and (when on) by meaning."""
        picked = []
        for scores, k in ((whole, CANDIDATES), (meaning, SEMANTIC_CANDIDATES)):
            if scores is None:
                continue
            if public_only:
                scores = np.where(self.public, scores, -1.0)
            k = min(k, len(scores))
            top = np.argpartition(-scores, k - 1)[:k]
            picked.append(top[scores[top] > 0])
        return np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def _top_mean(values: NDArray[np.float32]) -> float:
    if not len(values):
        return 0.0
    k = min(TOP_PASSAGES, len(values))
    return float(np.partition(values, len(values) - k)[len(values) - k :].mean())


def indexed(
    *, id: int, title: str, text: str, public: bool, phrases: Sequence[str] = (), sentences: Sequence[str]
) -> IndexedArticle:
    """An article for the index: its passages are the title and the body's sentences."""
    passages = tuple(dict.fromkeys([title, *sentences]))[:MAX_PASSAGES]
    return IndexedArticle(
        id=id, title=title, text=text, public=public, phrases=tuple(phrases), passages=passages
    )
