"""Handle time from the agent's ticket page: the manual entry form, which also serves agents
without JavaScript. The page's timer posts to the ticket time API (``POST /api/v1/tickets/{id}/time``)
with the session's CSRF header, so both paths end in the same service call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from supportops.kit.errors import SupportOpsError
from supportops.tickets import service as tickets
from supportops.tickets.schemas import TimeEntryCreate
from supportops.web.pages import (
    CsrfFailed,
    State,
    TicketId,
    check_csrf,
    flash_error,
    identity_of,
    render_ticket,
    to_login,
    write_session,
)

router = APIRouter(include_in_schema=False)

MAX_MINUTES = 24 * 60
NOTE_LENGTH = 2000


def _form_errors(minutes: str, note: str) -> dict[str, str]:
    """Problems with the form, keyed by the field they are shown next to."""
    errors: dict[str, str] = {}
    value = minutes.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 4 and 1 <= int(value) <= MAX_MINUTES):
        errors["time_minutes"] = f"Enter the time as whole minutes, from 1 to {MAX_MINUTES}."
    if len(note) > NOTE_LENGTH or "\x00" in note:
        errors["time_note"] = f"Keep the note to {NOTE_LENGTH} characters of plain text."
    return errors


@router.post("/agent/tickets/{ticket_id}/time")
def log_time(
    request: Request,
    state: State,
    ticket_id: TicketId,
    minutes: Annotated[str, Form(max_length=50)] = "",
    note: Annotated[str, Form(max_length=20_000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Log a manual time entry; errors come back on the ticket page next to their field."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if not identity.principal.is_staff:
        return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=303)
    try:
        check_csrf(identity, csrf_token)
    except CsrfFailed as exc:
        return flash_error(request, state, identity, ticket_id, exc)
    errors = _form_errors(minutes, note)
    if errors:
        request.state.time_form = {"minutes": minutes[:50], "note": note[:NOTE_LENGTH]}
        return render_ticket(
            request, state, identity, ticket_id, portal=False, errors=errors, status_code=422
        )
    try:
        data = TimeEntryCreate(seconds=int(minutes.strip()) * 60, note=note.strip(), source="manual")
        with write_session(state) as session:
            ticket = tickets.get_ticket(
                session, actor=identity.principal, ticket_id=ticket_id, for_update=True
            )
            tickets.log_time(
                session, actor=identity.principal, ticket=ticket, data=data, now=state.clock.now()
            )
    except (SupportOpsError, ValidationError) as exc:
        return flash_error(request, state, identity, ticket_id, exc)
    return RedirectResponse(f"/agent/tickets/{ticket_id}#time-tracker", status_code=303)
