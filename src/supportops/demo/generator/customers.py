"""What customers do besides tickets: answer the relationship (NPS) survey, and solve problems on
their own in the portal (the self-service side of the deflection rate)."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from supportops.demo import catalog
from supportops.demo.generator.people import _World
from supportops.demo.generator.rows import _Ids, _ts
from supportops.demo.generator.shape import (
    _DAY,
    _HOUR,
    NPS_ANSWER_CHANCE,
    NPS_COMMENT_CHANCE,
    NPS_EVERY,
    NPS_WEIGHTS,
    SELF_SERVICE_ANONYMOUS,
    SELF_SERVICE_INDIRECT_SHARE,
    SELF_SERVICE_PER_TICKET,
    _arrivals,
)


def _wave_times(start: int, now: int) -> list[int]:
    """Survey waves every 90 days, counted back from a month before ``now`` (so the latest wave's
    answers are in) while two weeks of history precede a wave; each goes out on a Tuesday at 14:00."""
    out: list[int] = []
    at = now - 30 * _DAY
    while at >= start + 14 * _DAY:
        day = at // _DAY
        tuesday = day - (day + 2) % 7  # epoch day 0 was a Thursday
        out.append(tuesday * _DAY + 14 * _HOUR)
        at -= NPS_EVERY
    return sorted(out)


class _NpsWaves:
    """Collects, per wave, the customers with a ticket created in the 90 days before it and whether
    any of those tickets went badly; :meth:`rows` then sends them the survey."""

    def __init__(self, start: int, now: int) -> None:
        self.now = now
        self.waves = _wave_times(start, now)
        self.active: list[dict[int, list[int]]] = [{} for _ in self.waves]
        """Per wave and customer: [tickets, tickets that went badly]."""

    def note(self, created: int, customer_index: int, unhappy: bool) -> None:
        i = bisect.bisect_right(self.waves, created)
        while i < len(self.waves) and self.waves[i] - NPS_EVERY <= created:
            seen = self.active[i].setdefault(customer_index, [0, 0])
            seen[0] += 1
            seen[1] += unhappy
            i += 1

    def rows(
        self, rng: random.Random, customer_ids: Sequence[int], next_id: Callable[[], int]
    ) -> list[dict[str, Any]]:
        """One survey per active customer and wave, about a quarter answered within two weeks. A
        customer answers as an unhappy one with the share of their tickets that went badly as the
        chance; the draws are systematic (one random start per wave, then the shares summed) so
        that a wave's few dozen answers hold very nearly the expected number of unhappy ones."""
        out: list[dict[str, Any]] = []
        decks = {mood: _Deck(rng, weights) for mood, weights in NPS_WEIGHTS.items()}
        for wave, active in zip(self.waves, self.active, strict=True):
            carry = rng.random()
            for index in sorted(active):
                sent = wave + rng.randrange(2 * _HOUR)
                answered: int | None = None
                score: int | None = None
                comment = ""
                if rng.random() < NPS_ANSWER_CHANCE:
                    at = sent + min(14 * _DAY, int(18 * _HOUR * rng.lognormvariate(0.0, 1.2)))
                    if at <= self.now:
                        tickets, bad = active[index]
                        carry += bad / tickets
                        mood = "unhappy" if carry >= 1 else "happy"
                        carry -= int(carry)
                        answered, score = at, decks[mood].draw()
                        if rng.random() < NPS_COMMENT_CHANCE:
                            kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                            comment = rng.choice(catalog.NPS_COMMENTS[kind]).format(product=catalog.PRODUCT)
                out.append(
                    {
                        "id": next_id(),
                        "customer_id": customer_ids[index],
                        "sent_at": _ts(sent),
                        "answered_at": _ts(answered) if answered is not None else None,
                        "score": score,
                        "comment": comment,
                        "source": "demo",
                    }
                )
        return out


_KINDS = {"detractor": range(0, 7), "passive": range(7, 9), "promoter": range(9, 11)}


class _Deck:
    """Scores 0..10 in the proportions of ``weights``: the kind of answer (detractor, passive,
    promoter) is dealt from a shuffled deck of 20 cards, the score within the kind drawn by its
    weight. Every 20 answers then hold the intended mix of kinds, so the few dozen answers of a
    small demo give about the intended NPS instead of scattering widely around it."""

    SIZE = 20

    def __init__(self, rng: random.Random, weights: tuple[float, ...]) -> None:
        self.rng = rng
        shares = {kind: sum(weights[s] for s in scores) * self.SIZE for kind, scores in _KINDS.items()}
        counts = {kind: int(share) for kind, share in shares.items()}
        by_remainder = sorted(shares, key=lambda kind: shares[kind] - counts[kind], reverse=True)
        for kind in by_remainder[: self.SIZE - sum(counts.values())]:
            counts[kind] += 1
        self.cards = [kind for kind, count in counts.items() for _ in range(count)]
        self.scores = {kind: (list(scores), [weights[s] for s in scores]) for kind, scores in _KINDS.items()}
        self.left: list[str] = []

    def draw(self) -> int:
        if not self.left:
            self.left = list(self.cards)
            self.rng.shuffle(self.left)
        scores, weights = self.scores[self.left.pop()]
        return self.rng.choices(scores, weights=weights)[0]


def _self_service(
    seed: int, world: _World, ids: _Ids, *, tickets: int, start: int, now: int
) -> Iterator[dict[str, Any]]:
    """Self-service resolutions in the portal, ``SELF_SERVICE_PER_TICKET`` per ticket, arriving in
    the tickets' weekly and daily pattern; some by visitors who did not sign in."""
    count = round(tickets * SELF_SERVICE_PER_TICKET)
    times = _arrivals(random.Random(f"supportops-demo:{seed}:self-service-times"), count, start, now)
    rng = random.Random(f"supportops-demo:{seed}:self-service")
    customers = range(len(world.customer_ids))
    for at in times:
        outcome = "indirect" if rng.random() < SELF_SERVICE_INDIRECT_SHARE else "resolved"
        customer: int | None = None
        if rng.random() >= SELF_SERVICE_ANONYMOUS:
            customer = world.customer_ids[rng.choices(customers, cum_weights=world.customer_weights)[0]]
        yield {
            "id": ids.take("self_service_events"),
            "customer_id": customer,
            "outcome": outcome,
            "at": _ts(at),
            "source": "portal",
        }
