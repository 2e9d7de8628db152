"""Made-up tickets whose category shows in their words, as clearly or as faintly as a test needs."""

from __future__ import annotations

import random

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
