"""Optional semantic similarity for suggestions: static word embeddings whose model ships inside the
``wordllama`` package (the ``semantic`` extra; 256 dimensions, about 16 MB). It is loaded from the
package folder with downloads disabled, so it works offline and never fetches anything at run time.
Without the extra, or with ``SUPPORTOPS_SEMANTIC_SEARCH=false``, suggestions are lexical only.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from supportops.config import get_settings

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        """One unit-length row per text."""
        ...


class _WordLlama:
    name = "wordllama-l2-supercat-256"

    def __init__(self, model: Any) -> None:
        self._model = model

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        vectors = np.asarray(self._model.embed(texts, norm=True), dtype=np.float32)
        return np.nan_to_num(vectors)


_loaded: dict[str, Embedder | None] = {}
_lock = threading.Lock()


def embedder() -> Embedder | None:
    """The embedding model, or None when the extra is missing or semantic search is switched off."""
    if not get_settings().semantic_search:
        return None
    with _lock:
        if "model" not in _loaded:
            _loaded["model"] = _load()
        return _loaded["model"]


def _load() -> Embedder | None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        return None
    finally:  # the package configures the root logger when imported; undo that
        root.setLevel(level)
        root.handlers[:] = handlers
    logging.getLogger("wordllama").setLevel(logging.WARNING)
    try:
        folder = Path(wordllama.__file__).parent
        model = WordLlama.load(cache_dir=folder, disable_download=True)
    except (OSError, ValueError) as exc:  # a broken install: fall back to lexical suggestions
        log.warning("semantic search is off: the packaged model did not load (%s)", exc)
        return None
    return _WordLlama(model)
