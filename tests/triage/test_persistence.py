"""The model file: a faithful round trip, and a clear refusal of anything that is not this format."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
import orjson
import pytest

from supportops.triage import EmbeddingsUnavailable, ModelFormatError, TrainedModel, train
from supportops.triage.persistence import FORMAT_VERSION
from tests.triage.synthetic import WordVectors, tickets


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return train(*tickets(15, seed=1), seed=0)


@pytest.fixture(scope="module")
def embedded() -> TrainedModel:
    return train(*tickets(15, seed=1), seed=0, embedder=WordVectors())


def _header(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        header: dict[str, Any] = orjson.loads(archive.read("header.json"))
    return header


def _with_header(data: bytes, **changes: object) -> bytes:
    """A copy of a model file with some header fields changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "header.json":
                content = orjson.dumps({**orjson.loads(content), **changes})
            target.writestr(name, content)
    return out.getvalue()


def test_a_round_trip_keeps_predictions_and_metadata(model: TrainedModel) -> None:
    again = TrainedModel.from_bytes(model.to_bytes())
    texts, _ = tickets(10, seed=7)
    assert np.array_equal(again.probabilities(texts), model.probabilities(texts))
    assert again.predict(texts) == model.predict(texts)
    assert (again.labels, again.metrics, again.training_size, again.created_at, again.seed) == (
        model.labels,
        model.metrics,
        model.training_size,
        model.created_at,
        model.seed,
    )


def test_a_model_with_embeddings_round_trips_and_names_its_embedding_model(embedded: TrainedModel) -> None:
    data = embedded.to_bytes()
    again = TrainedModel.from_bytes(data, embedder=WordVectors())
    texts, _ = tickets(10, seed=7)
    assert again.embedding is not None and embedded.embedding is not None
    assert np.array_equal(again.embedding.projection, embedded.embedding.projection)
    assert np.allclose(again.probabilities(texts), embedded.probabilities(texts))
    assert again.predict(texts) == embedded.predict(texts)
    header = _header(data)
    assert header["embedding"] == {
        "model": "test-word-vectors-16",
        "dimension": 16,
        "kernel_features": embedded.embedding.projection.shape[1],
        "gamma": embedded.embedding.gamma,
        "weight": embedded.embedding.weight,
    }


def test_a_lexical_model_records_no_embedding_and_ignores_an_embedder(model: TrainedModel) -> None:
    data = model.to_bytes()
    assert "embedding" not in _header(data)
    again = TrainedModel.from_bytes(data, embedder=WordVectors())
    assert again.embedding is None and again.embedder is None
    texts, _ = tickets(5, seed=7)
    assert np.array_equal(again.probabilities(texts), model.probabilities(texts))


def test_a_model_with_embeddings_is_refused_clearly_where_there_are_none(embedded: TrainedModel) -> None:
    with pytest.raises(
        EmbeddingsUnavailable, match=r"test-word-vectors-16.*install the `semantic` extra"
    ) as caught:
        TrainedModel.from_bytes(embedded.to_bytes())
    assert caught.value.status == 422


def test_a_model_with_embeddings_is_refused_with_another_embedding_model(embedded: TrainedModel) -> None:
    other = WordVectors(name="another-model-16")
    with pytest.raises(
        EmbeddingsUnavailable, match="test-word-vectors-16, but this process has another-model-16"
    ):
        TrainedModel.from_bytes(embedded.to_bytes(), embedder=other)


def test_another_format_version_is_refused_naming_both_versions(model: TrainedModel) -> None:
    expected = f"format version 99, this version reads only version {FORMAT_VERSION}"
    with pytest.raises(ModelFormatError, match=expected):
        TrainedModel.from_bytes(_with_header(model.to_bytes(), format_version=99))


@pytest.mark.parametrize("data", [b"", b"label,text\n", b"PK\x03\x04 not really a zip"])
def test_bytes_that_are_not_a_model_are_refused(data: bytes) -> None:
    with pytest.raises(ModelFormatError, match="not a triage model file"):
        TrainedModel.from_bytes(data)


def test_a_zip_of_something_else_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("header.json", b'{"kind": "spreadsheet"}')
    with pytest.raises(ModelFormatError, match="not a triage model file"):
        TrainedModel.from_bytes(out.getvalue())


def test_a_truncated_model_is_refused(model: TrainedModel) -> None:
    data = model.to_bytes()
    with pytest.raises(ModelFormatError):
        TrainedModel.from_bytes(data[: len(data) // 2])


def test_weights_that_do_not_fit_the_labels_are_refused(model: TrainedModel) -> None:
    with pytest.raises(ModelFormatError, match="damaged"):
        TrainedModel.from_bytes(_with_header(model.to_bytes(), labels=["billing", "login"]))


def test_an_embedding_projection_that_does_not_fit_is_refused(embedded: TrainedModel) -> None:
    data = embedded.to_bytes()
    damaged = _with_header(data, embedding={**_header(data)["embedding"], "dimension": 8})
    with pytest.raises(ModelFormatError, match="damaged"):
        TrainedModel.from_bytes(damaged, embedder=WordVectors())
