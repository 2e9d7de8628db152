"""The model file: a faithful round trip, and a clear refusal of anything that is not this format."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import orjson
import pytest

from supportops.triage import ModelFormatError, TrainedModel, train
from supportops.triage.persistence import FORMAT_VERSION
from tests.triage.synthetic import tickets


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return train(*tickets(15, seed=1), seed=0)


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
