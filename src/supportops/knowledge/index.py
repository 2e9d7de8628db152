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
:class:`LayeredIndex` puts changed articles in a small overlay on the same vocabulary and hides
their old rows, so a publish is searchable at once without a refit or a copy of the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

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
OVERLAY_LIMIT = 200
"""Changed articles kept in the overlay before everything is rebuilt (see :class:`LayeredIndex`)."""
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
    # Imported here, not at the top: the library takes most of a second to import, and every
    # command-line start would pay for it.
    from sklearn.feature_extraction.text import TfidfVectorizer

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
        from sklearn.preprocessing import normalize

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
    """Embeddings (unit length) of each article as a whole (float32: every query multiplies them) and
    of its passages (float16: only the candidates' rows are read, then widened)."""

    embedder: Embedder
    documents: NDArray[np.float32]
    passages: NDArray[np.float16]

    @classmethod
    def of(cls, embedder: Embedder, articles: Sequence[IndexedArticle]) -> _Vectors:
        return cls(
            embedder=embedder,
            documents=embedder.embed([_document(a)[:SEMANTIC_DOCUMENT_CHARS] for a in articles]),
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
    vectors: _Vectors | None = None
    """Present when semantic similarity is on (``knowledge.semantic``)."""

    @classmethod
    def build(cls, articles: Sequence[IndexedArticle], *, embedder: Embedder | None = None) -> ArticleIndex:
        vocabulary = _Vocabulary.fit([_document(a) for a in articles])
        return cls._assemble(vocabulary, list(articles), embedder=embedder)

    @classmethod
    def _assemble(
        cls,
        vocabulary: _Vocabulary,
        articles: list[IndexedArticle],
        *,
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

    def search(
        self, query: str, *, public_only: bool, limit: int = 3, hidden: NDArray[np.bool_] | None = None
    ) -> list[Match]:
        """The best ``limit`` articles for ``query``, best first; ``hidden`` rows never come back."""
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
            meaning = self.vectors.documents @ q if q.any() else None
        candidates = self._candidates(whole, meaning, public_only, hidden)
        if not len(candidates):
            return []
        bounds = [(int(self.passage_start[r]), int(self.passage_start[r + 1])) for r in candidates]
        rows = np.concatenate([np.arange(a, b) for a, b in bounds])
        # Only the query's columns of the candidates' passages: a dense query vector as long as the
        # vocabulary (millions of n-grams at 10,000 articles) cost more than the product itself.
        sims = np.asarray(self.passages[rows][:, terms] @ weights, dtype=np.float32).ravel()
        close_meaning = None
        if meaning is not None and self.vectors is not None:
            close_meaning = self.vectors.passages[rows].astype(np.float32) @ q
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
        self,
        whole: NDArray[np.float32],
        meaning: NDArray[np.float32] | None,
        public_only: bool,
        hidden: NDArray[np.bool_] | None,
    ) -> NDArray[np.int64]:
        """The best articles by whole-article similarity, by words and (when on) by meaning."""
        excluded = hidden if hidden is not None else np.zeros(len(self.ids), dtype=bool)
        if public_only:
            excluded = excluded | ~self.public
        picked = []
        for scores, k in ((whole, CANDIDATES), (meaning, SEMANTIC_CANDIDATES)):
            if scores is None:
                continue
            scores = np.where(excluded, -1.0, scores)
            k = min(k, len(scores))
            top = np.argpartition(-scores, k - 1)[:k]
            picked.append(top[scores[top] > 0])
        return np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class LayeredIndex:
    """What a process searches: a base index built at one time, the base rows changed since hidden,
    and a small overlay index of the changed articles on the same vocabulary. A change costs a new
    overlay (of the changed articles only) and a new hidden mask; the base is shared, never copied.
    Once the overlay passes ``OVERLAY_LIMIT`` articles, or the changes pass ``REFIT_SHARE`` of the
    base, everything is rebuilt with a fresh vocabulary."""

    base: ArticleIndex
    hidden: NDArray[np.bool_]
    overlay: ArticleIndex | None = None
    changes: int = 0

    @classmethod
    def build(cls, articles: Sequence[IndexedArticle], *, embedder: Embedder | None = None) -> LayeredIndex:
        base = ArticleIndex.build(articles, embedder=embedder)
        return cls(base=base, hidden=np.zeros(len(base), dtype=bool))

    @property
    def vocabulary(self) -> _Vocabulary:
        return self.base.vocabulary

    @property
    def semantic(self) -> str | None:
        return self.base.semantic

    def __len__(self) -> int:
        return int((~self.hidden).sum()) + (len(self.overlay) if self.overlay is not None else 0)

    def with_changes(self, changed: Sequence[IndexedArticle], removed: Iterable[int]) -> LayeredIndex:
        """This index with ``changed`` articles added or replaced and ``removed`` ids dropped."""
        drop = {a.id for a in changed} | set(removed)
        embedder = None if self.base.vectors is None else self.base.vectors.embedder
        ids = np.fromiter(drop, dtype=np.int64, count=len(drop))
        hidden = self.hidden | np.isin(self.base.ids, ids)
        kept = [a for a in (self.overlay.articles if self.overlay is not None else ()) if a.id not in drop]
        layered = [*kept, *changed]
        changes = self.changes + len(drop)
        if len(layered) > OVERLAY_LIMIT or changes > max(OVERLAY_LIMIT, REFIT_SHARE * len(self.base)):
            visible = [a for a, gone in zip(self.base.articles, hidden, strict=True) if not gone]
            return LayeredIndex.build([*visible, *layered], embedder=embedder)
        overlay = None
        if layered:
            overlay = ArticleIndex._assemble(self.base.vocabulary, layered, embedder=embedder)
        return LayeredIndex(base=self.base, hidden=hidden, overlay=overlay, changes=changes)

    def search(self, query: str, *, public_only: bool, limit: int = 3) -> list[Match]:
        found = self.base.search(query, public_only=public_only, limit=limit, hidden=self.hidden)
        if self.overlay is not None:
            found += self.overlay.search(query, public_only=public_only, limit=limit)
        found.sort(key=lambda m: (-m.score, m.article_id))
        return found[:limit]


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
