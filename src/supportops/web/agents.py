"""Web pages for the team: agents' routing profiles and skills, groups' assignment, and presence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from supportops.auth import service as accounts
from supportops.auth.enums import AutoAssign
from supportops.auth.schemas import GroupUpdate, UserUpdate
from supportops.kit.errors import SupportOpsError
from supportops.routing import escalation
from supportops.routing import service as routing
from supportops.routing.escalation import HandoffCreate
from supportops.routing.schemas import AgentProfileUpdate
from supportops.sla import admin as sla
from supportops.tickets import service as tickets
from supportops.tickets.enums import Channel
from supportops.triage import service as triage
from supportops.web.admin import form_errors
from supportops.web.pages import (
    CsrfFailed,
    State,
    TicketId,
    WebIdentity,
    check_csrf,
    flash_error,
    identity_of,
    render,
    signed_in,
    to_login,
    write_session,
)

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]


def _manager(request: Request, state: State) -> WebIdentity | Response:
    return signed_in(
        request, state, allowed=lambda p: p.is_manager, refusal="Only leads and admins manage the team."
    )


def _team_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        agents = routing.agents(session, actor=identity.principal, now=state.clock.now())
        groups = accounts.list_groups(session, actor=identity.principal, after_id=None, limit=200)
        calendars = sla.list_calendars(session)
        models = triage.list_models(session, actor=identity.principal)
    return render(
        request,
        "admin_agents.html",
        status_code,
        title="Team",
        identity=identity,
        agents=agents,
        groups=groups,
        calendars=calendars,
        channels=list(Channel),
        strategies=list(AutoAssign),
        models=models,
        errors=errors or [],
    )


@router.get("/admin/agents", response_class=HTMLResponse)
def team(request: Request, state: State) -> Response:
    identity = _manager(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    return _team_page(request, state, identity)


def _skills(text: str) -> dict[str, int]:
    """``billing=4, how-to=3`` as a mapping; a malformed pair is an error that names it."""
    skills: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, level = part.partition("=")
        if not sep or not level.strip().isdigit():
            raise ValueError(f"skills: write each skill as name=level (1-5), not {part!r}")
        skills[name.strip()] = int(level)
    return skills


@router.post("/admin/agents/{agent_id}")
async def save_agent(request: Request, state: State, agent_id: TicketId) -> Response:
    identity = _manager(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    form = await request.form()
    try:
        check_csrf(identity, str(form.get("csrf_token", "")))
        languages = [s.strip() for s in str(form.get("languages", "")).split(",") if s.strip()]
        capacity = {c.value: form.get(f"capacity_{c.value}") for c in Channel}
        calendar = str(form.get("shift_calendar_id", ""))
        profile = AgentProfileUpdate.model_validate(
            {
                "languages": languages,
                "capacity": {k: v for k, v in capacity.items() if v not in (None, "")},
                "shift_calendar_id": int(calendar) if calendar.isdigit() else None,
            }
        )
        skills = _skills(str(form.get("skills", "")))
        with write_session(state) as session:
            now = state.clock.now()
            routing.update_agent(session, actor=identity.principal, user_id=agent_id, data=profile, now=now)
            if identity.principal.is_admin:
                accounts.update_user(
                    session, actor=identity.principal, user_id=agent_id, data=UserUpdate(skills=skills)
                )
    except (SupportOpsError, ValidationError, ValueError, CsrfFailed) as exc:
        return _team_page(request, state, identity, errors=form_errors(exc), status_code=422)
    return RedirectResponse("/admin/agents", status_code=303)


@router.post("/admin/groups/{group_id}/auto-assign")
def save_group(
    request: Request,
    state: State,
    group_id: TicketId,
    auto_assign: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Csrf = "",
) -> Response:
    identity = _manager(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        data = GroupUpdate.model_validate({"auto_assign": auto_assign or None})
        with write_session(state) as session:
            accounts.update_group(session, actor=identity.principal, group_id=group_id, data=data)
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return _team_page(request, state, identity, errors=form_errors(exc), status_code=422)
    return RedirectResponse("/admin/agents", status_code=303)


@router.post("/admin/triage/retrain")
def retrain(request: Request, state: State, csrf_token: Csrf = "") -> Response:
    """Admins retrain the category model from solved tickets; it runs as a background job."""
    identity = _manager(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            triage.request_training(
                session, actor=identity.principal, field="category", now=state.clock.now()
            )
    except (SupportOpsError, CsrfFailed) as exc:
        return _team_page(request, state, identity, errors=form_errors(exc), status_code=422)
    return RedirectResponse("/admin/agents", status_code=303)


@router.post("/presence")
def set_presence(
    request: Request,
    state: State,
    presence: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Csrf = "",
    back: Annotated[str, Form(max_length=200)] = "/agent",
) -> Response:
    """Any staff member sets their own presence from the queue page."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    if identity.principal.user_id is None or not identity.principal.is_staff:
        return RedirectResponse("/", status_code=303)
    try:
        check_csrf(identity, csrf_token)
        data = AgentProfileUpdate.model_validate({"presence": presence})
        with write_session(state) as session:
            routing.update_agent(
                session,
                actor=identity.principal,
                user_id=identity.principal.user_id,
                data=data,
                now=state.clock.now(),
            )
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        message = form_errors(exc)[0]
        return render(request, "error.html", 422, title="Presence", message=message, identity=identity)
    return RedirectResponse(
        back if back.startswith("/") and not back.startswith("//") else "/agent", status_code=303
    )


@router.post("/agent/tickets/{ticket_id}/handoff")
def hand_off(
    request: Request,
    state: State,
    ticket_id: TicketId,
    direction: Annotated[str, Form(max_length=4)] = "up",
    to_group_id: Annotated[str, Form(max_length=20)] = "",
    summary: Annotated[str, Form(max_length=4000)] = "",
    steps_tried: Annotated[str, Form(max_length=4000)] = "",
    customer_impact: Annotated[str, Form(max_length=2000)] = "",
    hypothesis: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Escalate or de-escalate from the ticket page; the handoff note's four parts are required."""
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    try:
        check_csrf(identity, csrf_token)
        data = HandoffCreate.model_validate(
            {
                "to_group_id": int(to_group_id) if to_group_id.isdigit() else None,
                "note": {
                    "summary": summary,
                    "steps_tried": steps_tried,
                    "customer_impact": customer_impact,
                    "hypothesis": hypothesis,
                },
            }
        )
        with write_session(state) as session:
            ticket = tickets.get_ticket(
                session, actor=identity.principal, ticket_id=ticket_id, for_update=True
            )
            escalation.hand_off(
                session,
                actor=identity.principal,
                ticket=ticket,
                data=data,
                direction="down" if direction == "down" else "up",
                now=state.clock.now(),
                settings=state.settings,
            )
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return flash_error(request, state, identity, ticket_id, exc)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
