"""Made-up tickets whose category shows in their words, as clearly or as faintly as a test needs."""

from __future__ import annotations

import random
import zlib

import numpy as np
from numpy.typing import NDArray

TOPICS = {
    "billing": ["invoice", "charge", "refund", "payment", "billed", "receipt", "price", "card"],
    "login": ["password", "login", "locked", "account", "reset", "username", "signin", "otp"],
    "shipping": ["parcel", "delivery", "courier", "tracking", "shipped", "address", "arrive", "box"],
    "bug": ["crash", "error", "broken", "freeze", "exception", "button", "blank", "screen"],
}
FILLER = ["please", "help", "my", "the", "is", "not", "why", "today", "again", "still", "hello", "thanks"]


def tickets(
    per_label: int, *, seed: int, topical: float = 1.0, labels: tuple[str, ...] = tuple(TOPICS)
) -> tuple[list[str], list[str]]:
    """``per_label`` tickets of each label; each word is from its topic with chance ``topical``.

    The other words come from filler or from any topic, so a low ``topical`` makes labels overlap.
    """
    rng = random.Random(seed)
    every_topic_word = [word for label in labels for word in TOPICS[label]]
    texts, names = [], []
    for label in labels:
        for _ in range(per_label):
            words = [
                rng.choice(TOPICS[label]) if rng.random() < topical else rng.choice(every_topic_word)
                for _ in range(4)
            ]
            words += rng.sample(FILLER, 3)
            rng.shuffle(words)
            texts.append(" ".join(words))
            names.append(label)
    return texts, names


class WordVectors:
    """A stand-in for the packaged sentence embedder: the normalised mean of a fixed random vector per
    word (seeded by the word's CRC), so the tests need neither the ``semantic`` extra nor its model."""

    def __init__(self, name: str = "test-word-vectors-16", dimension: int = 16) -> None:
        self.name = name
        self.dimension = dimension

    def _vector(self, word: str) -> NDArray[np.float32]:
        return np.random.default_rng(zlib.crc32(word.encode())).normal(size=self.dimension).astype(np.float32)

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                rows[row] += self._vector(word)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms > 0, norms, 1)
