"""Text to features: TF-IDF over words (1-2 grams) and characters (1-5 grams inside words).

Word n-grams carry the intent ("cancel transfer"); character n-grams survive the typos, plurals and
inflections of hand-written tickets. Numbers and apostrophes are normalised first, because an amount or
a date says little about a ticket's category. The fitted state is plain data (terms and weights), so a
model file holds no code and reads back with any library version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

from supportops.kit.text import normalise

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

_WORD = r"(?u)\b\w+\b"


def _word_vectorizer(vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
    # Imported here, not at the top: the library takes most of a second to import, and every
    # command-line start would pay for it.
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        preprocessor=normalise,
        token_pattern=_WORD,
        ngram_range=(1, 2),
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


def _char_vectorizer(vocabulary: Sequence[str] | None = None) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        preprocessor=normalise,
        analyzer="char_wb",
        ngram_range=(1, 5),
        min_df=2,
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


@dataclass(frozen=True)
class Featurizer:
    """Fitted word and character TF-IDF; ``transform`` gives one sparse row per text."""

    word: TfidfVectorizer
    char: TfidfVectorizer

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Featurizer:
        return cls(word=_word_vectorizer().fit(texts), char=_char_vectorizer().fit(texts))

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> Featurizer:
        """Rebuild from :meth:`state` and :meth:`arrays`, without refitting."""
        word = _word_vectorizer(state["word_terms"])
        word.idf_ = arrays["word_idf"]
        char = _char_vectorizer(state["char_terms"])
        char.idf_ = arrays["char_idf"]
        return cls(word=word, char=char)

    @property
    def size(self) -> int:
        return len(self.word.vocabulary_) + len(self.char.vocabulary_)

    def transform(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        return scipy.sparse.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")

    def state(self) -> dict[str, Any]:
        """The terms of both vocabularies, in column order."""
        return {
            "word_terms": self.word.get_feature_names_out().tolist(),
            "char_terms": self.char.get_feature_names_out().tolist(),
        }

    def arrays(self) -> dict[str, NDArray[Any]]:
        return {
            "word_idf": np.asarray(self.word.idf_, dtype=np.float32),
            "char_idf": np.asarray(self.char.idf_, dtype=np.float32),
        }
