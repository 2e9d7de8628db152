"""Training and prediction: separable labels are learned, and confidences behave like probabilities."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from supportops.kit.clock import FrozenClock
from supportops.kit.errors import InvalidInput
from supportops.kit.text import normalise
from supportops.triage import InvalidTriageData, TrainedModel, evaluate, train
from supportops.triage.classifier import ALTERNATIVES
from supportops.triage.embedding import EmbeddingBlock
from tests.triage.synthetic import WordVectors, tickets


def test_separable_labels_are_learned_and_the_cross_validated_metrics_are_stored() -> None:
    texts, labels = tickets(30, seed=1)
    model = train(texts, labels, seed=0)
    unseen = evaluate(model, *tickets(20, seed=2))
    assert unseen.accuracy >= 0.97
    assert unseen.macro_f1 >= 0.97
    assert model.labels == ("billing", "bug", "login", "shipping")
    assert model.training_size == 120
    assert model.metrics.folds == 3
    assert model.metrics.accuracy >= 0.95 and model.metrics.macro_f1 >= 0.95


def test_probabilities_are_rows_that_sum_to_one_and_predictions_are_ordered() -> None:
    model = train(*tickets(20, seed=1), seed=0)
    texts, _ = tickets(5, seed=3)
    probabilities = model.probabilities(texts)
    assert probabilities.shape == (len(texts), 4)
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    for prediction, row in zip(model.predict(texts), probabilities, strict=True):
        ranked = [prediction.confidence, *(alternative.confidence for alternative in prediction.alternatives)]
        assert ranked == sorted(ranked, reverse=True)
        assert prediction.confidence == pytest.approx(row.max())
        assert len(prediction.alternatives) == min(ALTERNATIVES, 3)
        assert prediction.label not in {alternative.label for alternative in prediction.alternatives}


def test_a_clear_ticket_gets_more_confidence_than_an_ambiguous_one() -> None:
    model = train(*tickets(30, seed=1), seed=0)
    clear, ambiguous = model.predict(
        ["refund the charge on my invoice please", "invoice password parcel crash"]
    )
    assert clear.label == "billing"
    assert clear.confidence > 0.8
    assert ambiguous.confidence < clear.confidence - 0.3


def test_confidence_matches_accuracy_on_overlapping_labels() -> None:
    """Calibration: on unseen tickets, the mean confidence is close to the share that is right."""
    model = train(*tickets(60, seed=1, topical=0.45), seed=0)
    texts, labels = tickets(100, seed=4, topical=0.45)
    predictions = model.predict(texts)
    accuracy = np.mean([p.label == label for p, label in zip(predictions, labels, strict=True)])
    assert 0.5 < accuracy < 0.95
    assert np.mean([p.confidence for p in predictions]) == pytest.approx(accuracy, abs=0.07)


def test_two_labels_give_complementary_probabilities() -> None:
    model = train(*tickets(15, seed=1, labels=("billing", "login")), seed=0)
    [prediction] = model.predict(["I forgot my password and the login is locked"])
    assert prediction.label == "login"
    [alternative] = prediction.alternatives
    assert alternative.label == "billing"
    assert prediction.confidence + alternative.confidence == pytest.approx(1.0)


def test_the_same_seed_trains_the_same_model_and_the_clock_dates_it() -> None:
    texts, labels = tickets(15, seed=1)
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = train(texts, labels, seed=5, clock=FrozenClock(at))
    second = train(texts, labels, seed=5)
    assert np.array_equal(first.probabilities(texts), second.probabilities(texts))
    assert first.created_at == at


def test_with_an_embedder_the_model_learns_from_words_and_embeddings() -> None:
    texts, labels = tickets(30, seed=1)
    vectors = WordVectors()
    model = train(texts, labels, seed=0, embedder=vectors)
    assert model.embedding is not None and model.embedding.model == vectors.name
    assert model.coef.shape == (4, model.featurizer.size + model.embedding.size)
    unseen = evaluate(model, *tickets(20, seed=2))
    assert unseen.accuracy >= 0.97 and model.metrics.accuracy >= 0.95
    probabilities = model.probabilities(tickets(5, seed=3)[0])
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    again = train(texts, labels, seed=0, embedder=vectors)
    assert np.array_equal(again.probabilities(texts), model.probabilities(texts))


def test_embedding_features_approximate_a_gaussian_kernel() -> None:
    block = EmbeddingBlock.create("m", 8, seed=0, kernel_features=20_000, gamma=1.0, weight=1.0)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kernel = block.features(vectors)[:, 8:]
    distances = ((vectors[:, None, :] - vectors[None, :, :]) ** 2).sum(axis=2)
    assert np.allclose(kernel @ kernel.T, np.exp(-distances), atol=0.03)


def test_an_embedder_of_another_dimension_is_refused() -> None:
    data = train(*tickets(10, seed=1), seed=0, embedder=WordVectors()).to_bytes()
    loaded = TrainedModel.from_bytes(data, embedder=WordVectors(dimension=8))  # same name, other size
    with pytest.raises(ValueError, match="expects 16 dimensions"):
        loaded.predict(["refund my invoice"])


def test_predicting_nothing_gives_nothing() -> None:
    assert train(*tickets(5, seed=1), seed=0).predict([]) == []


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        ([], [], "no texts given"),
        (["a", "b"], ["x"], "got 2 texts but 1 labels"),
        (["a", "b", "c"], ["x", "x", "x"], r"only one label \('x'\)"),
        (["a", "b", "c"], ["x", "x", "y"], "fewer than 2 examples: y"),
    ],
)
def test_unusable_training_data_is_refused_by_name(texts: list[str], labels: list[str], message: str) -> None:
    with pytest.raises(InvalidTriageData, match=message) as caught:
        train(texts, labels, seed=0)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.status == 422


def test_normalise_folds_numbers_case_and_apostrophes() -> None:
    assert normalise("I DON'T see my £1,250.00 from 12/03") == "i dont see my £0,0.0 from 0/0"
