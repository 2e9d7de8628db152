"""``supportops triage``: train, evaluate and predict from CSV files, and one clear line for bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from supportops.cli.triage import triage_app
from supportops.knowledge import semantic
from supportops.triage import TrainedModel, persistence
from tests.triage.synthetic import tickets

runner = CliRunner()
app = typer.Typer()
app.add_typer(triage_app, name="triage")


def _write_csv(path: Path, texts: list[str], labels: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "queue"])
        writer.writerows(zip(texts, labels, strict=True))
    return path


@pytest.fixture
def tickets_csv(tmp_path: Path) -> Path:
    return _write_csv(tmp_path / "tickets.csv", *tickets(30, seed=1))


@pytest.fixture
def model_file(tickets_csv: Path, tmp_path: Path) -> Path:
    path = tmp_path / "models" / "triage.bin"
    result = runner.invoke(
        app,
        [
            "triage",
            "train",
            "--csv",
            str(tickets_csv),
            "--text-column",
            "subject",
            "--label-column",
            "queue",
            "--model",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    return path


def test_train_writes_a_model_and_reports_size_classes_and_validation(
    tickets_csv: Path, tmp_path: Path
) -> None:
    path = tmp_path / "models" / "triage.bin"
    result = runner.invoke(
        app,
        [
            "triage",
            "train",
            "--csv",
            str(tickets_csv),
            "--text-column",
            "subject",
            "--label-column",
            "queue",
            "--model",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert path.is_file()
    assert "trained on 120 texts, 4 classes in" in result.stdout
    assert "classes: billing, bug, login, shipping" in result.stdout
    assert "validation (3-fold cross-validation): accuracy 1.0000" in result.stdout


def test_predict_writes_one_json_line_per_text(model_file: Path) -> None:
    single = runner.invoke(
        app, ["triage", "predict", "--model", str(model_file), "--text", "where is my parcel delivery"]
    )
    assert single.exit_code == 0, single.output
    [line] = single.stdout.splitlines()
    answer = orjson.loads(line)
    assert answer["label"] == "shipping"
    assert 0.5 < answer["confidence"] <= 1
    assert [alt["label"] for alt in answer["alternatives"]] != [] and "shipping" not in {
        alt["label"] for alt in answer["alternatives"]
    }
    many = runner.invoke(
        app,
        ["triage", "predict", "--model", str(model_file)],
        input="reset my password\n\nthe app crash error\n",
    )
    assert many.exit_code == 0, many.output
    assert [orjson.loads(line)["label"] for line in many.stdout.splitlines()] == ["login", "bug"]


def test_evaluate_a_model_prints_the_table_and_accuracy_last(model_file: Path, tmp_path: Path) -> None:
    unseen = _write_csv(tmp_path / "unseen.csv", *tickets(10, seed=2))
    result = runner.invoke(
        app,
        [
            "triage",
            "evaluate",
            "--csv",
            str(unseen),
            "--text-column",
            "subject",
            "--label-column",
            "queue",
            "--model",
            str(model_file),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("accuracy 1.0000, macro-F1 1.0000 on 40 texts")
    assert lines[1].split() == ["label", "precision", "recall", "f1", "support"]
    assert lines[2].split() == ["billing", "1.000", "1.000", "1.000", "10"]
    assert any(line.startswith("confidence >= 0.90: coverage") for line in lines)
    assert lines[-1] == "accuracy=1.0000"


def test_evaluate_without_a_model_trains_on_ninety_percent_and_says_so(tickets_csv: Path) -> None:
    result = runner.invoke(
        app,
        [
            "triage",
            "evaluate",
            "--csv",
            str(tickets_csv),
            "--text-column",
            "subject",
            "--label-column",
            "queue",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "no --model: trained on a stratified 90% (108 texts, seed 0)" in result.stdout
    assert "testing on the other 12" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("accuracy=")
    assert float(result.stdout.splitlines()[-1].removeprefix("accuracy=")) >= 0.9


def test_rows_without_text_or_label_are_skipped_and_counted(tmp_path: Path) -> None:
    texts, labels = tickets(10, seed=1)
    path = _write_csv(tmp_path / "gaps.csv", [*texts, "", "orphan text"], [*labels, "billing", ""])
    result = runner.invoke(
        app,
        [
            "triage",
            "train",
            "--csv",
            str(path),
            "--text-column",
            "subject",
            "--label-column",
            "queue",
            "--model",
            str(tmp_path / "m.bin"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "skipped 2 rows without a text or a label" in result.stderr
    assert "trained on 40 texts" in result.stdout


def _one_error_line(result: Result, message: str) -> None:
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_column_is_one_clear_line(tickets_csv: Path) -> None:
    result = runner.invoke(
        app,
        ["triage", "train", "--csv", str(tickets_csv), "--text-column", "body", "--label-column", "queue"],
    )
    _one_error_line(result, "has no column body (its columns: subject, queue)")


def test_a_single_class_is_one_clear_line(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "one.csv", ["a", "b", "c"], ["billing"] * 3)
    result = runner.invoke(
        app,
        [
            "triage",
            "train",
            "--csv",
            str(path),
            "--text-column",
            "subject",
            "--label-column",
            "queue",
            "--model",
            str(tmp_path / "m.bin"),
        ],
    )
    _one_error_line(result, "only one label ('billing')")
    assert not (tmp_path / "m.bin").exists()


def test_an_unreadable_csv_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "triage",
            "evaluate",
            "--csv",
            str(tmp_path / "nowhere.csv"),
            "--text-column",
            "a",
            "--label-column",
            "b",
        ],
    )
    _one_error_line(result, "cannot read")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81subject,queue\n")
    result = runner.invoke(
        app, ["triage", "evaluate", "--csv", str(binary), "--text-column", "a", "--label-column", "b"]
    )
    _one_error_line(result, f"cannot read {binary}")


def test_a_model_of_another_format_version_is_one_clear_line(
    model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = TrainedModel.from_bytes(model_file.read_bytes(), embedder=semantic.embedder())
    monkeypatch.setattr(persistence, "FORMAT_VERSION", 2)
    future = tmp_path / "future.bin"
    future.write_bytes(model.to_bytes())
    monkeypatch.undo()
    result = runner.invoke(app, ["triage", "predict", "--model", str(future), "--text", "hello"])
    _one_error_line(result, "format version 2, this version reads only version 1")


def test_a_missing_model_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["triage", "predict", "--model", str(tmp_path / "none.bin"), "--text", "hello"]
    )
    _one_error_line(result, "cannot read the model")
