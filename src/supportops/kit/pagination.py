"""Opaque keyset cursors: stable under inserts, O(log n) per page on an index."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from supportops.kit.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, int | str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str, *, keys: Sequence[str]) -> dict[str, int | str]:
    """Decode a cursor made by :func:`encode_cursor`; anything else is a 422 on ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or set(data) != set(keys):
        raise InvalidInput(
            "The cursor is not one this server issued; pass next_cursor from the previous page.",
            field="cursor",
        )
    for value in data.values():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidInput("The cursor is damaged.", field="cursor")
        if isinstance(value, int) and not 0 <= value < 2**63:
            raise InvalidInput("The cursor is damaged.", field="cursor")
    return data
