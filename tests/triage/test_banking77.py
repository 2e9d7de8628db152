"""A real data set: BANKING77 (77 banking intents, CC BY 4.0), when the shared data folder is present.

A quarter of its training file keeps this under half a minute; the full run is ``bench/triage.py``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from supportops.triage import evaluate, stratified_split, train

DATA = Path(
    os.environ.get(
        "SUPPORTOPS_BANKING77_CSV",
        Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77" / "train.csv",
    )
)


@pytest.mark.skipif(not DATA.is_file(), reason=f"BANKING77 not found at {DATA}")
def test_a_quarter_of_banking77_classifies_the_held_out_tenth_well() -> None:
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    whole = stratified_split(
        [row["text"] for row in rows], [row["category"] for row in rows], fraction=0.1, seed=0
    )
    subset = stratified_split(whole.train_texts, whole.train_labels, fraction=0.72, seed=0)
    model = train(subset.train_texts, subset.train_labels, seed=0)
    result = evaluate(model, whole.test_texts, whole.test_labels)
    assert len(model.labels) == 77
    assert result.accuracy >= 0.82
    assert result.macro_f1 >= 0.80
    confident = result.thresholds[-1]
    assert confident.accuracy is not None and confident.accuracy >= 0.93
