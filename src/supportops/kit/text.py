"""Text checks shared by every schema: no NUL bytes (PostgreSQL rejects them), trimmed, bounded."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def _no_control_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(_no_control_nul),
]
PlainText = Annotated[str, AfterValidator(_no_control_nul)]
"""Any text without NUL characters; bound its length where it is used."""
LongText = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_no_control_nul)]
Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=64, pattern=r"^[\w.:-]+$"
    ),
]
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


_DIGITS = re.compile(r"\d+")
_QUOTES = re.compile(r"['\u2018\u2019`]")


def normalise(text: str) -> str:
    """For matching words: lower case, every run of digits as one ``0``, apostrophes dropped (``don't``
    and ``dont`` match)."""
    return _QUOTES.sub("", _DIGITS.sub("0", text.lower()))
