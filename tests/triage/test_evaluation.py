"""Scores of a set of guesses, checked against counts worked out by hand."""

from __future__ import annotations

import pytest

from supportops.triage import ClassRow, InvalidTriageData, ThresholdRow, score

TRUTH = ["a", "a", "a", "b", "b", "c"]
GUESSES = ["a", "a", "b", "b", "b", "b"]
CONFIDENCES = [0.95, 0.6, 0.8, 0.92, 0.4, 0.55]


def test_accuracy_macro_f1_and_per_class_rows() -> None:
    result = score(TRUTH, GUESSES, CONFIDENCES)
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.size == 6
    assert result.per_class == (
        ClassRow("a", 1.0, pytest.approx(2 / 3), pytest.approx(0.8), 3),
        ClassRow("b", 0.5, 1.0, pytest.approx(2 / 3), 2),
        ClassRow("c", 0.0, 0.0, 0.0, 1),
    )
    assert result.macro_f1 == pytest.approx((0.8 + 2 / 3 + 0) / 3)


def test_thresholds_give_coverage_and_accuracy_of_the_confident_guesses() -> None:
    result = score(TRUTH, GUESSES, CONFIDENCES, thresholds=(0.5, 0.9, 0.99))
    assert result.thresholds == (
        ThresholdRow(0.5, pytest.approx(5 / 6), pytest.approx(3 / 5)),
        ThresholdRow(0.9, pytest.approx(2 / 6), 1.0),
        ThresholdRow(0.99, 0.0, None),
    )


def test_a_label_only_guessed_counts_in_the_macro_f1() -> None:
    result = score(["a", "a"], ["a", "z"], [0.9, 0.9])
    assert [row.label for row in result.per_class] == ["a", "z"]
    assert result.macro_f1 == pytest.approx((2 / 3 + 0) / 2)


def test_guesses_and_truth_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidTriageData, match="got 1 texts but 2 labels"):
        score(["a", "b"], ["a"], [0.5])
