"""The optional embeddings: the packaged model loads with no network, finds paraphrases that share no
word with the article, and can be switched off, leaving lexical suggestions that still work."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from supportops.config import get_settings
from supportops.knowledge import live, semantic
from supportops.knowledge.index import ArticleIndex, LayeredIndex, indexed
from supportops.knowledge.markup import sentences
from tests.factories import Team
from tests.knowledge.conftest import create, suggest

ARTICLES = [
    ("Reset your password", "Choose Forgot password on the sign-in page and follow the emailed link."),
    ("Track your delivery", "Every order has a tracking number in the confirmation email."),
    ("Request a refund", "To get your money back, open the order and choose Request refund."),
    ("Change your card", "Update the payment card on your account under Billing."),
]
PARAPHRASES = {"I can't remember my credentials": 1, "my shipment hasn't shown up": 2}


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[semantic.Embedder]:
    """The embedder, loaded while every network connection fails."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network disabled in this test")

    semantic._loaded.clear()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    loaded = semantic.embedder()
    if loaded is None:
        pytest.fail("the semantic extra (wordllama) is part of the dev install and must load offline")
    yield loaded
    semantic._loaded.clear()


def _articles() -> list[Any]:
    return [
        indexed(id=i + 1, title=t, text=b, public=True, sentences=sentences(b))
        for i, (t, b) in enumerate(ARTICLES)
    ]


def test_the_packaged_model_loads_offline_and_embeds_meaning(model: semantic.Embedder) -> None:
    vectors = model.embed(["I forgot my password", "reset your password", "where is my parcel"])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_embeddings_find_paraphrases_that_words_miss(model: semantic.Embedder) -> None:
    lexical = ArticleIndex.build(_articles())
    blended = ArticleIndex.build(_articles(), embedder=model)
    assert blended.semantic == model.name and lexical.semantic is None
    for query, expected in PARAPHRASES.items():
        assert lexical.search(query, public_only=True)[0].article_id != expected
        assert blended.search(query, public_only=True)[0].article_id == expected
    # a publish goes into the overlay; the base (and its embeddings) is shared, not copied
    added = indexed(
        id=9,
        title="Cancel your subscription",
        text="End your plan any time.",
        public=True,
        sentences=["End your plan any time."],
    )
    layered = LayeredIndex.build(_articles(), embedder=model)
    grown = layered.with_changes([added], removed=[1])
    assert grown.base is layered.base and grown.overlay is not None and len(grown) == 4
    assert grown.search("my shipment hasn't shown up", public_only=True)[0].article_id == 2
    assert grown.search("cancel my subscription", public_only=True)[0].article_id == 9


@pytest.fixture
def lexical_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SUPPORTOPS_SEMANTIC_SEARCH", "false")
    get_settings.cache_clear()
    live.forget()
    yield
    get_settings.cache_clear()
    live.forget()


def test_switched_off_suggestions_are_lexical_and_still_work(
    lexical_only: None, client: TestClient, team: Team
) -> None:
    ids = {t: create(client, team.agent, title=t, body=b)["id"] for t, b in ARTICLES}
    found = suggest(client, "I forgot my password")
    assert found["suggestions"][0]["article_id"] == ids["Reset your password"]
    settings = client.get("/api/v1/kb/settings", headers=team.agent.headers).json()
    assert settings["semantic"] is None and settings["threshold_source"] == "calibrated default"
