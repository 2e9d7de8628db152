"""Optimistic concurrency over HTTP: a resource's ETag is its version, sent back as If-Match."""

from __future__ import annotations

import re

from supportops.kit.errors import InvalidInput

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def parse_if_match(value: str | None, *, resource: str = "ticket") -> int | None:
    """The version an If-Match header names; None for no header or ``*``."""
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value)
    if match is None:
        raise InvalidInput(
            f'If-Match must be the ETag of the {resource} as returned by GET, for example "3".',
            field="If-Match",
        )
    return int(match.group(1))
