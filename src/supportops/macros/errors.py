"""Macro errors, each naming what to fix."""

from __future__ import annotations

from collections.abc import Sequence

from supportops.kit.errors import Conflict, InvalidInput, NotFound


class MacroNotFound(NotFound):
    def __init__(self, macro_id: int) -> None:
        super().__init__(f"Macro {macro_id} does not exist, or it is another agent's personal macro.")


class MacroTitleTaken(Conflict):
    def __init__(self, title: str, *, shared: bool) -> None:
        where = "A shared macro" if shared else "One of your personal macros"
        super().__init__(f"{where} is already titled '{title}'; choose another title.", field="title")


class UnknownPlaceholder(InvalidInput):
    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        names = ", ".join(unknown[:5])
        listed = ", ".join("{{" + name + "}}" for name in known)
        super().__init__(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''} {names} in the body. "
            f"Use one of: {listed}.",
            field="body",
            unknown=list(unknown),
        )


class EmptyRendering(InvalidInput):
    def __init__(self, title: str, ticket_id: int) -> None:
        super().__init__(
            f"Macro '{title}' renders to an empty reply on ticket {ticket_id} (its placeholders have no "
            "value there); write the reply yourself.",
            field="body",
        )
