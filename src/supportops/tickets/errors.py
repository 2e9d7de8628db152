from __future__ import annotations

from supportops.kit.errors import NotFound, PreconditionFailed


class TicketNotFound(NotFound):
    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"Ticket {ticket_id} does not exist or is not visible to you.")


class StaleTicket(PreconditionFailed):
    def __init__(self, ticket_id: int, *, expected: int | None, current: int | None) -> None:
        if expected is not None and current is not None:
            detail = (
                f"Ticket {ticket_id} changed since you read it (your version {expected}, "
                f"current {current}). Reload it and apply your change again."
            )
        else:
            detail = f"Ticket {ticket_id} was changed by someone else meanwhile; reload it and retry."
        super().__init__(detail, current_version=current)
