"""Optional sentence-embedding features: where a model's meaning-level features come from.

The lexical features see words and spellings; a sentence embedding also sees that "my card has not come"
and "still waiting for the card" ask the same thing. The embedder is the knowledge base's packaged
word-embedding model (``knowledge.semantic``, the optional ``semantic`` extra), injected rather than
imported: triage and knowledge are sibling domains, so the application names the provider with
:func:`provide`, and without one (or without the extra) triage is lexical only.

Besides the embedding itself, the block holds random Fourier features of it (Rahimi and Recht, 2007):
the cosines of fixed random projections, whose dot products approximate a Gaussian kernel, so that one
linear machine over all features separates intents that no hyperplane in the 256 embedding dimensions
does. The projection is stored in the model file as plain numbers, never regenerated from a seed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

KERNEL_FEATURES = 4000
KERNEL_GAMMA = 1.0
WEIGHT = 1.0


class Embedder(Protocol):
    """One unit-length row per text; ``name`` says which model, so a model file can require it."""

    name: str

    def embed(self, texts: list[str]) -> NDArray[np.float32]: ...


Provider = Callable[[], "Embedder | None"]

_provider: list[Provider] = []
_lock = threading.Lock()


def provide(provider: Provider | None) -> Provider | None:
    """Name the function that gives the embedder (or None when it is unavailable); None forgets it.

    Returns the provider it replaces, so that a test can put it back.
    """
    with _lock:
        previous = _provider[0] if _provider else None
        _provider[:] = [] if provider is None else [provider]
    return previous


def current() -> Embedder | None:
    """The embedder the provider gives now, or None: no provider, no extra, or semantic search off."""
    with _lock:
        provider = _provider[0] if _provider else None
    return None if provider is None else provider()


@dataclass(frozen=True, eq=False)
class EmbeddingBlock:
    """Dense features of a text's embedding: the embedding and its random Fourier features, weighted."""

    model: str
    weight: float
    gamma: float
    projection: NDArray[np.float32]
    """(embedding dimension, kernel features), drawn from N(0, 2 gamma)."""
    phase: NDArray[np.float32]
    """(kernel features,), drawn uniformly from [0, 2 pi)."""

    @classmethod
    def create(
        cls,
        model: str,
        dimension: int,
        *,
        seed: int,
        kernel_features: int = KERNEL_FEATURES,
        gamma: float = KERNEL_GAMMA,
        weight: float = WEIGHT,
    ) -> EmbeddingBlock:
        rng = np.random.default_rng(seed)
        projection = rng.normal(0.0, math.sqrt(2 * gamma), (dimension, kernel_features))
        phase = rng.uniform(0.0, 2 * math.pi, kernel_features)
        return cls(
            model=model,
            weight=weight,
            gamma=gamma,
            projection=projection.astype(np.float32),
            phase=phase.astype(np.float32),
        )

    @property
    def dimension(self) -> int:
        return int(self.projection.shape[0])

    @property
    def size(self) -> int:
        return self.dimension + int(self.projection.shape[1])

    def features(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """One row per embedding: ``weight * [v, sqrt(2/D) cos(v P + b)]``."""
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(
                f"the embedder gives vectors of shape {vectors.shape}, the model expects {self.dimension}"
                " dimensions"
            )
        scale = math.sqrt(2 / self.projection.shape[1])
        kernel = np.cos(vectors @ self.projection + self.phase) * np.float32(scale)
        return np.hstack([vectors, kernel]).astype(np.float32) * np.float32(self.weight)

    def state(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dimension": self.dimension,
            "kernel_features": int(self.projection.shape[1]),
            "gamma": self.gamma,
            "weight": self.weight,
        }

    def arrays(self) -> dict[str, NDArray[Any]]:
        return {"embedding_projection": self.projection, "embedding_phase": self.phase}

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> EmbeddingBlock:
        block = cls(
            model=str(state["model"]),
            weight=float(state["weight"]),
            gamma=float(state["gamma"]),
            projection=arrays["embedding_projection"],
            phase=arrays["embedding_phase"],
        )
        if block.projection.shape != (int(state["dimension"]), int(state["kernel_features"])) or (
            block.phase.shape != (block.projection.shape[1],)
        ):
            raise ValueError("the embedding projection does not match its stated size")
        return block
