"""Checks and splits of labelled texts, shared by training, evaluation, the CLI and the benchmark."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from supportops.triage.errors import InvalidTriageData

MIN_EXAMPLES_PER_LABEL = 2


@dataclass(frozen=True)
class Split:
    """Two disjoint parts of one labelled set: one to learn from, one to measure on."""

    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]


def check_pairs(texts: Sequence[str], labels: Sequence[str]) -> None:
    """Refuse an empty set and texts and labels that do not pair up one to one."""
    if len(texts) != len(labels):
        raise InvalidTriageData(
            f"got {len(texts)} texts but {len(labels)} labels; give one label per text", field="labels"
        )
    if not texts:
        raise InvalidTriageData("no texts given; give at least one labelled text", field="texts")


def check_trainable(texts: Sequence[str], labels: Sequence[str]) -> None:
    """A model needs two labels to choose between and two examples of each to calibrate on."""
    check_pairs(texts, labels)
    counts = Counter(labels)
    if len(counts) < 2:
        raise InvalidTriageData(
            f"only one label ({next(iter(counts))!r}) in the training data; a classifier needs at least two",
            field="labels",
        )
    rare = sorted(label for label, count in counts.items() if count < MIN_EXAMPLES_PER_LABEL)
    if rare:
        raise InvalidTriageData(
            f"labels with fewer than {MIN_EXAMPLES_PER_LABEL} examples: {', '.join(rare)};"
            " add examples or merge them into another label",
            field="labels",
        )


def stratified_split(texts: Sequence[str], labels: Sequence[str], *, fraction: float, seed: int) -> Split:
    """Hold out about ``fraction`` of every label, never leaving a label with fewer than two to learn from.

    Every label keeps its share in both parts, so a rare category is measured as well as a common one;
    the same seed always holds out the same rows.
    """
    check_pairs(texts, labels)
    if not 0 < fraction < 1:
        raise InvalidTriageData(f"fraction must be between 0 and 1, got {fraction}", field="fraction")
    rows_by_label: dict[str, list[int]] = defaultdict(list)
    for row, label in enumerate(labels):
        rows_by_label[label].append(row)
    rng = random.Random(seed)
    held_out: set[int] = set()
    for label in sorted(rows_by_label):
        rows = rows_by_label[label]
        rng.shuffle(rows)
        held_out.update(rows[: max(0, min(round(len(rows) * fraction), len(rows) - MIN_EXAMPLES_PER_LABEL))])
    kept = [row for row in range(len(texts)) if row not in held_out]
    tested = sorted(held_out)
    return Split(
        train_texts=[texts[row] for row in kept],
        train_labels=[labels[row] for row in kept],
        test_texts=[texts[row] for row in tested],
        test_labels=[labels[row] for row in tested],
    )
