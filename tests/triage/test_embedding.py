"""Where embeddings come from: the provider the application names, or none, and then triage is lexical."""

from __future__ import annotations

from supportops.triage import embedding, train
from tests.triage.synthetic import WordVectors, tickets


def test_without_a_provider_or_with_one_that_gives_none_training_is_lexical() -> None:
    previous = embedding.provide(None)
    try:
        assert embedding.current() is None
        embedding.provide(lambda: None)  # the semantic extra missing, or switched off
        assert embedding.current() is None
        model = train(*tickets(10, seed=1), seed=0, embedder=embedding.current())
        assert model.embedding is None and model.coef.shape[1] == model.featurizer.size
    finally:
        embedding.provide(previous)


def test_the_provider_is_asked_each_time_and_can_be_put_back() -> None:
    vectors = WordVectors()
    previous = embedding.provide(lambda: vectors)
    try:
        assert embedding.current() is vectors
    finally:
        assert embedding.provide(previous) is not None
    assert embedding.current() is (None if previous is None else previous())
