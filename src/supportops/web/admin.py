"""Web pages for admins and everyone's inbox: SLA calendars and policies, notifications."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from supportops.kit.errors import SupportOpsError
from supportops.notifications import service as notifications
from supportops.sla import admin as sla
from supportops.sla.policy import preset_targets
from supportops.sla.schemas import CalendarIn, PolicyIn
from supportops.web.pages import (
    CsrfFailed,
    State,
    TicketId,
    WebIdentity,
    check_csrf,
    error_page,
    identity_of,
    render,
    signed_in,
    to_login,
    write_session,
)

router = APIRouter(include_in_schema=False)
RULE_KEYS = ("conditions", "targets", "pauses", "warn_share", "breach_actions")
EXAMPLE_CALENDAR = {
    "timezone": "Europe/Berlin",
    "week": {d: [["09:00", "12:30"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-25", "2026-12-26"],
    "overrides": {"2026-12-24": [["09:00", "12:00"]]},
}


def form_errors(exc: Exception) -> list[str]:
    """Messages that name the place of each problem."""
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, SupportOpsError):
        field = exc.extra.get("field") or getattr(exc, "field", None)
        return [f"{field}: {exc.detail}" if field else exc.detail]
    if isinstance(exc, CsrfFailed):
        return ["The form expired; reload the page and try again."]
    return [str(exc)]


def _admin(request: Request, state: State) -> WebIdentity | Response:
    return signed_in(request, state, allowed=lambda p: p.is_admin, refusal="Only admins manage SLAs.")


def _parse(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


# --- overview ---------------------------------------------------------------------------------


@router.get("/admin/sla", response_class=HTMLResponse)
def sla_overview(request: Request, state: State) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    with state.db.unit_of_work(write=False) as session:
        calendars = sla.list_calendars(session)
        policies = sla.list_policies(session)
        compliance = sla.compliance(session)
    return render(
        request,
        "admin_sla.html",
        title="SLA policies",
        identity=identity,
        calendars=calendars,
        calendar_names={c.id: c.name for c in calendars},
        policies=policies,
        compliance=compliance,
        scheme=state.settings.priority_scheme,
    )


# --- calendars --------------------------------------------------------------------------------


def _calendar_form(
    request: Request,
    identity: WebIdentity,
    *,
    calendar_id: int | None,
    name: str,
    definition: str,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_calendar.html",
        status_code,
        title="Calendar" if calendar_id else "New calendar",
        identity=identity,
        calendar_id=calendar_id,
        calendar_name=name,
        definition=definition,
        errors=errors,
    )


@router.get("/admin/sla/calendars/new", response_class=HTMLResponse)
def calendar_new(request: Request, state: State) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    return _calendar_form(
        request,
        identity,
        calendar_id=None,
        name="",
        definition=json.dumps(EXAMPLE_CALENDAR, indent=2),
        errors=[],
    )


@router.get("/admin/sla/calendars/{calendar_id}", response_class=HTMLResponse)
def calendar_edit(request: Request, state: State, calendar_id: TicketId) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        with state.db.unit_of_work(write=False) as session:
            row = sla.calendar_read(sla.get_calendar(session, calendar_id))
    except SupportOpsError as exc:  # only NotFound: the page says "Not found"
        return error_page(request, identity, exc)
    definition = json.dumps(json.loads(row.definition.to_json()), indent=2)
    return _calendar_form(
        request, identity, calendar_id=row.id, name=row.name, definition=definition, errors=[]
    )


Name = Annotated[str, Form(max_length=200)]
Definition = Annotated[str, Form(max_length=200_000)]
Csrf = Annotated[str, Form(max_length=100)]


@router.post("/admin/sla/calendars/new")
def calendar_create(
    request: Request, state: State, name: Name = "", definition: Definition = "", csrf_token: Csrf = ""
) -> Response:
    return _save_calendar(request, state, None, name, definition, csrf_token)


@router.post("/admin/sla/calendars/{calendar_id}")
def calendar_update(
    request: Request,
    state: State,
    calendar_id: TicketId,
    name: Name = "",
    definition: Definition = "",
    csrf_token: Csrf = "",
) -> Response:
    return _save_calendar(request, state, calendar_id, name, definition, csrf_token)


def _save_calendar(
    request: Request, state: State, calendar_id: int | None, name: str, definition: str, csrf_token: str
) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        data = CalendarIn.model_validate({"name": name, "definition": _parse(definition, "The calendar")})
        with write_session(state) as session:
            if calendar_id is None:
                sla.create_calendar(session, actor=identity.principal, data=data, now=state.clock.now())
            else:
                sla.replace_calendar(
                    session,
                    actor=identity.principal,
                    calendar_id=calendar_id,
                    data=data,
                    now=state.clock.now(),
                )
    except (SupportOpsError, ValidationError, ValueError, CsrfFailed) as exc:
        return _calendar_form(
            request,
            identity,
            calendar_id=calendar_id,
            name=name,
            definition=definition,
            errors=form_errors(exc),
            status_code=422,
        )
    return RedirectResponse("/admin/sla", status_code=303)


# --- policies ---------------------------------------------------------------------------------


def _policy_form(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    policy_id: int | None,
    fields: dict[str, Any],
    rules: str,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        calendars = sla.list_calendars(session)
    return render(
        request,
        "admin_policy.html",
        status_code,
        title="Policy" if policy_id else "New policy",
        identity=identity,
        policy_id=policy_id,
        fields=fields,
        rules=rules,
        calendars=calendars,
        errors=errors,
    )


@router.get("/admin/sla/policies/new", response_class=HTMLResponse)
def policy_new(request: Request, state: State) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    targets = preset_targets(state.settings.priority_scheme, business=True)
    rules = {
        "conditions": {"all": [], "any": []},
        "targets": {p: {m.value: t.model_dump() for m, t in row.items()} for p, row in targets.items()},
        "pauses": {"resolution": ["pending"]},
        "warn_share": 0.75,
        "breach_actions": {"notify": True, "raise_priority": False, "escalate": False},
    }
    fields = {"name": "", "description": "", "position": "", "active": True, "calendar_id": None}
    return _policy_form(
        request, state, identity, policy_id=None, fields=fields, rules=json.dumps(rules, indent=2), errors=[]
    )


@router.get("/admin/sla/policies/{policy_id}", response_class=HTMLResponse)
def policy_edit(request: Request, state: State, policy_id: TicketId) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        with state.db.unit_of_work(write=False) as session:
            policy = sla.policy_read(sla.get_policy(session, policy_id))
    except SupportOpsError as exc:  # only NotFound: the page says "Not found"
        return error_page(request, identity, exc)
    dumped = policy.model_dump(mode="json")
    rules = json.dumps({k: dumped[k] for k in RULE_KEYS}, indent=2)
    fields = {k: dumped[k] for k in ("name", "description", "position", "active", "calendar_id")}
    return _policy_form(request, state, identity, policy_id=policy_id, fields=fields, rules=rules, errors=[])


class PolicyForm:
    """The policy form's fields, as posted."""

    def __init__(
        self,
        name: Name = "",
        description: Annotated[str, Form(max_length=1000)] = "",
        position: Annotated[str, Form(max_length=20)] = "",
        active: Annotated[str, Form(max_length=10)] = "",
        calendar_id: Annotated[str, Form(max_length=20)] = "",
        rules: Definition = "",
        csrf_token: Csrf = "",
    ) -> None:
        self.fields = {
            "name": name,
            "description": description,
            "position": position,
            "active": bool(active),
            "calendar_id": calendar_id,
        }
        self.rules = rules
        self.csrf_token = csrf_token


@router.post("/admin/sla/policies/new")
def policy_create(request: Request, state: State, form: Annotated[PolicyForm, Depends()]) -> Response:
    return _save_policy(request, state, None, form)


@router.post("/admin/sla/policies/{policy_id}")
def policy_update(
    request: Request, state: State, policy_id: TicketId, form: Annotated[PolicyForm, Depends()]
) -> Response:
    return _save_policy(request, state, policy_id, form)


def _save_policy(request: Request, state: State, policy_id: int | None, form: PolicyForm) -> Response:
    identity = _admin(request, state)
    if not isinstance(identity, WebIdentity):
        return identity
    fields, rules = form.fields, form.rules
    try:
        check_csrf(identity, form.csrf_token)
        parsed = _parse(rules, "The rules")
        if not isinstance(parsed, dict):
            raise ValueError(f"The rules must be a JSON object with the keys {', '.join(RULE_KEYS)}.")
        data = PolicyIn.model_validate(
            {
                **parsed,
                **fields,
                "position": fields["position"] or None,
                "calendar_id": fields["calendar_id"] or None,
            }
        )
        with write_session(state) as session:
            now, settings = state.clock.now(), state.settings
            if policy_id is None:
                sla.create_policy(session, actor=identity.principal, data=data, now=now, settings=settings)
            else:
                sla.replace_policy(
                    session,
                    actor=identity.principal,
                    policy_id=policy_id,
                    data=data,
                    now=now,
                    settings=settings,
                )
    except (SupportOpsError, ValidationError, ValueError, CsrfFailed) as exc:
        return _policy_form(
            request,
            state,
            identity,
            policy_id=policy_id,
            fields=fields,
            rules=rules,
            errors=form_errors(exc),
            status_code=422,
        )
    return RedirectResponse("/admin/sla", status_code=303)


# --- inbox ------------------------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, state: State) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    with state.db.unit_of_work(write=False) as session:
        items = notifications.inbox(session, actor=identity.principal, unread_only=False, limit=100)
    return render(request, "inbox.html", title="Inbox", identity=identity, items=items)


@router.post("/inbox/{notification_id}/read")
def inbox_read(
    request: Request,
    state: State,
    notification_id: TicketId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    identity = identity_of(request, state)
    if identity is None:
        return to_login(request)
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            notifications.mark_read(
                session, actor=identity.principal, notification_id=notification_id, now=state.clock.now()
            )
    except (SupportOpsError, CsrfFailed) as exc:
        return render(
            request, "error.html", 422, title="Inbox", message=form_errors(exc)[0], identity=identity
        )
    return RedirectResponse("/inbox", status_code=303)
