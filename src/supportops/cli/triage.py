"""``supportops triage``: train a ticket classifier from a CSV, measure it, and predict categories.

``predict`` reads one text per line on stdin (or ``--text``) and writes one JSON line per text:
``{"label", "confidence", "alternatives": [{"label", "confidence"}, ...]}``. Bad input (an unreadable
file, a missing column, a single label, a model file of another format version) stops with one line
on stderr and exit code 2.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer

from supportops.cli.common import fail as _fail
from supportops.kit.errors import SupportOpsError
from supportops.knowledge import semantic
from supportops.triage import Evaluation, TrainedModel, evaluate, stratified_split, train

triage_app = typer.Typer(no_args_is_help=True, help="Ticket triage: a category classifier with confidences.")

SEED = 0
HOLD_OUT = 0.1
DEFAULT_MODEL = Path("var/triage-model.bin")

CsvFile = Annotated[Path, typer.Option("--csv", help="A CSV file with a header row.")]
TextColumn = Annotated[str, typer.Option("--text-column", help="The column holding the ticket text.")]
LabelColumn = Annotated[str, typer.Option("--label-column", help="The column holding the category.")]
ModelPath = Annotated[Path, typer.Option("--model", help="The model file.")]


def _read_csv(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """Texts and labels of the rows that have both; rows missing either are skipped, and counted."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in (text_column, label_column) if name not in (reader.fieldnames or [])]
            if missing:
                found = ", ".join(reader.fieldnames or []) or "none"
                raise _fail(f"{path} has no column {', '.join(missing)} (its columns: {found})")
            rows = [(row[text_column] or "", row[label_column] or "") for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(f"cannot read {path}: {exc}") from None
    kept = [(text.strip(), label.strip()) for text, label in rows if text.strip() and label.strip()]
    if len(kept) < len(rows):
        typer.echo(f"skipped {len(rows) - len(kept)} rows without a text or a label", err=True)
    return [text for text, _ in kept], [label for _, label in kept]


def _train(texts: list[str], labels: list[str]) -> tuple[TrainedModel, float]:
    start = time.perf_counter()
    try:
        model = train(texts, labels, seed=SEED, embedder=semantic.embedder())
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    return model, time.perf_counter() - start


def _load_model(path: Path) -> TrainedModel:
    try:
        return TrainedModel.from_bytes(path.read_bytes(), embedder=semantic.embedder())
    except OSError as exc:
        raise _fail(f"cannot read the model {path}: {exc.strerror}; train one with `triage train`") from None
    except SupportOpsError as exc:
        raise _fail(f"{path}: {exc.detail}") from None


def _print_evaluation(result: Evaluation) -> None:
    typer.echo(f"accuracy {result.accuracy:.4f}, macro-F1 {result.macro_f1:.4f} on {result.size} texts")
    width = max([len("label"), *(len(row.label) for row in result.per_class)])
    typer.echo(f"{'label':<{width}}  precision  recall     f1  support")
    for row in result.per_class:
        typer.echo(
            f"{row.label:<{width}}  {row.precision:9.3f}  {row.recall:6.3f}  {row.f1:5.3f}  {row.support:7d}"
        )
    for level in result.thresholds:
        accuracy = "-" if level.accuracy is None else f"{level.accuracy:.4f}"
        typer.echo(f"confidence >= {level.threshold:.2f}: coverage {level.coverage:.4f}, accuracy {accuracy}")
    typer.echo(f"accuracy={result.accuracy:.4f}")


@triage_app.command("train")
def train_command(
    csv_file: CsvFile, text_column: TextColumn, label_column: LabelColumn, model: ModelPath = DEFAULT_MODEL
) -> None:
    """Train on every row of the CSV and save the model; validation figures are 3-fold cross-validated."""
    texts, labels = _read_csv(csv_file, text_column, label_column)
    trained, seconds = _train(texts, labels)
    try:
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(trained.to_bytes())
    except OSError as exc:
        raise _fail(f"cannot write the model {model}: {exc.strerror}") from None
    metrics = trained.metrics
    typer.echo(f"trained on {trained.training_size} texts, {len(trained.labels)} classes in {seconds:.1f} s")
    typer.echo(f"classes: {', '.join(trained.labels)}")
    typer.echo(
        f"validation ({metrics.folds}-fold cross-validation): accuracy {metrics.accuracy:.4f},"
        f" macro-F1 {metrics.macro_f1:.4f}"
    )
    typer.echo(f"model written to {model}")


@triage_app.command("evaluate")
def evaluate_command(
    csv_file: CsvFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Evaluate this model; without it, train on 90 % and test on 10 %."),
    ] = None,
) -> None:
    """Print accuracy, macro-F1, a per-class table, coverage at thresholds; the last line is accuracy=."""
    texts, labels = _read_csv(csv_file, text_column, label_column)
    if model is not None:
        trained = _load_model(model)
    else:
        split = stratified_split(texts, labels, fraction=HOLD_OUT, seed=SEED)
        if not split.test_texts:
            raise _fail(f"{csv_file} is too small to hold out a test part; give --model")
        trained, seconds = _train(split.train_texts, split.train_labels)
        typer.echo(
            f"no --model: trained on a stratified {1 - HOLD_OUT:.0%} ({len(split.train_texts)} texts,"
            f" seed {SEED}) in {seconds:.1f} s, testing on the other {len(split.test_texts)}"
        )
        texts, labels = split.test_texts, split.test_labels
    try:
        result = evaluate(trained, texts, labels)
    except SupportOpsError as exc:
        raise _fail(exc.detail) from None
    _print_evaluation(result)


@triage_app.command("predict")
def predict_command(
    model: ModelPath = DEFAULT_MODEL,
    text: Annotated[
        str | None, typer.Option("--text", help="One text; without it, read one text per line on stdin.")
    ] = None,
) -> None:
    """Write a JSON line {"label", "confidence", "alternatives"} for each text."""
    trained = _load_model(model)
    texts = [text] if text is not None else [line.strip() for line in typer.get_text_stream("stdin")]
    out = typer.get_binary_stream("stdout")
    for prediction in trained.predict([line for line in texts if line]):
        out.write(orjson.dumps(prediction, option=orjson.OPT_APPEND_NEWLINE))
    out.flush()
