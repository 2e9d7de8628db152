#!/usr/bin/env python3
"""Ticket triage on BANKING77: our classifier against TF-IDF + multinomial naive Bayes, same split.

The split is stratified: 10 % of every intent of train.csv is held out (seed 0) and used once, for
the figures printed here; the official test split is not in the data folder and is not used. Our
settings were chosen by cross-validation inside the other 90 % (docs/benchmarks.md).

Our model uses the packaged sentence embeddings when the ``semantic`` extra is installed (as in the
app); ``--lexical`` measures the fallback without them.

Printed for both: accuracy, macro-F1, training and prediction time, and the coverage and accuracy of
the predictions at or above each confidence threshold; then the ratio of their error rates, and the
size and read time of our model file.

Usage:  .venv/bin/python bench/triage.py [--csv ../shared/data/banking77/train.csv] [--seed 0] [--lexical]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

from supportops.knowledge import semantic
from supportops.triage import Embedder, Evaluation, Split, TrainedModel, score, stratified_split, train

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "train.csv"
Guesser = Callable[[list[str]], tuple[list[str], list[float]]]


def load(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["category"] for row in rows]


def ours(split: Split, seed: int, embedder: Embedder | None) -> tuple[Guesser, float, TrainedModel]:
    start, cpu = time.perf_counter(), time.process_time()
    model = train(split.train_texts, split.train_labels, seed=seed, embedder=embedder)
    elapsed = time.perf_counter() - start
    print(f"our training: {elapsed:.1f} s wall clock, {time.process_time() - cpu:.1f} s of CPU time")

    def guess(texts: list[str]) -> tuple[list[str], list[float]]:
        predictions = model.predict(texts)
        return [p.label for p in predictions], [p.confidence for p in predictions]

    return guess, elapsed, model


def naive_bayes(split: Split) -> tuple[Guesser, float]:
    start = time.perf_counter()
    pipeline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), MultinomialNB(alpha=0.1))
    pipeline.fit(split.train_texts, split.train_labels)
    elapsed = time.perf_counter() - start

    def guess(texts: list[str]) -> tuple[list[str], list[float]]:
        probabilities = pipeline.predict_proba(texts)
        best = probabilities.argmax(axis=1)
        return [str(pipeline.classes_[i]) for i in best], [
            float(probabilities[r, i]) for r, i in enumerate(best)
        ]

    return guess, elapsed


def judge(name: str, guess: Guesser, train_seconds: float, split: Split) -> Evaluation:
    start = time.perf_counter()
    guesses, confidences = guess(split.test_texts)
    predict_seconds = time.perf_counter() - start
    result = score(split.test_labels, guesses, confidences)
    print(f"\n## {name}")
    print(f"accuracy {result.accuracy:.4f}  macro-F1 {result.macro_f1:.4f}")
    print(
        f"training {train_seconds:.1f} s; prediction {predict_seconds * 1000:.0f} ms for {len(guesses)} texts"
        f" ({predict_seconds / len(guesses) * 1e6:.0f} µs each)"
    )
    for row in result.thresholds:
        accuracy = "-" if row.accuracy is None else f"{row.accuracy:.4f}"
        print(f"confidence >= {row.threshold:.1f}: coverage {row.coverage:.4f}, accuracy {accuracy}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lexical", action="store_true", help="our model without sentence embeddings")
    args = parser.parse_args()
    embedder = None if args.lexical else semantic.embedder()
    if embedder is None and not args.lexical:
        print("(no sentence embeddings: the semantic extra is missing or switched off; lexical model)")
    texts, labels = load(args.csv)
    split = stratified_split(texts, labels, fraction=0.1, seed=args.seed)
    print(
        f"# {args.csv.name}: {len(split.train_texts)} training, {len(split.test_texts)} validation texts,"
        f" {len(set(labels))} labels; Python {platform.python_version()}, scikit-learn {version('scikit-learn')},"
        f" {os.cpu_count()} CPUs"
    )
    guess, seconds, model = ours(split, args.seed, embedder)
    embedded = "" if model.embedding is None else f" + {model.embedding.size} from {model.embedding.model}"
    print(
        f"\nour model: {model.featurizer.size} lexical features{embedded}, temperature {model.temperature:.3f},"
        f" cross-validated on its training data ({model.metrics.folds} folds): accuracy"
        f" {model.metrics.accuracy:.4f}, macro-F1 {model.metrics.macro_f1:.4f}"
    )
    name = "word + character TF-IDF" + (
        "" if model.embedding is None else " + sentence embedding and its RFF"
    )
    mine = judge(f"{name}, linear SVM, calibrated softmax (ours)", guess, seconds, split)
    baseline = judge(
        "baseline: word TF-IDF + multinomial naive Bayes (alpha 0.1)", *naive_bayes(split), split
    )
    print(f"\nerror rate: ours {1 - mine.accuracy:.4f}, baseline {1 - baseline.accuracy:.4f},")
    print(f"baseline errors / our errors = {(1 - baseline.accuracy) / (1 - mine.accuracy):.2f}")
    start = time.perf_counter()
    data = model.to_bytes()
    written = time.perf_counter() - start
    start = time.perf_counter()
    TrainedModel.from_bytes(data, embedder=embedder)
    print(
        f"model file {len(data) / 1e6:.1f} MB, written in {written:.2f} s,"
        f" read in {time.perf_counter() - start:.2f} s;"
        f" peak memory of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
