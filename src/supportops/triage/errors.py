"""Errors of the triage classifier; all are :class:`InvalidInput`, so the API answers them with 422."""

from __future__ import annotations

from supportops.kit.errors import InvalidInput


class InvalidTriageData(InvalidInput):
    """Texts and labels that cannot train or judge a model: the message names what is wrong."""


class ModelFormatError(InvalidInput):
    """Bytes that are not a triage model this version can read, so nothing is guessed from them."""


class EmbeddingsUnavailable(InvalidInput):
    """A model trained with sentence embeddings, loaded where that embedding model is not available."""
