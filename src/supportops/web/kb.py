"""Knowledge-base pages: the portal's search, categories and articles (open to signed-out visitors),
"this solved my problem" without JavaScript, and the staff's article list and editor."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from supportops.auth.principal import VISITOR
from supportops.kit.errors import SupportOpsError
from supportops.knowledge import gaps
from supportops.knowledge import service as kb
from supportops.knowledge.enums import ArticleStatus, SearchOutcome, Visibility
from supportops.knowledge.schemas import ArticleCreate, ArticleUpdate, OutcomeCreate
from supportops.web.pages import (
    CsrfFailed,
    State,
    WebIdentity,
    _field_errors,
    check_csrf,
    identity_of,
    render,
    signed_in,
    to_login,
    write_session,
)

router = APIRouter(include_in_schema=False)
ArticleId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
OptionalSearch = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


def _principal(identity: WebIdentity | None) -> Any:
    return identity.principal if identity else VISITOR


def _csrf_ok(identity: WebIdentity | None, sent: str) -> bool:
    """Signed-in forms carry the session's token; a visitor has no session to ride on."""
    if identity is None:
        return True
    try:
        check_csrf(identity, sent)
    except CsrfFailed:
        return False
    return True


@router.get("/kb", response_class=HTMLResponse)
def kb_home(
    request: Request,
    state: State,
    q: Annotated[str, Query(max_length=500)] = "",
    category: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    identity = identity_of(request, state)
    principal = _principal(identity)
    if q.strip():
        with state.db.unit_of_work(write=False) as session:
            kb.warm_index(session)
    with write_session(state) as session:
        categories = kb.list_categories(session)
        found = (
            kb.search(session, actor=principal, q=q, limit=20, now=state.clock.now()) if q.strip() else None
        )
        listing = kb.list_articles(
            session,
            actor=principal,
            now=state.clock.now(),
            status=ArticleStatus.published,
            category_id=category,
            limit=50,
        )
    return render(
        request,
        "kb_home.html",
        title="Help center" if not q else f"Search: {q}",
        identity=identity,
        q=q,
        found=found,
        categories=categories,
        category=category,
        articles=listing.items,
    )


@router.get("/kb/solved", response_class=HTMLResponse)
def kb_solved(request: Request, state: State) -> Response:
    return render(request, "kb_solved.html", title="Glad that helped", identity=identity_of(request, state))


def _not_found(request: Request, identity: WebIdentity | None, exc: SupportOpsError) -> Response:
    return render(request, "error.html", exc.status, title="Not found", message=exc.detail, identity=identity)


def _article_page(
    request: Request, identity: WebIdentity | None, article: Any, *, search_id: int | None, voted: str | None
) -> Response:
    return render(
        request,
        "kb_article.html",
        title=article.title,
        identity=identity,
        article=article,
        search_id=search_id,
        voted=voted,
    )


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def kb_article(request: Request, state: State, article_id: ArticleId, s: OptionalSearch = None) -> Response:
    identity = identity_of(request, state)
    principal = _principal(identity)
    try:
        with write_session(state) as session:
            article = kb.view_article(session, actor=principal, article_id=article_id, now=state.clock.now())
            if s is not None:
                with suppress(SupportOpsError):  # a link from someone else's search still opens the article
                    kb.click(
                        session, actor=principal, search_id=s, article_id=article_id, now=state.clock.now()
                    )
    except SupportOpsError as exc:
        return _not_found(request, identity, exc)
    return _article_page(request, identity, article, search_id=s, voted=None)


@router.post("/kb/{article_id}/vote", response_class=HTMLResponse)
def kb_vote(
    request: Request,
    state: State,
    article_id: ArticleId,
    helpful: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    identity = identity_of(request, state)
    principal = _principal(identity)
    if helpful not in ("yes", "no") or not _csrf_ok(identity, csrf_token):
        return RedirectResponse(f"/kb/{article_id}", status_code=303)
    try:
        with write_session(state) as session:
            kb.vote(
                session,
                actor=principal,
                article_id=article_id,
                helpful=helpful == "yes",
                now=state.clock.now(),
            )
            article = kb.read_article(session, actor=principal, article_id=article_id, now=state.clock.now())
    except SupportOpsError as exc:
        return _not_found(request, identity, exc)
    return _article_page(request, identity, article, search_id=None, voted=helpful)


@router.post("/portal/solved", response_class=HTMLResponse)
def portal_solved(
    request: Request,
    state: State,
    search_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    article_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record "this solved my problem": a self-service resolution, and no ticket."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if not _csrf_ok(identity, csrf_token):
        return RedirectResponse("/portal/new", status_code=303)
    try:
        with write_session(state) as session:
            kb.record_outcome(
                session,
                actor=identity.principal,
                search_id=search_id,
                data=OutcomeCreate(outcome=SearchOutcome.self_service, article_id=article_id),
                now=state.clock.now(),
            )
    except SupportOpsError as exc:
        return render(request, "error.html", exc.status, title="Error", message=exc.detail, identity=identity)
    return render(request, "kb_solved.html", title="Glad that helped", identity=identity)


# --- staff: articles, editor, gaps -------------------------------------------------------------


def _staff(request: Request, state: State) -> WebIdentity | Response:
    return signed_in(
        request,
        state,
        allowed=lambda p: p.is_staff,
        refusal="Only agents, leads and admins can edit the knowledge base.",
        title="Staff only",
    )


@router.get("/agent/kb", response_class=HTMLResponse)
def agent_kb(request: Request, state: State, view: Annotated[str, Query(max_length=20)] = "all") -> Response:
    identity = _staff(request, state)
    if isinstance(identity, Response):
        return identity
    now = state.clock.now()
    with state.db.unit_of_work(write=False) as session:
        stale = view == "stale"
        owner = identity.principal.user_id if view in ("stale", "mine") else None
        listing = kb.list_articles(
            session, actor=identity.principal, now=now, stale=stale, owner_id=owner, limit=100
        )
        found_gaps = (
            gaps.find(session, actor=identity.principal, now=now, days=30, limit=5)
            if view == "gaps"
            else None
        )
    return render(
        request,
        "kb_admin.html",
        title="Knowledge base",
        identity=identity,
        articles=listing.items,
        view=view,
        gaps=found_gaps,
    )


def _editor(
    request: Request,
    identity: WebIdentity,
    state: State,
    *,
    article: Any,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        categories = kb.list_categories(session)
    return render(
        request,
        "kb_edit.html",
        status_code,
        title="Edit article" if article else "New article",
        identity=identity,
        article=article,
        form=form,
        errors=errors,
        categories=categories,
        visibilities=[v.value for v in Visibility],
        statuses=[s.value for s in ArticleStatus],
    )


@router.get("/agent/kb/new", response_class=HTMLResponse)
def agent_kb_new(request: Request, state: State) -> Response:
    identity = _staff(request, state)
    if isinstance(identity, Response):
        return identity
    return _editor(
        request, identity, state, article=None, form={"visibility": "public", "status": "draft"}, errors={}
    )


@router.get("/agent/kb/{article_id}/edit", response_class=HTMLResponse)
def agent_kb_edit(request: Request, state: State, article_id: ArticleId) -> Response:
    identity = _staff(request, state)
    if isinstance(identity, Response):
        return identity
    try:
        with state.db.unit_of_work(write=False) as session:
            article = kb.read_article(
                session, actor=identity.principal, article_id=article_id, now=state.clock.now()
            )
    except SupportOpsError as exc:
        return _not_found(request, identity, exc)
    form = article.model_dump() | {"tags": ", ".join(article.tags), "category": article.category or ""}
    return _editor(request, identity, state, article=article, form=form, errors={})


@router.post("/agent/kb/save", response_class=HTMLResponse)
def agent_kb_save(
    request: Request,
    state: State,
    title: Annotated[str, Form(max_length=1000)] = "",
    body: Annotated[str, Form(max_length=100_000)] = "",
    category: Annotated[str, Form(max_length=200)] = "",
    section: Annotated[str, Form(max_length=200)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    visibility: Annotated[str, Form(max_length=20)] = "public",
    status: Annotated[str, Form(max_length=20)] = "draft",
    article_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    version: Annotated[int | None, Form(ge=1, le=2**31)] = None,
    reviewed: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create or update an article; errors come back next to their fields, a stale edit is refused."""
    identity = _staff(request, state)
    if isinstance(identity, Response):
        return identity
    form = {
        "title": title,
        "body": body,
        "category": category,
        "section": section,
        "tags": tags,
        "visibility": visibility,
        "status": status,
        "version": version,
    }
    fields: dict[str, Any] = {
        "title": title,
        "body": body,
        "category": category.strip() or None,
        "section": section,
        "tags": [t.strip() for t in tags.split(",") if t.strip()],
        "visibility": visibility,
        "status": status,
    }
    article = None
    try:
        if not _csrf_ok(identity, csrf_token):
            raise CsrfFailed
        with write_session(state) as session:
            if article_id is None:
                saved = kb.create_article(
                    session,
                    actor=identity.principal,
                    data=ArticleCreate.model_validate(fields),
                    now=state.clock.now(),
                )
            else:
                article = kb.read_article(
                    session, actor=identity.principal, article_id=article_id, now=state.clock.now()
                )
                update = ArticleUpdate.model_validate(fields | {"reviewed": reviewed == "yes"})
                saved = kb.update_article(
                    session,
                    actor=identity.principal,
                    article_id=article_id,
                    data=update,
                    now=state.clock.now(),
                    expected_version=version,
                )
    except ValidationError as exc:
        return _editor(
            request, identity, state, article=article, form=form, errors=_field_errors(exc), status_code=422
        )
    except CsrfFailed:
        return _editor(
            request,
            identity,
            state,
            article=article,
            form=form,
            errors={"form": "The form expired; reload and try again."},
            status_code=422,
        )
    except SupportOpsError as exc:
        field = getattr(exc, "field", None) or "form"
        return _editor(
            request,
            identity,
            state,
            article=article,
            form=form,
            errors={field: exc.detail},
            status_code=exc.status if exc.status < 500 else 422,
        )
    return RedirectResponse(f"/agent/kb/{saved.id}/edit?saved=1", status_code=303)


@router.post("/agent/tickets/{ticket_id}/kb")
def agent_ticket_kb(
    request: Request,
    state: State,
    ticket_id: ArticleId,
    action: Annotated[str, Form(max_length=10)] = "",
    article_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """From the ticket page: reply with an article, link one, or draft a new one from the ticket."""
    identity = _staff(request, state)
    if isinstance(identity, Response):
        return identity
    if not _csrf_ok(identity, csrf_token):
        return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
    try:
        with write_session(state) as session:
            now = state.clock.now()
            if action == "draft":
                draft = kb.draft_from_ticket(session, actor=identity.principal, ticket_id=ticket_id, now=now)
                return RedirectResponse(f"/agent/kb/{draft.id}/edit", status_code=303)
            if article_id is None or action not in ("reply", "link"):
                return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
            if action == "reply":
                kb.reply_with_article(
                    session,
                    actor=identity.principal,
                    article_id=article_id,
                    ticket_id=ticket_id,
                    text="",
                    now=now,
                )
            else:
                kb.link_ticket(
                    session, actor=identity.principal, article_id=article_id, ticket_id=ticket_id, now=now
                )
    except SupportOpsError as exc:
        return render(request, "error.html", exc.status, title="Error", message=exc.detail, identity=identity)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
