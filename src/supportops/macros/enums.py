from __future__ import annotations

from enum import StrEnum


class MacroVisibility(StrEnum):
    """Who may use a macro: every staff member (``shared``, kept by leads and admins) or only the
    agent who wrote it (``personal``)."""

    shared = "shared"
    personal = "personal"
