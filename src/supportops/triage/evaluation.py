"""How good a model is: accuracy, macro-F1, per-label scores, and what a confidence threshold buys.

Macro-F1 weighs every label alike, so a model that ignores a rare category cannot hide behind the
common ones. The threshold rows answer the triage question: of the tickets whose confidence reaches
the threshold (the coverage), how many get the right category (the accuracy)?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportops.triage.classifier import TrainedModel
from supportops.triage.data import check_pairs

THRESHOLDS = (0.5, 0.7, 0.9)


@dataclass(frozen=True)
class ClassRow:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ThresholdRow:
    """Share of texts at or above ``threshold`` and the accuracy among them (None when there are none)."""

    threshold: float
    coverage: float
    accuracy: float | None


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    macro_f1: float
    per_class: tuple[ClassRow, ...]
    thresholds: tuple[ThresholdRow, ...]
    size: int


def evaluate(
    model: TrainedModel,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    thresholds: Sequence[float] = THRESHOLDS,
) -> Evaluation:
    check_pairs(texts, labels)
    predictions = model.predict(texts)
    return score(
        labels,
        [prediction.label for prediction in predictions],
        [prediction.confidence for prediction in predictions],
        thresholds=thresholds,
    )


def score(
    truth: Sequence[str],
    guesses: Sequence[str],
    confidences: Sequence[float],
    *,
    thresholds: Sequence[float] = THRESHOLDS,
) -> Evaluation:
    """Judge any classifier's guesses; labels it never guessed, or never saw, count in the macro-F1."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    check_pairs(guesses, truth)
    names = sorted(set(truth) | set(guesses))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, guesses, labels=names, zero_division=0
    )
    return Evaluation(
        accuracy=float(accuracy_score(truth, guesses)),
        macro_f1=float(f1_score(truth, guesses, labels=names, average="macro", zero_division=0)),
        per_class=tuple(
            ClassRow(label, float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        ),
        thresholds=tuple(_at_threshold(truth, guesses, confidences, threshold) for threshold in thresholds),
        size=len(truth),
    )


def _at_threshold(
    truth: Sequence[str], guesses: Sequence[str], confidences: Sequence[float], threshold: float
) -> ThresholdRow:
    kept = [
        guess == true
        for true, guess, confidence in zip(truth, guesses, confidences, strict=True)
        if confidence >= threshold
    ]
    return ThresholdRow(
        threshold=threshold,
        coverage=len(kept) / len(truth),
        accuracy=sum(kept) / len(kept) if kept else None,
    )
