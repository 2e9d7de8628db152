"""The agent workspace's queue page: queues, filters and sorting (a GET form), saved views, bulk
changes to the selected tickets, and the ticket page's viewers endpoint behind the collision
warning. Everything works without JavaScript; the page's inline scripts add the live SLA countdown
and keyboard shortcuts."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm.exc import StaleDataError

from supportops.auth import service as accounts
from supportops.auth.deps import CSRF_HEADER
from supportops.kit.errors import SupportOpsError
from supportops.routing.models import AgentProfile
from supportops.tickets import service as tickets
from supportops.tickets import views
from supportops.tickets.enums import PRIORITIES, Status
from supportops.tickets.repository import SlaFilter, TicketFilter, TicketOrder
from supportops.tickets.views import BulkChange, SavedViewCreate, SavedViewRead, ViewFilters
from supportops.web.pages import (
    CsrfFailed,
    State,
    TicketId,
    WebIdentity,
    _field_errors,
    check_csrf,
    identity_of,
    render,
    to_login,
    write_session,
)

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]

OPEN = tuple(s.value for s in Status if s not in (Status.resolved, Status.closed))
QUEUES: dict[str, tuple[str, dict[str, Any]]] = {
    "mine": ("Assigned to me", {"status": OPEN, "assignee": "me"}),
    "groups": ("My groups", {"status": OPEN, "my_groups": True}),
    "unassigned": ("Unassigned", {"unassigned": True}),
    "open": ("All open", {"status": OPEN}),
    "at_risk": ("SLA at risk", {"sla": SlaFilter.at_risk, "order": TicketOrder.sla_due}),
    "breached": ("SLA breached", {"sla": SlaFilter.breached, "order": TicketOrder.sla_due}),
    "due": ("By next SLA due", {"order": TicketOrder.sla_due}),
    "triage": ("Needs triage", {"tag": "needs-triage", "status": OPEN}),
    "pending": ("Waiting on customer", {"status": (Status.pending.value,)}),
    "resolved": ("Resolved", {"status": (Status.resolved.value,)}),
    "all": ("All tickets", {}),
}
FILTER_KEYS = tuple(ViewFilters.model_fields)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Selection:
    """What a queue and its refinements read: one filter, over the agent's groups when the queue
    is "my groups" and no group was picked."""

    filters: TicketFilter
    group_ids: list[int] | None


def select_tickets(chosen: ViewFilters, *, me: int, my_groups: list[int], now: datetime) -> Selection:
    """The queue's own filter with each refinement the agent set replacing the queue's choice for
    that field."""
    _, spec = QUEUES.get(chosen.queue, QUEUES["mine"])
    status: tuple[str, ...] = tuple(spec.get("status", ()))
    if chosen.status == "open":
        status = OPEN
    elif chosen.status == "any":
        status = ()
    elif chosen.status:
        status = (chosen.status,)
    assignee_id = me if spec.get("assignee") == "me" else None
    unassigned = bool(spec.get("unassigned"))
    if chosen.assignee == "me":
        assignee_id, unassigned = me, False
    elif chosen.assignee == "none":
        assignee_id, unassigned = None, True
    elif chosen.assignee:
        assignee_id, unassigned = int(chosen.assignee), False
    filters = TicketFilter(
        status=status,
        priority=(chosen.priority,) if chosen.priority else (),
        assignee_id=assignee_id,
        unassigned=unassigned,
        group_id=chosen.group_id,
        q=chosen.q or None,
        sla=spec.get("sla"),
        tag=chosen.tag or spec.get("tag"),
        order=chosen.sort or spec.get("order", TicketOrder.newest),
        now=now,
    )
    group_ids = my_groups if spec.get("my_groups") and chosen.group_id is None else None
    return Selection(filters=filters, group_ids=group_ids)


def parse_filters(raw: Mapping[str, str]) -> tuple[ViewFilters, dict[str, str]]:
    """The filters of a query string; a value that does not check is dropped and reported."""
    data = {k: raw[k].strip() for k in FILTER_KEYS if raw.get(k, "").strip()}
    if "q" in data:
        data["q"] = data["q"][:200]
    if data.get("queue") not in QUEUES:
        data["queue"] = "mine"
    try:
        return ViewFilters.model_validate(data), {}
    except ValidationError as exc:
        errors = _field_errors(exc)
    kept = {k: v for k, v in data.items() if k not in errors}
    try:
        return ViewFilters.model_validate(kept), errors
    except ValidationError:
        return ViewFilters(queue=data["queue"]), errors


def filter_pairs(chosen: ViewFilters) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in chosen.model_dump(mode="json", exclude_none=True).items()]


def queue_url(chosen: ViewFilters, *, view: SavedViewRead | None = None, cursor: str | None = None) -> str:
    pairs: list[tuple[str, str]] = [("view", str(view.id))] if view else filter_pairs(chosen)
    if cursor:
        pairs.append(("cursor", cursor))
    return "/agent?" + urlencode(pairs)


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 19


def _staff(request: Request, state: State) -> WebIdentity | Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if not identity.principal.is_staff:
        return RedirectResponse("/portal", status_code=303)
    return identity


# --- the queue page ---------------------------------------------------------------------------


@router.get("/agent", response_class=HTMLResponse)
def agent_queue(request: Request, state: State, view: str = "", cursor: str | None = None) -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    return queue_page(request, state, identity, dict(request.query_params), view=view, cursor=cursor)


def queue_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    raw: Mapping[str, str],
    *,
    view: str = "",
    cursor: str | None = None,
    flash: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The queue page for these query parameters (or this saved view), with an optional flash
    message (a bulk action's outcome) and form errors."""
    principal = identity.principal
    me = principal.user_id or 0
    now = state.clock.now()
    errors = dict(errors or {})
    try:
        with state.db.unit_of_work(write=False) as session:
            saved = views.list_views(session, actor=principal)
            current = views.get_view(session, actor=principal, view_id=int(view)) if _digits(view) else None
            if current is not None:
                chosen = current.filters if current.filters.queue in QUEUES else ViewFilters()
            else:
                chosen, filter_errors = parse_filters(raw)
                errors.update(filter_errors)
            my_groups = accounts.group_ids_of_users(session, [me]).get(me, [])
            selection = select_tickets(chosen, me=me, my_groups=my_groups, now=now)
            if selection.group_ids is not None:
                page = views.list_in_groups(
                    session,
                    actor=principal,
                    filters=selection.filters,
                    group_ids=selection.group_ids,
                    cursor=cursor,
                    limit=PAGE_SIZE,
                )
            else:
                page = tickets.list_tickets(
                    session, actor=principal, filters=selection.filters, cursor=cursor, limit=PAGE_SIZE
                )
            rows = list(page.items)
            groups = accounts.list_groups(session, actor=principal, after_id=None, limit=200)
            members = accounts.member_ids_of_groups(session, [g.id for g in groups])
            agent_ids = {m for ms in members.values() for m in ms} | {me}
            people = accounts.users_by_id(
                session,
                agent_ids | {r.requester_id for r in rows} | {r.assignee_id for r in rows if r.assignee_id},
            )
            profile = session.get(AgentProfile, me) if principal.user_id else None
            presence = profile.presence if profile else "offline"
    except SupportOpsError as exc:
        return render(request, "error.html", exc.status, title="Error", message=exc.detail, identity=identity)
    label = QUEUES[chosen.queue][0]
    return render(
        request,
        "agent_queue.html",
        422 if errors and status_code == 200 else status_code,
        title=current.name if current else label,
        identity=identity,
        queues=QUEUES,
        queue=chosen.queue,
        filters=chosen,
        filter_pairs=filter_pairs(chosen),
        here=queue_url(chosen, view=current),
        views=saved,
        view=current,
        my_groups=my_groups,
        groups=groups,
        agents={i: p for i, p in people.items() if i in agent_ids},
        priorities=PRIORITIES[state.settings.priority_scheme],
        statuses=list(Status),
        rows=rows,
        people=people,
        next_url=queue_url(chosen, view=current, cursor=page.next_cursor) if page.next_cursor else None,
        q=chosen.q or "",
        now=now,
        presence=presence,
        flash=flash,
        errors=errors,
    )


# --- saved views ------------------------------------------------------------------------------


@router.post("/agent/views")
def save_view(
    request: Request,
    state: State,
    name: Annotated[str, Form(max_length=1000)] = "",
    queue: Annotated[str, Form(max_length=40)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    priority: Annotated[str, Form(max_length=10)] = "",
    group_id: Annotated[str, Form(max_length=20)] = "",
    assignee: Annotated[str, Form(max_length=20)] = "",
    tag: Annotated[str, Form(max_length=200)] = "",
    q: Annotated[str, Form(max_length=1000)] = "",
    sort: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Save the queue's current filters under a name (the same name replaces that view)."""
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    raw = {
        "queue": queue,
        "status": status,
        "priority": priority,
        "group_id": group_id,
        "assignee": assignee,
        "tag": tag,
        "q": q,
        "sort": sort,
    }
    try:
        check_csrf(identity, csrf_token)
        chosen, bad = parse_filters(raw)
        if bad:
            return queue_page(request, state, identity, raw, errors=bad, status_code=422)
        data = SavedViewCreate.model_validate({"name": name, "filters": chosen})
        with write_session(state) as session:
            saved = views.save_view(session, actor=identity.principal, data=data, now=state.clock.now())
    except CsrfFailed:
        errors = {"view_name": "The form expired; reload the page and try again."}
        return queue_page(request, state, identity, raw, errors=errors, status_code=403)
    except ValidationError as exc:
        message = next(iter(_field_errors(exc).values()))
        return queue_page(request, state, identity, raw, errors={"view_name": message}, status_code=422)
    except SupportOpsError as exc:
        return queue_page(request, state, identity, raw, errors={"view_name": exc.detail}, status_code=422)
    return RedirectResponse(f"/agent?view={saved.id}", status_code=303)


@router.post("/agent/views/{view_id}/delete")
def delete_view(request: Request, state: State, view_id: TicketId, csrf_token: Csrf = "") -> Response:
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            views.delete_view(session, actor=identity.principal, view_id=view_id)
    except CsrfFailed:
        message = "The form expired; reload the page and try again."
        return render(request, "error.html", 403, title="Forbidden", message=message, identity=identity)
    except SupportOpsError as exc:
        return render(request, "error.html", exc.status, title="Error", message=exc.detail, identity=identity)
    return RedirectResponse("/agent", status_code=303)


# --- bulk changes -----------------------------------------------------------------------------


@router.post("/agent/bulk", response_class=HTMLResponse)
def bulk_change(
    request: Request,
    state: State,
    ticket: Annotated[list[str] | None, Form()] = None,
    assign: Annotated[str, Form(max_length=20)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=10)] = "",
    tag: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Apply one change to each selected ticket, each in its own transaction through the ticket
    services, and show on the queue page which tickets changed and why the others did not."""
    identity = _staff(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    raw = dict(parse_qsl(back.removeprefix("/agent?")))
    view = raw.get("view", "")
    ids = list(dict.fromkeys(int(t) for t in (ticket or []) if _digits(t)))

    def refuse(message: str, status_code: int = 422) -> Response:
        return queue_page(
            request, state, identity, raw, view=view, flash={"error": message}, status_code=status_code
        )

    try:
        check_csrf(identity, csrf_token)
    except CsrfFailed:
        return refuse("The form expired; reload the page and try again.", 403)
    if not ids:
        return refuse("Select at least one ticket.")
    if len(ids) > views.MAX_BULK:
        return refuse(f"Select at most {views.MAX_BULK} tickets at a time.")
    me = identity.principal.user_id
    try:
        change = BulkChange.model_validate(
            {
                "assignee_id": me if assign == "me" else (int(assign) if _digits(assign) else None),
                "status": status or None,
                "priority": priority or None,
                "add_tag": tag.strip() or None,
            }
        )
    except ValidationError as exc:
        field, message = next(iter(_field_errors(exc).items()))
        return refuse(f"{field.replace('_', ' ')}: {message}")
    if change.is_empty():
        return refuse("Choose a change to apply: an assignee, a status, a priority or a tag.")
    done: list[int] = []
    failed: list[tuple[int, str]] = []
    for ticket_id in ids:
        try:
            with write_session(state) as session:
                views.apply_change(
                    session,
                    actor=identity.principal,
                    ticket_id=ticket_id,
                    change=change,
                    now=state.clock.now(),
                    settings=state.settings,
                )
            done.append(ticket_id)
        except SupportOpsError as exc:
            failed.append((ticket_id, exc.detail))
        except StaleDataError:
            failed.append((ticket_id, "Someone changed it at the same moment; try again."))
    return queue_page(request, state, identity, raw, view=view, flash={"done": done, "failed": failed})


# --- who has a ticket open --------------------------------------------------------------------


class ViewerPing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    typing: bool = False


def _viewers_json(state: State, identity: WebIdentity, ticket_id: int, ping: ViewerPing | None) -> Response:
    now = state.clock.now()
    try:
        if ping is not None:
            with write_session(state) as session:
                views.touch_viewer(
                    session, actor=identity.principal, ticket_id=ticket_id, typing=ping.typing, now=now
                )
        with state.db.unit_of_work(write=False) as session:
            ticket = tickets.read_ticket(session, actor=identity.principal, ticket_id=ticket_id)
            others = views.viewers(session, actor=identity.principal, ticket_id=ticket_id, now=now)
    except SupportOpsError as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)
    body = {
        "ticket_id": ticket_id,
        "version": ticket.version,
        "window_seconds": int(views.VIEWER_WINDOW.total_seconds()),
        "viewers": [v.model_dump(mode="json") for v in others],
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _json_identity(request: Request, state: State) -> WebIdentity | Response:
    identity = identity_of(request, state)
    if identity is None:
        return JSONResponse({"detail": "Sign in first."}, status_code=401)
    if not identity.principal.is_staff:
        return JSONResponse({"detail": "Only agents see who works on a ticket."}, status_code=403)
    return identity


@router.get("/agent/tickets/{ticket_id}/viewers")
def ticket_viewers(request: Request, state: State, ticket_id: TicketId) -> Response:
    """The other agents who have the ticket open (seen within the last minute), and whether they
    are typing a reply; with the ticket's version, so an open page can tell it went stale."""
    identity = _json_identity(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    return _viewers_json(state, identity, ticket_id, None)


@router.post("/agent/tickets/{ticket_id}/viewers")
def ticket_viewers_ping(
    request: Request, state: State, ticket_id: TicketId, ping: ViewerPing | None = None
) -> Response:
    """The open ticket page checks in (every ~10 s, and when the agent starts typing) and gets the
    other viewers back. Needs the session's CSRF token in the X-CSRF-Token header."""
    identity = _json_identity(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), identity.csrf_token):
        return JSONResponse({"detail": "Missing or wrong CSRF token; reload the page."}, status_code=403)
    return _viewers_json(state, identity, ticket_id, ping or ViewerPing())
