"""The stratified split: every label in both parts, in proportion, the same for the same seed."""

from __future__ import annotations

from collections import Counter

import pytest

from supportops.triage import InvalidTriageData, stratified_split


def _labelled(counts: dict[str, int]) -> tuple[list[str], list[str]]:
    labels = [label for label, count in counts.items() for _ in range(count)]
    return [f"{label} text {i}" for i, label in enumerate(labels)], labels


def test_each_label_is_held_out_in_proportion_and_keeps_two_to_learn_from() -> None:
    texts, labels = _labelled({"big": 100, "mid": 30, "small": 3, "pair": 2})
    split = stratified_split(texts, labels, fraction=0.5, seed=0)
    assert Counter(split.test_labels) == {"big": 50, "mid": 15, "small": 1}
    assert Counter(split.train_labels) == {"big": 50, "mid": 15, "small": 2, "pair": 2}
    assert sorted(split.train_texts + split.test_texts) == sorted(texts)
    for text, label in zip(split.test_texts, split.test_labels, strict=True):
        assert text.startswith(label)


def test_the_same_seed_holds_out_the_same_rows_and_another_seed_others() -> None:
    texts, labels = _labelled({"a": 50, "b": 50})
    first = stratified_split(texts, labels, fraction=0.2, seed=1)
    assert stratified_split(texts, labels, fraction=0.2, seed=1) == first
    assert stratified_split(texts, labels, fraction=0.2, seed=2).test_texts != first.test_texts


def test_a_fraction_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(InvalidTriageData, match="fraction must be between 0 and 1"):
        stratified_split(["a", "b"], ["x", "y"], fraction=1.0, seed=0)
