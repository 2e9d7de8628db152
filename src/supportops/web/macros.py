"""Macro pages: inserting or applying a macro from the agent's ticket page (the form works without
JavaScript; with it, the script fetches the preview and fills the reply box in place), and the macro
manager at /admin/macros, where every agent keeps personal macros and leads and admins the shared ones."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from supportops.kit.errors import SupportOpsError
from supportops.kit.pagination import MAX_LIMIT
from supportops.macros import service as macros
from supportops.macros.enums import MacroVisibility
from supportops.macros.placeholders import PLACEHOLDERS
from supportops.macros.schemas import MacroApply, MacroCreate, MacroRead, MacroUpdate
from supportops.tickets.enums import PRIORITIES, Status
from supportops.web.admin_pages import _errors, _status
from supportops.web.pages import (
    CsrfFailed,
    State,
    TicketId,
    WebIdentity,
    check_csrf,
    error_page,
    identity_of,
    render,
    render_ticket,
    signed_in,
    to_login,
    write_session,
)

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=100)]
Short = Annotated[str, Form(max_length=500)]
Text = Annotated[str, Form(max_length=40_000)]
Cursor = Annotated[str | None, Query(max_length=200)]

EXPIRED = "The form expired; reload the page and try again."
FIELDS = ("title", "body", "visibility", "position", "status", "priority", "add_tags")
_TAG_SEPARATORS = re.compile(r"[\s,]+")


# --- on the ticket page -----------------------------------------------------------------------


class _Choose(Exception):
    """The form was sent without a macro chosen."""


@router.post("/agent/tickets/{ticket_id}/macro", response_class=HTMLResponse)
def agent_ticket_macro(
    request: Request,
    state: State,
    ticket_id: TicketId,
    macro_id: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=10)] = "insert",
    csrf_token: Csrf = "",
) -> Response:
    """``insert``: the ticket page again, its reply box filled with the rendered macro (and the macro's
    status chosen), for the agent to read and send. ``apply``: post it as a public reply with its
    changes at once."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if not identity.principal.is_staff:
        return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=303)
    try:
        check_csrf(identity, csrf_token)
        if not (macro_id.isascii() and macro_id.isdigit() and 1 <= int(macro_id) < 2**63):
            raise _Choose
        if action == "apply":
            with write_session(state) as session:
                applied = macros.apply(
                    session,
                    actor=identity.principal,
                    ticket_id=ticket_id,
                    macro_id=int(macro_id),
                    data=MacroApply(public=True),
                    now=state.clock.now(),
                    settings=state.settings,
                )
            return RedirectResponse(f"/agent/tickets/{applied.ticket.id}", status_code=303)
        with state.db.unit_of_work(write=False) as session:
            shown = macros.preview(
                session, actor=identity.principal, ticket_id=ticket_id, macro_id=int(macro_id)
            )
    except (SupportOpsError, CsrfFailed, _Choose) as exc:
        if isinstance(exc, SupportOpsError):
            message, code = exc.detail, _status(exc)
        else:
            message, code = (EXPIRED if isinstance(exc, CsrfFailed) else "Choose a macro first."), 422
        return render_ticket(
            request, state, identity, ticket_id, portal=False, errors={"macro": message}, status_code=code
        )
    status = shown.actions.status.value if shown.actions.status else ""
    return render_ticket(
        request, state, identity, ticket_id, portal=False, reply=shown.body, reply_status=status
    )


# --- the macro manager ------------------------------------------------------------------------


def _macro_fields(
    title: Short = "",
    body: Text = "",
    visibility: Short = "",
    position: Short = "",
    status: Short = "",
    priority: Short = "",
    add_tags: Short = "",
) -> dict[str, str]:
    """The macro form's fields as typed (shown again next to their errors)."""
    return {
        "title": title,
        "body": body,
        "visibility": visibility,
        "position": position,
        "status": status,
        "priority": priority,
        "add_tags": add_tags,
    }


MacroFields = Annotated[dict[str, str], Depends(_macro_fields)]
MacroId = TicketId  # the same bounds: a positive 64-bit id in the path


def _staff(request: Request, state: State) -> WebIdentity | Response:
    return signed_in(
        request, state, allowed=lambda p: p.is_staff, refusal="Only agents, leads and admins open this page."
    )


def _may_edit(identity: WebIdentity, macro: MacroRead) -> bool:
    if macro.visibility == MacroVisibility.shared:
        return identity.principal.is_manager
    return macro.owner_id == identity.principal.user_id


def _choices(state: State, identity: WebIdentity) -> dict[str, Any]:
    visibilities = [MacroVisibility.personal]
    if identity.principal.is_manager:
        visibilities.append(MacroVisibility.shared)
    return {
        "visibilities": [v.value for v in visibilities],
        "statuses": [s.value for s in Status if s != Status.new],
        "priorities": PRIORITIES[state.settings.priority_scheme],
        "placeholders": PLACEHOLDERS,
    }


def _form_of(macro: MacroRead) -> dict[str, Any]:
    return {
        "title": macro.title,
        "body": macro.body,
        "visibility": macro.visibility.value,
        "position": str(macro.position),
        "status": macro.actions.status.value if macro.actions.status else "",
        "priority": macro.actions.priority or "",
        "add_tags": " ".join(macro.actions.add_tags),
    }


def _data(form: dict[str, str]) -> dict[str, Any]:
    """The form as the API's JSON: empty choices are left out, tags split on spaces and commas."""
    return {
        "title": form["title"],
        "body": form["body"],
        "visibility": form["visibility"] or MacroVisibility.personal.value,
        "position": form["position"].strip() or 0,
        "actions": {
            "status": form["status"] or None,
            "priority": form["priority"] or None,
            "add_tags": [t for t in _TAG_SEPARATORS.split(form["add_tags"]) if t],
        },
    }


def _list_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    cursor: str | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refused: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with state.db.unit_of_work(write=False) as session:
            page = macros.list_macros(session, actor=identity.principal, cursor=cursor, limit=MAX_LIMIT)
    except SupportOpsError as exc:
        return render(request, "error.html", exc.status, title="Error", message=exc.detail, identity=identity)
    rows = list(page.items)
    return render(
        request,
        "admin_macro_list.html",
        status_code,
        title="Macros",
        identity=identity,
        rows=rows,
        editable={m.id for m in rows if _may_edit(identity, m)},
        next_cursor=page.next_cursor,
        form=form or {"visibility": MacroVisibility.personal.value, "position": "0"},
        errors=errors or {},
        refused=refused or {},
        **_choices(state, identity),
    )


@router.get("/admin/macros", response_class=HTMLResponse)
def macro_list(request: Request, state: State, cursor: Cursor = None) -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    return _list_page(request, state, identity, cursor=cursor)


@router.post("/admin/macros", response_class=HTMLResponse)
def macro_create(
    request: Request,
    state: State,
    form: MacroFields,
    csrf_token: Csrf = "",
) -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        data = MacroCreate.model_validate(_data(form))
        with write_session(state) as session:
            macros.create_macro(
                session, actor=identity.principal, data=data, now=state.clock.now(), settings=state.settings
            )
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        errors = _errors(exc, FIELDS, unwrap="actions")
        return _list_page(request, state, identity, form=form, errors=errors, status_code=_status(exc))
    return RedirectResponse("/admin/macros?created=1", status_code=303)


def _edit_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    macro_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with state.db.unit_of_work(write=False) as session:
            macro = macros.get_macro(session, actor=identity.principal, macro_id=macro_id)
    except SupportOpsError as exc:
        return error_page(request, identity, exc)
    return render(
        request,
        "admin_macro_edit.html",
        status_code,
        title=f"Macro {macro.title}",
        identity=identity,
        macro=macro,
        editable=_may_edit(identity, macro),
        form=form or _form_of(macro),
        errors=errors or {},
        **_choices(state, identity),
    )


@router.get("/admin/macros/{macro_id}", response_class=HTMLResponse)
def macro_edit(request: Request, state: State, macro_id: MacroId) -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    return _edit_page(request, state, identity, macro_id)


@router.post("/admin/macros/{macro_id}", response_class=HTMLResponse)
def macro_update(
    request: Request,
    state: State,
    macro_id: MacroId,
    form: MacroFields,
    csrf_token: Csrf = "",
) -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        data = MacroUpdate.model_validate(_data(form))
        with write_session(state) as session:
            macros.update_macro(
                session,
                actor=identity.principal,
                macro_id=macro_id,
                data=data,
                now=state.clock.now(),
                settings=state.settings,
            )
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        if isinstance(exc, SupportOpsError) and exc.status == 404:
            return _edit_page(request, state, identity, macro_id)
        errors = _errors(exc, FIELDS, unwrap="actions")
        return _edit_page(
            request, state, identity, macro_id, form=form, errors=errors, status_code=_status(exc)
        )
    return RedirectResponse("/admin/macros?saved=1", status_code=303)


@router.post("/admin/macros/{macro_id}/delete", response_class=HTMLResponse)
def macro_delete(request: Request, state: State, macro_id: MacroId, csrf_token: Csrf = "") -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            macros.delete_macro(session, actor=identity.principal, macro_id=macro_id)
    except (SupportOpsError, CsrfFailed) as exc:
        message = exc.detail if isinstance(exc, SupportOpsError) else EXPIRED
        return _list_page(request, state, identity, refused={macro_id: message}, status_code=_status(exc))
    return RedirectResponse("/admin/macros?deleted=1", status_code=303)
