"""Survey pages that need no login (the signed link is the credential), and the portal's prompt to
rate a resolved ticket.

The survey forms carry a CSRF token in a cookie scoped to ``/survey`` (double submit), as the login
form does, since there is no session to hold one.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from supportops.auth.deps import AppState
from supportops.kit.errors import SupportOpsError
from supportops.surveys import service as surveys
from supportops.surveys.enums import SurveyKind
from supportops.surveys.errors import SurveyAlreadyAnswered
from supportops.surveys.schemas import CsatAnswer, CsatRead, NpsAnswer, SurveyView
from supportops.web.pages import State, WebIdentity, identity_of, render, templates, write_session

router = APIRouter(include_in_schema=False)

SURVEY_CSRF_COOKIE = "supportops_survey_csrf"
Token = Annotated[str, PathParam(max_length=200)]

QUESTIONS = {
    SurveyKind.csat: (
        "How satisfied are you with the help you got?",
        "1 very dissatisfied",
        "5 very satisfied",
    ),
    SurveyKind.nps: (
        "How likely are you to recommend us to a friend or colleague?",
        "0 not at all likely",
        "10 extremely likely",
    ),
}


def _kind(value: str) -> SurveyKind | None:
    return SurveyKind(value) if value in SurveyKind.__members__ else None


def _message(request: Request, status_code: int, title: str, message: str) -> Response:
    """A page that only says something; it never shows a given answer back, since a forwarded
    link would show it to someone else."""
    return render(
        request, "survey_message.html", status_code, title=title, message=message, identity=_header(request)
    )


def _header(request: Request) -> WebIdentity | None:
    """Who is signed in, for the page header only: the link itself needs no sign-in, and the
    survey is answered for the ticket the token names, whoever opens it."""
    state: AppState = request.app.state.supportops
    return identity_of(request, state)


def _failure(request: Request, exc: SupportOpsError) -> Response:
    title = {404: "Survey link not valid", 409: "Already answered", 410: "Survey link expired"}
    return _message(request, exc.status, title.get(exc.status, "Survey"), exc.detail)


def _form(
    request: Request,
    view: SurveyView,
    *,
    csrf_token: str,
    selected: int | None = None,
    comment: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    question, low, high = QUESTIONS[view.kind]
    response = render(
        request,
        "survey_form.html",
        status_code,
        title="How did we do?" if view.kind == SurveyKind.csat else "Would you recommend us?",
        identity=_header(request),
        view=view,
        scale=list(view.kind.scale),
        question=question,
        low=low,
        high=high,
        selected=selected,
        comment=comment,
        errors=errors or {},
        csrf_token=csrf_token,
    )
    response.set_cookie(
        SURVEY_CSRF_COOKIE,
        csrf_token,
        httponly=True,
        samesite="strict",
        path="/survey",
        secure=_secure(request),
    )
    return response


def _secure(request: Request) -> bool:
    state: AppState = request.app.state.supportops
    return state.settings.secure_cookies


def _load(state: AppState, kind: SurveyKind, token: str) -> SurveyView:
    with state.db.unit_of_work(write=False) as session:
        return surveys.view(session, kind=kind, token=token, now=state.clock.now(), settings=state.settings)


def _scale_error(kind: SurveyKind) -> str:
    scale = kind.scale
    return f"Choose a score from {scale[0]} to {scale[-1]}."


def _score(kind: SurveyKind, raw: str | None) -> int | None:
    """A score from a form or a link; None when it is missing or not on the survey's scale."""
    value = (raw or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 2:
        return None
    score = int(value)
    return score if score in kind.scale else None


@router.get("/survey/{kind}/{token}", response_class=HTMLResponse)
def survey_page(
    request: Request,
    state: State,
    kind: str,
    token: Token,
    score: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The survey; ``?score=N`` (the one-click answer of a link) pre-selects N."""
    survey_kind = _kind(kind)
    if survey_kind is None:
        return _message(request, 404, "Survey not found", f"There is no {kind[:40]!r} survey.")
    try:
        view = _load(state, survey_kind, token)
    except SupportOpsError as exc:
        return _failure(request, exc)
    if view.answered_at is not None:
        return _message(request, 200, "Already answered", SurveyAlreadyAnswered().detail)
    selected = _score(survey_kind, score)
    errors = {}
    if score and selected is None:
        errors["score"] = f"{score[:20]!r} is not on this survey's scale. {_scale_error(survey_kind)}"
    csrf_token = request.cookies.get(SURVEY_CSRF_COOKIE) or secrets.token_urlsafe(24)
    return _form(request, view, csrf_token=csrf_token[:100], selected=selected, errors=errors)


@router.post("/survey/{kind}/{token}", response_class=HTMLResponse)
def survey_answer(
    request: Request,
    state: State,
    kind: str,
    token: Token,
    score: Annotated[str, Form(max_length=20)] = "",
    comment: Annotated[str, Form(max_length=20_000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    survey_kind = _kind(kind)
    if survey_kind is None:
        return _message(request, 404, "Survey not found", f"There is no {kind[:40]!r} survey.")
    try:
        view = _load(state, survey_kind, token)
    except SupportOpsError as exc:
        return _failure(request, exc)
    if view.answered_at is not None:
        return _message(request, 409, "Already answered", SurveyAlreadyAnswered().detail)
    expected = request.cookies.get(SURVEY_CSRF_COOKIE, "")
    selected = _score(survey_kind, score)
    if not expected or not hmac.compare_digest(expected, csrf_token):
        fresh = secrets.token_urlsafe(24)
        errors = {"form": "The form expired; choose your answer again and send it."}
        return _form(
            request,
            view,
            csrf_token=fresh,
            selected=selected,
            comment=comment,
            errors=errors,
            status_code=403,
        )
    if selected is None:
        errors = {"score": _scale_error(survey_kind)}
        return _form(request, view, csrf_token=expected, comment=comment, errors=errors, status_code=422)
    values: dict[str, Any] = {"score": selected, "comment": comment}
    data: CsatAnswer | NpsAnswer
    try:
        data = (
            CsatAnswer.model_validate(values)
            if survey_kind == SurveyKind.csat
            else NpsAnswer.model_validate(values)
        )
    except ValidationError:
        errors = {"comment": "Keep the comment to 2000 characters of plain text."}
        return _form(
            request,
            view,
            csrf_token=expected,
            selected=selected,
            comment=comment,
            errors=errors,
            status_code=422,
        )
    try:
        with write_session(state) as session:
            surveys.answer(
                session,
                kind=survey_kind,
                token=token,
                data=data,
                now=state.clock.now(),
                settings=state.settings,
            )
    except SupportOpsError as exc:
        return _failure(request, exc)
    thanks = "Thank you! Your answer helps us do better."
    response = _message(request, 200, "Thank you", thanks)
    response.delete_cookie(SURVEY_CSRF_COOKIE, path="/survey")
    return response


# --- the portal's prompt ----------------------------------------------------------------------


def csat_prompt(request: Request, identity: WebIdentity | None, ticket_id: int) -> CsatRead | None:
    """The open survey of a ticket for its requester, for the portal's ticket page; None for
    anyone else, or when there is nothing to answer."""
    if identity is None or identity.principal.is_staff:
        return None
    state: AppState = request.app.state.supportops
    try:
        with state.db.unit_of_work(write=False) as session:
            return surveys.open_csat_link(
                session,
                actor=identity.principal,
                ticket_id=ticket_id,
                now=state.clock.now(),
                settings=state.settings,
            )
    except SupportOpsError:
        return None


# The ticket page asks for the prompt itself, so that the page's own code need not know surveys.
templates.env.globals["csat_prompt"] = csat_prompt
