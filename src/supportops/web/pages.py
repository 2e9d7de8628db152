"""Web pages. Forms post back to the server; every unsafe request carries the session's CSRF token."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from supportops.auth import service as accounts
from supportops.auth.deps import SESSION_COOKIE, AppState, app_state
from supportops.auth.principal import Principal
from supportops.kit.errors import SupportOpsError, Unauthenticated
from supportops.kit.pagination import MAX_LIMIT, encode_cursor
from supportops.knowledge import service as kb
from supportops.knowledge.schemas import SuggestRequest
from supportops.macros import service as macros
from supportops.sla import admin as sla
from supportops.surveys import service as surveys
from supportops.tickets import service as tickets
from supportops.tickets import views as ticket_views
from supportops.tickets.enums import PRIORITIES, Channel, Status
from supportops.tickets.errors import StaleTicket
from supportops.tickets.repository import TicketFilter
from supportops.tickets.schemas import MessageCreate, TicketCreate, TicketUpdate

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "supportops_login_csrf"
State = Annotated[AppState, Depends(app_state)]
TicketId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]


class WebIdentity:
    def __init__(self, principal: Principal, csrf_token: str) -> None:
        self.principal = principal
        self.csrf_token = csrf_token


def identity_of(request: Request, state: AppState) -> WebIdentity | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with state.db.unit_of_work(write=False) as session:
        try:
            found = accounts.authenticate_session(session, secret=cookie, now=state.clock.now())
        except Unauthenticated:
            return None
    return WebIdentity(found.principal, found.csrf_token)


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def signed_in(
    request: Request,
    state: AppState,
    *,
    allowed: Callable[[Principal], bool],
    refusal: str,
    title: str = "Forbidden",
) -> WebIdentity | Response:
    """The caller, when signed in and ``allowed``; otherwise the login page (signed out) or a 403
    page saying who may open this one (``refusal``)."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if not allowed(identity.principal):
        return render(request, "error.html", 403, title=title, message=refusal, identity=identity)
    return identity


def check_csrf(identity: WebIdentity, sent: str) -> None:
    if not hmac.compare_digest(sent, identity.csrf_token):
        raise CsrfFailed


class CsrfFailed(Exception):
    pass


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, identity: WebIdentity | None, exc: SupportOpsError) -> HTMLResponse:
    """The page of a refused or missing thing, with the error's status and message."""
    title = "Not found" if exc.status == 404 else "Error"
    return render(request, "error.html", exc.status, title=title, message=exc.detail, identity=identity)


@contextmanager
def write_session(state: AppState) -> Iterator[Session]:
    with state.db.unit_of_work(write=True) as session:
        yield session


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        names = [str(part) for part in err["loc"] if isinstance(part, str)]
        field = names[-1] if names else "form"  # the innermost named field: note.summary -> summary
        errors.setdefault(field, str(err["msg"]))
    return errors


# --- login ------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, state: State) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/agent" if identity.principal.is_staff else "/portal", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", title="Sign in", csrf_token=token, next=_safe_next(next), errors={}
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/"


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    state: State,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(
            request,
            "login.html",
            403,
            title="Sign in",
            csrf_token=expected,
            next=_safe_next(next),
            email=email,
            errors={"form": "The form expired; please sign in again."},
        )
    try:
        with write_session(state) as session:
            issued = accounts.login(
                session,
                email=email,
                password=password,
                now=state.clock.now(),
                lifetime=timedelta(days=state.settings.session_days),
            )
    except Unauthenticated as exc:
        return render(
            request,
            "login.html",
            401,
            title="Sign in",
            csrf_token=expected,
            next=_safe_next(next),
            email=email,
            errors={"password": exc.detail},
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.secret,
        httponly=True,
        samesite="lax",
        secure=state.settings.secure_cookies,
        max_age=state.settings.session_days * 86400,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, state: State, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    identity = identity_of(request, state)
    if identity is not None:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            accounts.logout(session, secret=request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- agent workspace --------------------------------------------------------------------------


def _ticket_context(session: Session, identity: WebIdentity, ticket_id: int) -> dict[str, Any]:
    ticket = tickets.get_ticket(session, actor=identity.principal, ticket_id=ticket_id)
    entries, more = tickets.timeline(session, actor=identity.principal, ticket=ticket, cursor=None, limit=200)
    user_ids = {ticket.requester_id} | {e.actor_id for e, _ in entries if e.actor_id}
    if ticket.assignee_id:
        user_ids.add(ticket.assignee_id)
    return {
        "ticket": tickets.to_read(ticket, staff=identity.principal.is_staff),
        "entries": entries,
        # The newest event the page shows, so that a stale save can say what changed after it.
        "last_event_id": entries[-1][0].id if entries and more is None else None,
        "people": accounts.users_by_id(session, list(user_ids)),
    }


def render_ticket(
    request: Request,
    state: AppState,
    identity: WebIdentity,
    ticket_id: int,
    *,
    portal: bool,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    reply: str = "",
    reply_status: str = "",
) -> Response:
    """A ticket page of the agent workspace or of the portal, with form errors next to their fields.
    ``reply`` and ``reply_status`` pre-fill the agent's reply form (an inserted macro)."""
    try:
        with state.db.unit_of_work(write=False) as session:
            context = _ticket_context(session, identity, ticket_id)
            if not portal:
                groups = accounts.list_groups(session, actor=identity.principal, after_id=None, limit=200)
                members = accounts.member_ids_of_groups(session, [g.id for g in groups])
                context["groups"] = groups
                context["agents"] = accounts.users_by_id(session, {m for ms in members.values() for m in ms})
                context["priorities"] = PRIORITIES[state.settings.priority_scheme]
                context["clocks"] = sla.clocks_of(session, ticket_id, now=state.clock.now())
                ticket = context["ticket"]
                context["kb"] = kb.suggest(
                    session,
                    actor=identity.principal,
                    data=SuggestRequest(subject=ticket.subject, description=ticket.description[:2000]),
                    now=state.clock.now(),
                    log=False,
                )
                context["kb_links"] = kb.ticket_articles(
                    session, actor=identity.principal, ticket_id=ticket_id
                )
                context["viewers"] = ticket_views.viewers(
                    session, actor=identity.principal, ticket_id=ticket_id, now=state.clock.now()
                )
                context["macros"] = macros.list_macros(
                    session, actor=identity.principal, cursor=None, limit=MAX_LIMIT
                ).items
                context["reply"], context["reply_status"] = reply, reply_status
                # The customer beside the ticket: who they are, their latest other tickets, and how
                # satisfied they have been. Staff only; the portal page never computes it.
                requester = context["people"].get(ticket.requester_id)
                org_id = requester.organization_id if requester is not None else None
                latest = tickets.list_tickets(
                    session,
                    actor=identity.principal,
                    filters=TicketFilter(requester_id=ticket.requester_id),
                    cursor=None,
                    limit=11,
                )
                context["customer"] = {
                    "user": requester,
                    "organization": (
                        accounts.get_organization(session, actor=identity.principal, org_id=org_id)
                        if org_id is not None
                        else None
                    ),
                    "tickets": [t for t in latest.items if t.id != ticket_id][:10],
                    "csat": surveys.csat_history(
                        session, actor=identity.principal, requester_id=ticket.requester_id
                    ),
                }
    except SupportOpsError as exc:
        return error_page(request, identity, exc)
    return render(
        request,
        "portal_ticket.html" if portal else "agent_ticket.html",
        status_code,
        title=f"#{ticket_id} {context['ticket'].subject}",
        identity=identity,
        errors=errors or {},
        **context,
    )


@router.get("/agent/tickets/{ticket_id}", response_class=HTMLResponse)
def agent_ticket(request: Request, state: State, ticket_id: TicketId) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if not identity.principal.is_staff:
        return RedirectResponse(f"/portal/tickets/{ticket_id}", status_code=303)
    try:  # other agents' pages warn that this agent has the ticket open
        with write_session(state) as session:
            ticket_views.touch_viewer(
                session, actor=identity.principal, ticket_id=ticket_id, typing=False, now=state.clock.now()
            )
    except SupportOpsError:
        pass  # a missing ticket: the page says so
    return render_ticket(request, state, identity, ticket_id, portal=False)


@router.post("/agent/tickets/{ticket_id}/reply")
def agent_reply(
    request: Request,
    state: State,
    ticket_id: TicketId,
    body: Annotated[str, Form(max_length=100_000)] = "",
    visibility: Annotated[str, Form()] = "public",
    status: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    return _post_message(
        request,
        state,
        ticket_id,
        body=body,
        public=visibility != "internal",
        status=status or None,
        csrf_token=csrf_token,
        back="/agent/tickets/",
    )


@router.post("/agent/tickets/{ticket_id}/update")
def agent_update(
    request: Request,
    state: State,
    ticket_id: TicketId,
    priority: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
    group_id: Annotated[str, Form()] = "",
    version: Annotated[int, Form()] = 0,
    seen_event: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the properties form. The form carries the ticket version it was rendered with: a ticket
    changed meanwhile is refused with what changed, never overwritten."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    back = f"/agent/tickets/{ticket_id}"
    try:
        check_csrf(identity, csrf_token)
        data = TicketUpdate.model_validate(
            {
                "priority": priority or None,
                "assignee_id": int(assignee_id) if assignee_id.isdigit() else None,
                "group_id": int(group_id) if group_id.isdigit() else None,
            }
        )
        with write_session(state) as session:
            ticket = tickets.get_ticket(
                session, actor=identity.principal, ticket_id=ticket_id, for_update=True
            )
            shown = ticket.status  # what the form offered; assigning may move the ticket on by itself
            expected = version or None
            seen = int(seen_event) if seen_event.isascii() and seen_event.isdigit() else None
            stale = expected is not None and expected != ticket.version and seen is not None
            if stale and seen is not None and not _form_fields_changed(session, identity, ticket, seen):
                expected = ticket.version  # only time logs or notes since: nothing to overwrite
            tickets.update_ticket(
                session,
                actor=identity.principal,
                ticket=ticket,
                data=data,
                now=state.clock.now(),
                expected_version=expected,
                settings=state.settings,
            )
            if status and status != shown and status != ticket.status:
                tickets.transition(
                    session,
                    actor=identity.principal,
                    ticket=ticket,
                    to=Status(status),
                    now=state.clock.now(),
                    settings=state.settings,
                )
    except (StaleTicket, StaleDataError) as exc:
        seen = int(seen_event) if seen_event.isascii() and seen_event.isdigit() else None
        what = _changes_since(state, identity, ticket_id, seen) or (
            f"you opened version {version}" if version else "someone saved it meanwhile"
        )
        errors = {
            "stale": f"This ticket changed since you opened it ({what}); reload to see the change.",
            "stale_detail": exc.detail if isinstance(exc, StaleTicket) else "",
        }
        return render_ticket(
            request, state, identity, ticket_id, portal=False, errors=errors, status_code=422
        )
    except (SupportOpsError, ValidationError, ValueError, CsrfFailed) as exc:
        return flash_error(request, state, identity, ticket_id, exc)
    return RedirectResponse(back, status_code=303)


FORM_FIELDS = frozenset({"priority", "status", "assignee_id", "group_id"})


def _form_fields_changed(session: Session, identity: WebIdentity, ticket: Any, after_event: int) -> bool:
    """Whether anything the properties form edits changed after the event the page showed last. Time
    logged, notes and replies bump the ticket's version too, but they are no reason to refuse a save."""
    cursor = encode_cursor({"after": after_event})
    entries, more = tickets.timeline(
        session, actor=identity.principal, ticket=ticket, cursor=cursor, limit=200
    )
    if more:
        return True
    return any(event.kind == "change" and event.field in FORM_FIELDS for event, _ in entries)


def _changes_since(state: AppState, identity: WebIdentity, ticket_id: int, after_event: int | None) -> str:
    """Who changed what on the ticket after the event the page showed last: "Sam changed priority,
    status; Alex added an internal note"."""
    if after_event is None:
        return ""
    with state.db.unit_of_work(write=False) as session:
        ticket = tickets.get_ticket(session, actor=identity.principal, ticket_id=ticket_id)
        cursor = encode_cursor({"after": after_event})
        entries, _ = tickets.timeline(
            session, actor=identity.principal, ticket=ticket, cursor=cursor, limit=50
        )
        people = accounts.users_by_id(session, {e.actor_id for e, _ in entries if e.actor_id})
    done: dict[str, list[str]] = {}
    for event, message in entries:
        if message is not None:
            what = "replied" if message.public else "added an internal note"
        elif event.kind == "change" and event.field:
            what = "changed " + event.field.removesuffix("_id").replace("_", " ")
        elif event.kind == "time":
            what = "logged time"
        else:
            what = event.kind.replace("_", " ")
        who = people[event.actor_id].name if event.actor_id in people else "supportops"
        if what not in done.setdefault(who, []):
            done[who].append(what)
    return "; ".join(f"{who} {', '.join(things)}" for who, things in done.items())


def flash_error(
    request: Request, state: State, identity: WebIdentity, ticket_id: int, exc: Exception
) -> Response:
    if isinstance(exc, ValidationError):
        errors = _field_errors(exc)
    elif isinstance(exc, SupportOpsError):
        errors = {str(exc.extra.get("field") or getattr(exc, "field", None) or "form"): exc.detail}
    elif isinstance(exc, CsrfFailed):
        errors = {"form": "The form expired; reload the page and try again."}
    else:
        errors = {"form": str(exc)}
    portal = not identity.principal.is_staff
    return render_ticket(request, state, identity, ticket_id, portal=portal, errors=errors, status_code=422)


def _post_message(
    request: Request,
    state: AppState,
    ticket_id: int,
    *,
    body: str,
    public: bool,
    status: str | None,
    csrf_token: str,
    back: str,
) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    try:
        check_csrf(identity, csrf_token)
        data = MessageCreate.model_validate({"body": body, "public": public, "status": status})
        with write_session(state) as session:
            ticket = tickets.get_ticket(
                session, actor=identity.principal, ticket_id=ticket_id, for_update=True
            )
            _, landed, _ = tickets.add_message(
                session,
                actor=identity.principal,
                ticket=ticket,
                data=data,
                now=state.clock.now(),
                settings=state.settings,
            )
            landed_id = landed.id
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return flash_error(request, state, identity, ticket_id, exc)
    return RedirectResponse(f"{back}{landed_id}", status_code=303)


# --- customer portal --------------------------------------------------------------------------


@router.get("/portal", response_class=HTMLResponse)
def portal(request: Request, state: State, cursor: str | None = None) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    try:
        with state.db.unit_of_work(write=False) as session:
            page = tickets.list_tickets(
                session, actor=identity.principal, filters=TicketFilter(), cursor=cursor, limit=50
            )
            rows = list(page.items)
    except SupportOpsError as exc:
        return render(request, "error.html", exc.status, title="Error", message=exc.detail, identity=identity)
    return render(
        request,
        "portal_list.html",
        title="My tickets",
        identity=identity,
        rows=rows,
        next_cursor=page.next_cursor,
    )


@router.get("/portal/new", response_class=HTMLResponse)
def portal_new(request: Request, state: State) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    return render(
        request,
        "portal_new.html",
        title="New ticket",
        identity=identity,
        errors={},
        form={},
        channels=[c.value for c in Channel],
    )


@router.post("/portal/new", response_class=HTMLResponse)
def portal_create(
    request: Request,
    state: State,
    subject: Annotated[str, Form(max_length=1000)] = "",
    description: Annotated[str, Form(max_length=100_000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    action: Annotated[str, Form(max_length=10)] = "",
    kb_search_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    form = {"subject": subject, "description": description}
    if action == "suggest":  # the form without JavaScript: show the suggestions, keep what was typed
        with state.db.unit_of_work(write=False) as session:
            kb.warm_index(session)
        with write_session(state) as session:
            suggested = kb.suggest(
                session,
                actor=identity.principal,
                data=SuggestRequest(subject=subject, description=description),
                now=state.clock.now(),
            )
        return render(
            request,
            "portal_new.html",
            title="New ticket",
            identity=identity,
            errors={},
            form=form,
            suggested=suggested,
        )
    try:
        check_csrf(identity, csrf_token)
        data = TicketCreate.model_validate({"subject": subject, "description": description, "channel": "web"})
        with write_session(state) as session:
            ticket = tickets.create_ticket(
                session, actor=identity.principal, data=data, now=state.clock.now(), settings=state.settings
            )
            ticket_id = ticket.id
            if kb_search_id.isdigit():
                kb.ticket_after_search(
                    session,
                    actor=identity.principal,
                    search_id=int(kb_search_id),
                    ticket_id=ticket_id,
                    now=state.clock.now(),
                )
    except ValidationError as exc:
        return render(
            request,
            "portal_new.html",
            422,
            title="New ticket",
            identity=identity,
            errors=_field_errors(exc),
            form=form,
        )
    except (SupportOpsError, CsrfFailed) as exc:
        message = (
            exc.detail if isinstance(exc, SupportOpsError) else "The form expired; reload and try again."
        )
        return render(
            request,
            "portal_new.html",
            422,
            title="New ticket",
            identity=identity,
            errors={"form": message},
            form=form,
        )
    target = f"/agent/tickets/{ticket_id}" if identity.principal.is_staff else f"/portal/tickets/{ticket_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/portal/tickets/{ticket_id}", response_class=HTMLResponse)
def portal_ticket(request: Request, state: State, ticket_id: TicketId) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    return render_ticket(request, state, identity, ticket_id, portal=True)


@router.post("/portal/tickets/{ticket_id}/reply")
def portal_reply(
    request: Request,
    state: State,
    ticket_id: TicketId,
    body: Annotated[str, Form(max_length=100_000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    return _post_message(
        request,
        state,
        ticket_id,
        body=body,
        public=True,
        status=None,
        csrf_token=csrf_token,
        back="/portal/tickets/",
    )


@router.get("/healthz")
def healthz(state: State) -> dict[str, str]:
    """Alive: the process answers and reaches its database."""
    from sqlalchemy import text

    with state.db.unit_of_work(write=False) as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


class NotReady(SupportOpsError):
    status = 503
    title = "Not ready"
    slug = "not-ready"


@router.get("/readyz")
def readyz(state: State) -> dict[str, str]:
    """Ready: as ``/healthz``, and warmed up (its suggestion index built), so that a load balancer
    or a benchmark sends it traffic only once it answers at full speed."""
    if not state.ready.is_set():
        raise NotReady(
            "This process is still warming up (building its knowledge-base suggestion index); "
            "/readyz answers 200 once it serves at full speed."
        )
    healthz(state)
    return {"status": "ready"}


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
