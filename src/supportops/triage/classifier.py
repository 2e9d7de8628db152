"""A linear classifier over word and character TF-IDF whose confidences behave like probabilities.

When an embedder is given (the optional ``semantic`` extra), the same machine also sees each text's
sentence embedding and random Fourier features of it (:mod:`supportops.triage.embedding`); the model
records which embedding model it needs, and refuses to load without it.

A linear support vector machine (one-vs-rest) ranks the labels; its scores are turned into
probabilities by a softmax with one temperature, fitted on out-of-fold scores so that a confidence of
0.9 is right about nine times in ten on tickets the model has not seen. That is what makes a triage
threshold meaningful. The same out-of-fold predictions give the training metrics stored in the model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

from supportops.kit.clock import Clock, SystemClock
from supportops.triage import persistence
from supportops.triage.data import check_trainable
from supportops.triage.embedding import Embedder, EmbeddingBlock
from supportops.triage.errors import EmbeddingsUnavailable, ModelFormatError
from supportops.triage.features import Featurizer

ALTERNATIVES = 3
CALIBRATION_FOLDS = 3
REGULARISATION_C = 1.0
_TEMPERATURE_RANGE = (math.log(1e-3), math.log(1e2))
_GOLDEN = (math.sqrt(5) - 1) / 2

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Alternative:
    label: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    """The most likely label, its probability, and the next most likely labels for a triage agent."""

    label: str
    confidence: float
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class TrainingMetrics:
    """Cross-validated on the training data itself: an honest estimate without a separate test set."""

    accuracy: float
    macro_f1: float
    folds: int


@dataclass(frozen=True, eq=False)
class TrainedModel:
    labels: tuple[str, ...]
    featurizer: Featurizer
    coef: NDArray[np.float32]
    intercept: NDArray[np.float32]
    temperature: float
    metrics: TrainingMetrics
    training_size: int
    created_at: datetime
    seed: int
    embedding: EmbeddingBlock | None = None
    """The sentence-embedding features, or None for a lexical model."""
    embedder: Embedder | None = None
    """The embedding model the features come from: given whenever ``embedding`` is."""

    def __post_init__(self) -> None:
        if self.embedding is not None and self.embedder is None:
            raise EmbeddingsUnavailable(_missing(self.embedding.model))

    def probabilities(self, texts: Sequence[str]) -> Floats:
        """One row per text, one column per label (in ``labels`` order), each row summing to 1."""
        lexical = self.featurizer.size
        scores = np.asarray(self.featurizer.transform(texts) @ self.coef[:, :lexical].T, dtype=np.float64)
        if self.embedding is not None and self.embedder is not None:
            dense = self.embedding.features(self.embedder.embed(list(texts)))
            scores += dense @ self.coef[:, lexical:].T
        return _softmax((scores + self.intercept) / self.temperature)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        return [self._prediction(row) for row in self.probabilities(texts)]

    def _prediction(self, row: Floats) -> Prediction:
        best, *rest = np.argsort(-row, kind="stable")[: 1 + ALTERNATIVES]
        return Prediction(
            label=self.labels[best],
            confidence=float(row[best]),
            alternatives=tuple(Alternative(self.labels[i], float(row[i])) for i in rest),
        )

    def to_bytes(self) -> bytes:
        header = {
            "labels": list(self.labels),
            "temperature": self.temperature,
            "metrics": {
                "accuracy": self.metrics.accuracy,
                "macro_f1": self.metrics.macro_f1,
                "folds": self.metrics.folds,
            },
            "training_size": self.training_size,
            "created_at": self.created_at.isoformat(),
            "seed": self.seed,
            "features": self.featurizer.state(),
        }
        arrays = {"coef": self.coef, "intercept": self.intercept, **self.featurizer.arrays()}
        if self.embedding is not None:
            header["embedding"] = self.embedding.state()
            arrays.update(self.embedding.arrays())
        return persistence.pack(header, arrays)

    @classmethod
    def from_bytes(cls, data: bytes, *, embedder: Embedder | None = None) -> TrainedModel:
        """Read :meth:`to_bytes`; :class:`ModelFormatError` for anything else, another version included.

        A model with embedding features needs ``embedder`` to be the model it was trained with;
        without it, :class:`EmbeddingsUnavailable` says what to install or to do. A lexical model
        ignores ``embedder``.
        """
        header, arrays = persistence.unpack(data)
        try:
            return cls._from_parts(header, arrays, embedder)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"the triage model file is damaged ({exc!r})") from None

    @classmethod
    def _from_parts(
        cls, header: dict[str, Any], arrays: dict[str, NDArray[Any]], embedder: Embedder | None
    ) -> TrainedModel:
        labels = tuple(str(label) for label in header["labels"])
        featurizer = Featurizer.from_state(header["features"], arrays)
        embedding = None
        if header.get("embedding") is not None:
            embedding = EmbeddingBlock.from_state(header["embedding"], arrays)
            if embedder is None:
                raise EmbeddingsUnavailable(_missing(embedding.model))
            if embedder.name != embedding.model:
                raise EmbeddingsUnavailable(
                    f"this triage model was trained with the sentence embeddings of {embedding.model},"
                    f" but this process has {embedder.name}; train the model again"
                )
        size = featurizer.size + (embedding.size if embedding is not None else 0)
        coef, intercept = arrays["coef"], arrays["intercept"]
        if coef.shape != (len(labels), size) or intercept.shape != (len(labels),):
            raise ValueError("the weights do not match the labels and the vocabulary")
        return cls(
            labels=labels,
            featurizer=featurizer,
            coef=coef,
            intercept=intercept,
            temperature=float(header["temperature"]),
            metrics=TrainingMetrics(**header["metrics"]),
            training_size=int(header["training_size"]),
            created_at=datetime.fromisoformat(header["created_at"]),
            seed=int(header["seed"]),
            embedding=embedding,
            embedder=embedder if embedding is not None else None,
        )


def _missing(model: str) -> str:
    return (
        f"this triage model needs the sentence embeddings of {model}, which this process does not have:"
        " install the `semantic` extra and leave SUPPORTOPS_SEMANTIC_SEARCH on, or train the model again"
        " without them"
    )


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed: int,
    clock: Clock | None = None,
    embedder: Embedder | None = None,
) -> TrainedModel:
    """Fit on every example, after fitting the confidence temperature on cross-validated scores.

    With ``embedder``, the model also uses sentence embeddings and needs that embedder to be loaded.
    """
    # Imported here, not at the top: the library takes most of a second to import, and every
    # command-line start would pay for it.
    from sklearn.metrics import accuracy_score, f1_score

    check_trainable(texts, labels)
    texts, classes = list(texts), tuple(sorted(set(labels)))
    index = {label: i for i, label in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    embedding, dense = None, None
    if embedder is not None:
        vectors = embedder.embed(texts)
        embedding = EmbeddingBlock.create(embedder.name, vectors.shape[1], seed=seed)
        dense = embedding.features(vectors)
    folds = min(CALIBRATION_FOLDS, min(Counter(labels).values()))
    held_out = _out_of_fold_scores(texts, dense, y, classes=len(classes), folds=folds, seed=seed)
    guesses = held_out.argmax(axis=1)
    featurizer, coef, intercept = _fit(texts, dense, y, classes=len(classes), seed=seed)
    return TrainedModel(
        labels=classes,
        featurizer=featurizer,
        coef=coef,
        intercept=intercept,
        temperature=_fit_temperature(held_out, y),
        metrics=TrainingMetrics(
            accuracy=float(accuracy_score(y, guesses)),
            macro_f1=float(f1_score(y, guesses, average="macro")),
            folds=folds,
        ),
        training_size=len(texts),
        created_at=(clock or SystemClock()).now(),
        seed=seed,
        embedding=embedding,
        embedder=embedder,
    )


def _matrix(lexical: scipy.sparse.csr_matrix, dense: NDArray[np.float32] | None) -> scipy.sparse.csr_matrix:
    if dense is None:
        return lexical
    return scipy.sparse.hstack([lexical, scipy.sparse.csr_matrix(dense)], format="csr")


def _fit(
    texts: list[str], dense: NDArray[np.float32] | None, y: NDArray[np.int_], *, classes: int, seed: int
) -> tuple[Featurizer, NDArray[np.float32], NDArray[np.float32]]:
    """Features and one weight row per label; a two-label machine's single row is split in two halves.

    ``dense`` are the embedding features of ``texts``, one row each, or None for a lexical model.
    """
    from sklearn.svm import LinearSVC

    featurizer = Featurizer.fit(texts)
    features = _matrix(featurizer.transform(texts), dense)
    machine = LinearSVC(C=REGULARISATION_C, random_state=seed).fit(features, y)
    coef = np.zeros((classes, features.shape[1]), dtype=np.float32)
    intercept = np.zeros(classes, dtype=np.float32)
    if len(machine.classes_) == 2:
        low, high = machine.classes_
        coef[low], coef[high] = -machine.coef_[0] / 2, machine.coef_[0] / 2
        intercept[low], intercept[high] = -machine.intercept_[0] / 2, machine.intercept_[0] / 2
    else:
        coef[machine.classes_] = machine.coef_
        intercept[machine.classes_] = machine.intercept_
    return featurizer, coef, intercept


def _out_of_fold_scores(
    texts: list[str],
    dense: NDArray[np.float32] | None,
    y: NDArray[np.int_],
    *,
    classes: int,
    folds: int,
    seed: int,
) -> Floats:
    """Each example scored by a model that did not see it."""
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros((len(texts), classes))
    for learn, judge in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y):
        featurizer, coef, intercept = _fit(
            [texts[i] for i in learn],
            None if dense is None else dense[learn],
            y[learn],
            classes=classes,
            seed=seed,
        )
        lexical = featurizer.transform([texts[i] for i in judge])
        scores[judge] = _matrix(lexical, None if dense is None else dense[judge]) @ coef.T + intercept
    return scores


def _fit_temperature(scores: Floats, y: NDArray[np.int_]) -> float:
    """The softmax temperature of least log loss, by golden-section search (the loss is unimodal in it).

    The targets are smoothed as in Platt scaling: the true label counts for ``1 - 1/(n + 2)``, not 1,
    so that a small set that cross-validates without a mistake still gives a finite temperature
    instead of certainty about every ticket, the ambiguous ones included.
    """
    low, high = _TEMPERATURE_RANGE
    for _ in range(60):
        left, right = high - _GOLDEN * (high - low), low + _GOLDEN * (high - low)
        if _log_loss(scores, y, math.exp(left)) < _log_loss(scores, y, math.exp(right)):
            high = right
        else:
            low = left
    return math.exp((low + high) / 2)


def _log_loss(scores: Floats, y: NDArray[np.int_], temperature: float) -> float:
    """Cross-entropy against the smoothed targets: ``1 - e`` on the true label, ``e`` shared by the rest."""
    rows, labels = scores.shape
    spread = 1 / (rows + 2) / (labels - 1)
    tempered = scores / temperature
    tempered -= tempered.max(axis=1, keepdims=True)
    log_p = tempered - np.log(np.exp(tempered).sum(axis=1, keepdims=True))
    true = log_p[np.arange(rows), y]
    return float(-np.mean((1 - 1 / (rows + 2) - spread) * true + spread * log_p.sum(axis=1)))


def _softmax(scores: Floats) -> Floats:
    shifted: Floats = np.exp(scores - scores.max(axis=1, keepdims=True))
    normalised: Floats = shifted / shifted.sum(axis=1, keepdims=True)
    return normalised
