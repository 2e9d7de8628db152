"""Admin pages: users, groups and API tokens (admins); triage rules and models, and knowledge-base
categories (leads and admins). Every form posts back here and calls the service its API route calls;
errors come back next to their fields."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from supportops.auth import service as accounts
from supportops.auth.enums import STAFF_ROLES, Role, Scope, Tier
from supportops.auth.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    TokenCreate,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from supportops.kit.errors import SupportOpsError
from supportops.knowledge import service as kb
from supportops.knowledge.schemas import CategoryCreate, CategoryUpdate
from supportops.tickets.enums import PRIORITIES, Severity
from supportops.triage import service as triage
from supportops.triage.service import RuleIn
from supportops.web.pages import (
    CsrfFailed,
    State,
    TicketId,
    WebIdentity,
    check_csrf,
    error_page,
    render,
    signed_in,
    write_session,
)

router = APIRouter(include_in_schema=False)

Id = TicketId
Csrf = Annotated[str, Form(max_length=100)]
Short = Annotated[str, Form(max_length=500)]
Number = Annotated[str, Form(max_length=20)]
Flag = Annotated[str, Form(max_length=10)]
Ids = Annotated[list[str] | None, Form(max_length=500)]
AfterId = Annotated[int | None, Query(ge=1, le=2**63 - 1)]

EXPIRED = "The form expired; reload the page and try again."
USERS_PER_PAGE = 100
MANY = 500  # organizations, groups and staff offered in a form's choices


class _Problem(Exception):
    """A form value this page could not read, with the field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _guard(request: Request, state: State, *, admin: bool) -> WebIdentity | Response:
    """Signed-out visitors go to the login page; the others need the role the page is for."""
    if admin:
        return signed_in(request, state, allowed=lambda p: p.is_admin, refusal="Only admins open this page.")
    return signed_in(
        request, state, allowed=lambda p: p.is_manager, refusal="Only leads and admins open this page."
    )


ADMIN_AREAS: tuple[tuple[str, str, str, bool], ...] = (
    ("/admin/agents", "Team", "Agents' languages, capacity, shifts and skills; automatic assignment.", False),
    ("/admin/triage", "Triage", "Rules run on every new ticket, and the trained classifiers.", False),
    ("/admin/kb/categories", "Knowledge categories", "The shelves of the help center.", False),
    ("/admin/sla", "SLA policies and calendars", "Targets per priority, business hours, holidays.", True),
    ("/admin/users", "Users", "Accounts, roles, organizations and groups.", True),
    ("/admin/groups", "Groups", "Groups and their support tier.", True),
    ("/admin/tokens", "API tokens", "Tokens for scripts and integrations; revoke them here.", True),
    ("/admin/macros", "Macros", "Canned replies with placeholders: shared ones and your own.", False),
)
"""(page, name, what it is for, admins only)"""


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, state: State) -> Response:
    """Every administration page the caller may open."""
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    areas = [a for a in ADMIN_AREAS if identity.principal.is_admin or not a[3]]
    return render(request, "admin_home.html", title="Admin", identity=identity, areas=areas)


def _errors(
    exc: Exception, fields: Collection[str], *, whole: Collection[str] = (), unwrap: str = ""
) -> dict[str, str]:
    """Messages by the form field they belong to; a field the form does not show becomes "form".

    ``whole``: fields entered as one JSON text, whose messages name the place inside it.
    ``unwrap``: a nested model whose own fields are form fields (``actions.priority`` -> ``priority``).
    """
    found: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            if unwrap and loc[:1] == [unwrap]:
                loc = loc[1:]
            field = loc[0] if loc else "form"
            message = str(err["msg"])
            if field in whole and len(loc) > 1:
                message = f"{'.'.join(loc[1:])}: {message}"
            found.setdefault(field, message)
    elif isinstance(exc, _Problem):
        found[exc.field] = exc.message
    elif isinstance(exc, CsrfFailed):
        found["form"] = EXPIRED
    elif isinstance(exc, SupportOpsError):
        field = str(exc.extra.get("field") or getattr(exc, "field", None) or "form")
        found[field.removeprefix(f"{unwrap}.") if unwrap else field] = exc.detail
    else:
        found["form"] = str(exc)
    shown: dict[str, str] = {}
    for field, message in found.items():
        if field in fields:
            shown.setdefault(field, message)
        else:
            shown.setdefault("form", message if field == "form" else f"{field}: {message}")
    return shown


def _status(exc: Exception) -> int:
    if isinstance(exc, SupportOpsError) and 400 <= exc.status < 500:
        return exc.status
    return 422


def _int_or_none(value: str) -> int | str | None:
    """A select's value: empty is None; anything else goes to the schema, which names a bad one."""
    value = value.strip()
    return None if not value else int(value) if value.isdigit() else value


# --- users ------------------------------------------------------------------------------------

USER_FIELDS = ("email", "name", "role", "organization_id", "group_ids", "password", "is_active")


def _user_reads(session: Session, users: list[Any]) -> list[UserRead]:
    groups = accounts.group_ids_of_users(session, [u.id for u in users])
    return [UserRead.model_validate(u).model_copy(update={"group_ids": groups[u.id]}) for u in users]


def _user_choices(session: Session, identity: WebIdentity, users: list[UserRead]) -> dict[str, Any]:
    """The organizations and groups a user form offers, always with those of the users shown."""
    actor = identity.principal
    organizations = accounts.list_organizations(session, actor=actor, after_id=None, limit=MANY)
    groups = accounts.list_groups(session, actor=actor, after_id=None, limit=MANY)
    known_orgs, known_groups = {o.id for o in organizations}, {g.id for g in groups}
    for org_id in sorted({u.organization_id for u in users if u.organization_id} - known_orgs):
        organizations.append(accounts.get_organization(session, actor=actor, org_id=org_id))
    for group_id in sorted({g for u in users for g in u.group_ids} - known_groups):
        groups.append(accounts.get_group(session, actor=actor, group_id=group_id))
    return {
        "organizations": organizations,
        "org_names": {o.id: o.name for o in organizations},
        "groups": groups,
        "group_names": {g.id: g.name for g in groups},
        "roles": list(Role),
    }


def _users_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    after: int | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        found = accounts.list_users(
            session, actor=identity.principal, after_id=after, limit=USERS_PER_PAGE + 1
        )
        users = _user_reads(session, found[:USERS_PER_PAGE])
        choices = _user_choices(session, identity, users)
    return render(
        request,
        "admin_users.html",
        status_code,
        title="Users",
        identity=identity,
        users=users,
        next_after=users[-1].id if len(found) > USERS_PER_PAGE else None,
        after=after,
        form=form or {"role": Role.customer.value, "group_ids": []},
        errors=errors or {},
        **choices,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, state: State, after: AfterId = None) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    return _users_page(request, state, identity, after=after)


@router.post("/admin/users", response_class=HTMLResponse)
def user_create(
    request: Request,
    state: State,
    email: Short = "",
    name: Short = "",
    role: Short = "",
    organization_id: Number = "",
    group_ids: Ids = None,
    password: Annotated[str, Form(max_length=300)] = "",
    csrf_token: Csrf = "",
) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    chosen = group_ids or []
    form = {"email": email, "name": name, "role": role, "organization_id": organization_id}
    try:
        check_csrf(identity, csrf_token)
        data = UserCreate.model_validate(
            {
                "email": email.strip(),
                "name": name,
                "role": role or Role.customer.value,
                "organization_id": _int_or_none(organization_id),
                "group_ids": chosen,
                "password": password or None,
            }
        )
        with write_session(state) as session:
            accounts.create_user(session, actor=identity.principal, data=data, now=state.clock.now())
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return _users_page(
            request,
            state,
            identity,
            form=form | {"group_ids": chosen},
            errors=_errors(exc, USER_FIELDS),
            status_code=_status(exc),
        )
    return RedirectResponse("/admin/users?created=1", status_code=303)


def _user_form(
    request: Request,
    state: State,
    identity: WebIdentity,
    user_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with state.db.unit_of_work(write=False) as session:
            row = accounts.get_user(session, actor=identity.principal, user_id=user_id)
            shown = _user_reads(session, [row])[0]
            choices = _user_choices(session, identity, [shown])
    except SupportOpsError as exc:
        return error_page(request, identity, exc)
    return render(
        request,
        "admin_user.html",
        status_code,
        title=f"User {shown.name}",
        identity=identity,
        user=shown,
        form=form or shown.model_dump(mode="json"),
        errors=errors or {},
        **choices,
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_edit(request: Request, state: State, user_id: Id) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    return _user_form(request, state, identity, user_id)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def user_update(
    request: Request,
    state: State,
    user_id: Id,
    name: Short = "",
    role: Short = "",
    organization_id: Number = "",
    group_ids: Ids = None,
    is_active: Flag = "",
    password: Annotated[str, Form(max_length=300)] = "",
    csrf_token: Csrf = "",
) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    chosen = group_ids or []
    active = bool(is_active)
    form = {
        "name": name,
        "role": role,
        "organization_id": organization_id,
        "group_ids": chosen,
        "is_active": active,
    }
    try:
        check_csrf(identity, csrf_token)
        data = UserUpdate.model_validate(
            {
                "name": name,
                "role": role,
                "organization_id": _int_or_none(organization_id),
                "group_ids": chosen,
                "is_active": active,
                "password": password or None,
            }
        )
        if user_id == identity.principal.user_id:  # an admin cannot lock themselves out here
            if data.role is not None and data.role != Role.admin:
                raise _Problem("role", "You cannot remove your own admin role; ask another admin.")
            if not active:
                raise _Problem("is_active", "You cannot deactivate your own account; ask another admin.")
        with write_session(state) as session:
            accounts.update_user(session, actor=identity.principal, user_id=user_id, data=data)
    except (SupportOpsError, ValidationError, CsrfFailed, _Problem) as exc:
        return _user_form(
            request,
            state,
            identity,
            user_id,
            form=form,
            errors=_errors(exc, USER_FIELDS),
            status_code=_status(exc),
        )
    state.token_cache.forget_all()  # a role change or deactivation applies to cached tokens now
    return RedirectResponse("/admin/users?saved=1", status_code=303)


# --- groups -----------------------------------------------------------------------------------

GROUP_FIELDS = ("name", "tier", "description", "member_ids")


def _staff(session: Session, identity: WebIdentity, members: list[int]) -> list[UserRead]:
    """Who may join a group: agents, leads and admins, and always the current members (so that saving
    the form never drops one the list did not reach)."""
    found = {
        u.id: u
        for role in sorted(STAFF_ROLES)
        for u in accounts.list_users(session, actor=identity.principal, after_id=None, limit=MANY, role=role)
    }
    found |= accounts.users_by_id(session, [m for m in members if m not in found])
    return [UserRead.model_validate(u) for u in sorted(found.values(), key=lambda u: u.name.lower())]


def _groups_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        found = accounts.list_groups(session, actor=identity.principal, after_id=None, limit=MANY)
        members = accounts.member_ids_of_groups(session, [g.id for g in found])
        groups = [
            GroupRead.model_validate(g).model_copy(update={"member_ids": members.get(g.id, [])})
            for g in found
        ]
        people = accounts.users_by_id(session, {m for ms in members.values() for m in ms})
    return render(
        request,
        "admin_groups.html",
        status_code,
        title="Groups",
        identity=identity,
        groups=groups,
        member_names={i: u.name for i, u in people.items()},
        tiers=list(Tier),
        form=form or {"tier": Tier.L1.value},
        errors=errors or {},
    )


@router.get("/admin/groups", response_class=HTMLResponse)
def groups(request: Request, state: State) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    return _groups_page(request, state, identity)


@router.post("/admin/groups", response_class=HTMLResponse)
def group_create(
    request: Request,
    state: State,
    name: Short = "",
    tier: Short = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    form = {"name": name, "tier": tier, "description": description}
    try:
        check_csrf(identity, csrf_token)
        data = GroupCreate.model_validate({"name": name, "tier": tier, "description": description})
        with write_session(state) as session:
            accounts.create_group(session, actor=identity.principal, data=data, now=state.clock.now())
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return _groups_page(
            request, state, identity, form=form, errors=_errors(exc, GROUP_FIELDS), status_code=_status(exc)
        )
    return RedirectResponse("/admin/groups?created=1", status_code=303)


def _group_form(
    request: Request,
    state: State,
    identity: WebIdentity,
    group_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with state.db.unit_of_work(write=False) as session:
            row = accounts.get_group(session, actor=identity.principal, group_id=group_id)
            members = accounts.member_ids_of_groups(session, [row.id]).get(row.id, [])
            group = GroupRead.model_validate(row).model_copy(update={"member_ids": members})
            staff = _staff(session, identity, members)
    except SupportOpsError as exc:
        return error_page(request, identity, exc)
    return render(
        request,
        "admin_group.html",
        status_code,
        title=f"Group {group.name}",
        identity=identity,
        group=group,
        staff=staff,
        tiers=list(Tier),
        form=form or group.model_dump(mode="json"),
        errors=errors or {},
    )


@router.get("/admin/groups/{group_id}", response_class=HTMLResponse)
def group_edit(request: Request, state: State, group_id: Id) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    return _group_form(request, state, identity, group_id)


@router.post("/admin/groups/{group_id}", response_class=HTMLResponse)
def group_update(
    request: Request,
    state: State,
    group_id: Id,
    name: Short = "",
    tier: Short = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    member_ids: Ids = None,
    csrf_token: Csrf = "",
) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    chosen = member_ids or []
    form = {"name": name, "tier": tier, "description": description, "member_ids": chosen}
    try:
        check_csrf(identity, csrf_token)
        data = GroupUpdate.model_validate(
            {"name": name, "tier": tier, "description": description, "member_ids": chosen}
        )
        with write_session(state) as session:
            accounts.update_group(session, actor=identity.principal, group_id=group_id, data=data)
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return _group_form(
            request,
            state,
            identity,
            group_id,
            form=form,
            errors=_errors(exc, GROUP_FIELDS),
            status_code=_status(exc),
        )
    return RedirectResponse("/admin/groups?saved=1", status_code=303)


# --- API tokens -------------------------------------------------------------------------------

TOKEN_FIELDS = ("user_id", "name", "scopes", "expires_at")


def _expiry(text: str) -> datetime | None:
    """A date from the form as the start of that day in UTC; empty is no expiry."""
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _Problem("expires_at", "Enter the expiry date as YYYY-MM-DD, or leave it empty.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _tokens_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    owner: int | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        tokens = [
            TokenRead.model_validate(t)
            for t in accounts.list_tokens(session, actor=identity.principal, user_id=owner)
        ]
        everyone = accounts.list_users(session, actor=identity.principal, after_id=None, limit=MANY)
        form = form or {"user_id": str(owner or ""), "scopes": []}
        wanted = {int(form["user_id"])} if str(form["user_id"]).isdigit() else set()
        wanted |= {owner} if owner else set()
        owners = accounts.users_by_id(session, {t.user_id for t in tokens} | wanted)
    listed = {u.id for u in everyone}
    choices = [u for u in everyone if u.is_active] + [
        u for i, u in owners.items() if i in wanted and i not in listed and u.is_active
    ]  # the user the page was opened for, even beyond the first MANY users
    tokens.reverse()  # newest first
    response = render(
        request,
        "admin_tokens.html",
        status_code,
        title="API tokens",
        identity=identity,
        tokens=tokens,
        owners=owners,
        users=choices,
        owner=owner,
        scopes=list(Scope),
        now=state.clock.now(),
        form=form,
        errors=errors or {},
        created=created,
    )
    if created is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret must not be kept anywhere
    return response


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, state: State, user_id: AfterId = None) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    return _tokens_page(request, state, identity, owner=user_id)


@router.post("/admin/tokens", response_class=HTMLResponse)
def token_create(
    request: Request,
    state: State,
    user_id: Number = "",
    name: Short = "",
    scopes: Ids = None,
    expires_at: Number = "",
    csrf_token: Csrf = "",
) -> Response:
    """Create a token for a user; the page shows its secret this once and never again."""
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    chosen = scopes or []
    form = {"user_id": user_id, "name": name, "scopes": chosen, "expires_at": expires_at}
    try:
        check_csrf(identity, csrf_token)
        if not user_id.strip().isdigit():
            raise _Problem("user_id", "Choose the user the token acts as.")
        data = TokenCreate.model_validate(
            {"name": name, "scopes": chosen or None, "expires_at": _expiry(expires_at)}
        )
        with write_session(state) as session:
            issued = accounts.create_token(
                session, actor=identity.principal, user_id=int(user_id), data=data, now=state.clock.now()
            )
            created = {"name": issued.token.name, "user_id": issued.token.user_id, "secret": issued.secret}
    except (SupportOpsError, ValidationError, CsrfFailed, _Problem) as exc:
        if isinstance(exc, SupportOpsError) and exc.status == 404:  # the chosen user is gone
            errors = {"user_id": exc.detail}
        else:
            errors = _errors(exc, TOKEN_FIELDS)
        return _tokens_page(request, state, identity, form=form, errors=errors, status_code=_status(exc))
    return _tokens_page(request, state, identity, created=created, status_code=201)


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
def token_revoke(request: Request, state: State, token_id: Id, csrf_token: Csrf = "") -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            accounts.revoke_token(session, actor=identity.principal, token_id=token_id, now=state.clock.now())
    except (SupportOpsError, CsrfFailed) as exc:
        return _tokens_page(request, state, identity, errors=_errors(exc, ()), status_code=_status(exc))
    state.token_cache.forget_all()  # the token stops working now, not when its cache entry ages out
    return RedirectResponse("/admin/tokens?revoked=1", status_code=303)


# --- triage -----------------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "position",
    "active",
    "conditions",
    "category",
    "priority",
    "severity",
    "group_id",
    "required_skills",
    "language",
)
EXAMPLE_CONDITIONS = {"all": [{"field": "channel", "operator": "is", "value": "email"}], "any": []}


def _triage_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        rules = triage.list_rules(session, actor=identity.principal)
        models = triage.list_models(session, actor=identity.principal)
        groups = accounts.list_groups(session, actor=identity.principal, after_id=None, limit=MANY)
    return render(
        request,
        "admin_triage.html",
        status_code,
        title="Triage",
        identity=identity,
        rules=rules,
        models=models,
        group_names={g.id: g.name for g in groups},
        errors=errors or {},
    )


@router.get("/admin/triage", response_class=HTMLResponse)
def triage_overview(request: Request, state: State) -> Response:
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    return _triage_page(request, state, identity)


@router.post("/admin/triage/models", response_class=HTMLResponse)
def triage_retrain(
    request: Request, state: State, field: Annotated[str, Form(max_length=20)] = "", csrf_token: Csrf = ""
) -> Response:
    """Retrain a model (category or priority) from solved tickets, as the API's retrain does."""
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            triage.request_training(
                session, actor=identity.principal, field=field or "category", now=state.clock.now()
            )
    except (SupportOpsError, CsrfFailed) as exc:
        return _triage_page(
            request, state, identity, errors=_errors(exc, ("field",)), status_code=_status(exc)
        )
    return RedirectResponse("/admin/triage?training=1", status_code=303)


def _rule_form(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    rule_id: int | None,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        groups = accounts.list_groups(session, actor=identity.principal, after_id=None, limit=MANY)
    return render(
        request,
        "admin_triage_rule.html",
        status_code,
        title=f"Triage rule {form.get('name') or rule_id}" if rule_id else "New triage rule",
        identity=identity,
        rule_id=rule_id,
        form=form,
        groups=groups,
        priorities=PRIORITIES[state.settings.priority_scheme],
        severities=[s.value for s in Severity],
        errors=errors or {},
    )


def _rule_fields(rule: RuleIn) -> dict[str, Any]:
    actions = rule.actions
    return {
        "name": rule.name,
        "position": str(rule.position),
        "active": rule.active,
        "conditions": json.dumps(rule.conditions.model_dump(mode="json"), indent=2),
        "category": actions.category or "",
        "priority": actions.priority or "",
        "severity": actions.severity.value if actions.severity else "",
        "group_id": str(actions.group_id or ""),
        "required_skills": ", ".join(f"{s}={level}" for s, level in actions.required_skills.items()),
        "language": actions.language or "",
    }


@router.get("/admin/triage/rules/new", response_class=HTMLResponse)
def rule_new(request: Request, state: State) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    with state.db.unit_of_work(write=False) as session:
        rules = triage.list_rules(session, actor=identity.principal)
    form = {
        "name": "",
        "position": str(max((r.position for r in rules), default=0) + 10),
        "active": True,
        "conditions": json.dumps(EXAMPLE_CONDITIONS, indent=2),
    }
    return _rule_form(request, state, identity, rule_id=None, form=form)


@router.get("/admin/triage/rules/{rule_id}", response_class=HTMLResponse)
def rule_edit(request: Request, state: State, rule_id: Id) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    with state.db.unit_of_work(write=False) as session:
        rule = next(
            (r for r in triage.list_rules(session, actor=identity.principal) if r.id == rule_id), None
        )
    if rule is None:
        message = f"Triage rule {rule_id} does not exist."
        return render(request, "error.html", 404, title="Not found", message=message, identity=identity)
    return _rule_form(request, state, identity, rule_id=rule_id, form=_rule_fields(rule))


class RuleForm:
    """The triage rule form's fields, as posted: conditions as JSON, the actions one field each."""

    def __init__(
        self,
        name: Short = "",
        position: Number = "",
        active: Flag = "",
        conditions: Annotated[str, Form(max_length=100_000)] = "",
        category: Short = "",
        priority: Number = "",
        severity: Number = "",
        group_id: Number = "",
        required_skills: Annotated[str, Form(max_length=2000)] = "",
        language: Number = "",
        csrf_token: Csrf = "",
    ) -> None:
        self.fields: dict[str, Any] = {
            "name": name,
            "position": position,
            "active": bool(active),
            "conditions": conditions,
            "category": category,
            "priority": priority,
            "severity": severity,
            "group_id": group_id,
            "required_skills": required_skills,
            "language": language,
        }
        self.csrf_token = csrf_token

    def conditions(self) -> Any:
        text = str(self.fields["conditions"]).strip()
        if not text:
            return {}
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Problem(
                "conditions",
                f"The conditions are not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            ) from None
        if not isinstance(parsed, dict):
            raise _Problem("conditions", 'The conditions must be a JSON object with "all" and "any" lists.')
        return parsed

    def skills(self) -> dict[str, Any]:
        """``billing=4, vpn=3`` as a mapping; a malformed pair is an error that names it."""
        skills: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in str(self.fields["required_skills"]).split(","))):
            skill, sep, level = part.partition("=")
            if not sep or not level.strip().isdigit():
                raise _Problem("required_skills", f"Write each skill as name=level (1-5), not {part!r}.")
            skills[skill.strip()] = int(level)
        return skills

    def rule(self) -> RuleIn:
        f = self.fields
        return RuleIn.model_validate(
            {
                "name": f["name"],
                "position": f["position"].strip() or None,
                "active": f["active"],
                "conditions": self.conditions(),
                "actions": {
                    "category": f["category"].strip() or None,
                    "priority": f["priority"] or None,
                    "severity": f["severity"] or None,
                    "group_id": _int_or_none(f["group_id"]),
                    "required_skills": self.skills(),
                    "language": f["language"].strip() or None,
                },
            }
        )


@router.post("/admin/triage/rules/new", response_class=HTMLResponse)
def rule_create(request: Request, state: State, form: Annotated[RuleForm, Depends()]) -> Response:
    return _save_rule(request, state, None, form)


@router.post("/admin/triage/rules/{rule_id}", response_class=HTMLResponse)
def rule_update(
    request: Request, state: State, rule_id: Id, form: Annotated[RuleForm, Depends()]
) -> Response:
    return _save_rule(request, state, rule_id, form)


def _save_rule(request: Request, state: State, rule_id: int | None, form: RuleForm) -> Response:
    identity = _guard(request, state, admin=True)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, form.csrf_token)
        data = form.rule()
        with write_session(state) as session:
            triage.save_rule(
                session,
                actor=identity.principal,
                data=data,
                now=state.clock.now(),
                settings=state.settings,
                rule_id=rule_id,
            )
    except (SupportOpsError, ValidationError, CsrfFailed, _Problem) as exc:
        errors = _errors(exc, RULE_FIELDS, whole=("conditions",), unwrap="actions")
        if isinstance(exc, SupportOpsError) and exc.status == 404:
            return error_page(request, identity, exc)
        return _rule_form(
            request,
            state,
            identity,
            rule_id=rule_id,
            form=form.fields,
            errors=errors,
            status_code=_status(exc),
        )
    return RedirectResponse("/admin/triage?saved=1", status_code=303)


# --- knowledge-base categories ----------------------------------------------------------------

CATEGORY_FIELDS = ("name", "description", "position")


def _categories_page(
    request: Request,
    state: State,
    identity: WebIdentity,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refused: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        categories = kb.list_categories(session)
    return render(
        request,
        "admin_kb_categories.html",
        status_code,
        title="Knowledge-base categories",
        identity=identity,
        categories=categories,
        form=form or {"position": "0"},
        errors=errors or {},
        refused=refused or {},
    )


@router.get("/admin/kb/categories", response_class=HTMLResponse)
def categories(request: Request, state: State) -> Response:
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    return _categories_page(request, state, identity)


CategoryName = Annotated[str, Form(max_length=500)]
CategoryText = Annotated[str, Form(max_length=4000)]


@router.post("/admin/kb/categories", response_class=HTMLResponse)
def category_create(
    request: Request,
    state: State,
    name: CategoryName = "",
    description: CategoryText = "",
    position: Number = "",
    csrf_token: Csrf = "",
) -> Response:
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    form = {"name": name, "description": description, "position": position}
    try:
        check_csrf(identity, csrf_token)
        fields = {"name": name, "description": description, "position": position.strip() or 0}
        data = CategoryCreate.model_validate(fields)
        with write_session(state) as session:
            kb.create_category(session, actor=identity.principal, data=data, now=state.clock.now())
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        return _categories_page(
            request,
            state,
            identity,
            form=form,
            errors=_errors(exc, CATEGORY_FIELDS),
            status_code=_status(exc),
        )
    return RedirectResponse("/admin/kb/categories?created=1", status_code=303)


def _category_form(
    request: Request,
    state: State,
    identity: WebIdentity,
    category_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with state.db.unit_of_work(write=False) as session:
        category = next((c for c in kb.list_categories(session) if c.id == category_id), None)
    if category is None:
        message = f"Category {category_id} does not exist."
        return render(request, "error.html", 404, title="Not found", message=message, identity=identity)
    return render(
        request,
        "admin_kb_category.html",
        status_code,
        title=f"Category {category.name}",
        identity=identity,
        category=category,
        form=form or category.model_dump(mode="json"),
        errors=errors or {},
    )


@router.get("/admin/kb/categories/{category_id}", response_class=HTMLResponse)
def category_edit(request: Request, state: State, category_id: Id) -> Response:
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    return _category_form(request, state, identity, category_id)


@router.post("/admin/kb/categories/{category_id}", response_class=HTMLResponse)
def category_update(
    request: Request,
    state: State,
    category_id: Id,
    name: CategoryName = "",
    description: CategoryText = "",
    position: Number = "",
    csrf_token: Csrf = "",
) -> Response:
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    form = {"name": name, "description": description, "position": position}
    try:
        check_csrf(identity, csrf_token)
        fields = {"name": name, "description": description, "position": position.strip() or None}
        data = CategoryUpdate.model_validate(fields)
        with write_session(state) as session:
            kb.update_category(session, actor=identity.principal, category_id=category_id, data=data)
    except (SupportOpsError, ValidationError, CsrfFailed) as exc:
        if isinstance(exc, SupportOpsError) and exc.status == 404:
            return error_page(request, identity, exc)
        return _category_form(
            request,
            state,
            identity,
            category_id,
            form=form,
            errors=_errors(exc, CATEGORY_FIELDS),
            status_code=_status(exc),
        )
    return RedirectResponse("/admin/kb/categories?saved=1", status_code=303)


@router.post("/admin/kb/categories/{category_id}/delete", response_class=HTMLResponse)
def category_delete(request: Request, state: State, category_id: Id, csrf_token: Csrf = "") -> Response:
    """Delete an empty category; one that still holds articles is refused with the service's reason."""
    identity = _guard(request, state, admin=False)
    if not isinstance(identity, WebIdentity):
        return identity
    try:
        check_csrf(identity, csrf_token)
        with write_session(state) as session:
            kb.delete_category(session, actor=identity.principal, category_id=category_id)
    except (SupportOpsError, CsrfFailed) as exc:
        message = exc.detail if isinstance(exc, SupportOpsError) else EXPIRED
        return _categories_page(
            request, state, identity, refused={category_id: message}, status_code=_status(exc)
        )
    return RedirectResponse("/admin/kb/categories?deleted=1", status_code=303)
