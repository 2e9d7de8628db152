"""Use cases for accounts: users, organizations, groups, API tokens and browser sessions."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from supportops.auth import repository
from supportops.auth.enums import ROLE_SCOPES, STAFF_ROLES, Role, Scope, Tier
from supportops.auth.models import ApiToken, Group, Organization, User, WebSession
from supportops.auth.passwords import digest, dummy_hash, hash_password, new_secret, verify_password
from supportops.auth.principal import Principal
from supportops.auth.schemas import (
    GroupCreate,
    GroupUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    TokenCreate,
    UserCreate,
    UserUpdate,
)
from supportops.kit.errors import Conflict, InvalidInput, NotFound, Unauthenticated

TOKEN_PREFIX = "so"  # noqa: S105 - a label, not a secret
SESSION_PREFIX = "sos"


# --- principals -------------------------------------------------------------------------------


def principal_for(session: Session, user: User, *, scopes: Sequence[str] | None = None) -> Principal:
    role = Role(user.role)
    allowed = ROLE_SCOPES[role]
    known = {s.value for s in Scope}
    granted = allowed if scopes is None else allowed & {Scope(s) for s in scopes if s in known}
    shares = False
    if user.organization_id is not None:
        org = repository.get_organization(session, user.organization_id)
        shares = bool(org and org.shared_tickets)
    return Principal(
        user_id=user.id,
        role=role,
        name=user.name,
        email=user.email,
        organization_id=user.organization_id,
        sees_organization_tickets=shares,
        scopes=frozenset(granted),
    )


@dataclass(frozen=True)
class TokenIdentity:
    principal: Principal
    expires_at: datetime | None


def authenticate_token(session: Session, *, secret: str, now: datetime) -> Principal:
    return authenticate_token_with_expiry(session, secret=secret, now=now).principal


def authenticate_token_with_expiry(session: Session, *, secret: str, now: datetime) -> TokenIdentity:
    token = repository.get_token_by_hash(session, digest(secret))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("The API token is unknown or revoked; create a new one.")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("The API token has expired; create a new one.")
    user = repository.get_user(session, token.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("The API token's user is deactivated.")
    return TokenIdentity(principal_for(session, user, scopes=token.scopes), token.expires_at)


# --- users ------------------------------------------------------------------------------------


def _check_timezone(name: str, field: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"'{name}' is not an IANA time zone such as Europe/Berlin.", field=field) from None


def _check_organization(session: Session, org_id: int | None, field: str) -> None:
    if org_id is not None and repository.get_organization(session, org_id) is None:
        raise InvalidInput(f"Organization {org_id} does not exist.", field=field)


def _check_skills(skills: dict[str, int], role: Role) -> None:
    if skills and role not in STAFF_ROLES:
        raise InvalidInput("Only agents, leads and admins have skills.", field="skills")


def _check_groups(session: Session, group_ids: Sequence[int], role: Role, field: str) -> None:
    if group_ids and role not in STAFF_ROLES:
        raise InvalidInput("Only agents, leads and admins can belong to groups.", field=field)
    for group_id in group_ids:
        if repository.get_group(session, group_id) is None:
            raise InvalidInput(f"Group {group_id} does not exist.", field=field)


def create_user(session: Session, *, actor: Principal, data: UserCreate, now: datetime) -> User:
    actor.require_admin("create users")
    return create_user_unchecked(session, data=data, now=now)


def create_user_unchecked(session: Session, *, data: UserCreate, now: datetime) -> User:
    """Create a user without an actor check: for the CLI, the demo loader and ticket intake."""
    if repository.get_user_by_email(session, data.email) is not None:
        raise Conflict(f"A user with email {data.email} already exists.", field="email")
    _check_timezone(data.timezone, "timezone")
    _check_organization(session, data.organization_id, "organization_id")
    _check_groups(session, data.group_ids, data.role, "group_ids")
    _check_skills(data.skills, data.role)
    user = User(
        email=data.email.lower(),
        name=data.name,
        role=data.role.value,
        organization_id=data.organization_id,
        password_hash=hash_password(data.password) if data.password else None,
        is_active=True,
        language=data.language,
        timezone=data.timezone,
        created_at=now,
    )
    session.add(user)
    session.flush()
    if data.group_ids:
        repository.set_memberships_of_user(session, user.id, data.group_ids)
    if data.skills:
        repository.set_skills(session, user.id, data.skills)
    session.flush()
    return user


def customer_for_email(session: Session, *, email: str, name: str | None, now: datetime) -> User:
    """The customer with this email, created on first contact and matched to an organization by domain."""
    existing = repository.get_user_by_email(session, email)
    if existing is not None:
        return existing
    domain = email.rsplit("@", 1)[-1].lower()
    org = repository.get_organization_by_domain(session, domain)
    data = UserCreate(
        email=email,
        name=name or email.split("@", 1)[0],
        role=Role.customer,
        organization_id=org.id if org else None,
    )
    return create_user_unchecked(session, data=data, now=now)


def update_user(session: Session, *, actor: Principal, user_id: int, data: UserUpdate) -> User:
    actor.require_admin("change users")
    user = get_user(session, actor=actor, user_id=user_id)
    role = data.role or Role(user.role)
    if data.timezone is not None:
        _check_timezone(data.timezone, "timezone")
    if "organization_id" in data.model_fields_set:
        _check_organization(session, data.organization_id, "organization_id")
        user.organization_id = data.organization_id
    if data.group_ids is not None:
        _check_groups(session, data.group_ids, role, "group_ids")
        repository.set_memberships_of_user(session, user.id, data.group_ids)
    elif role not in STAFF_ROLES and repository.group_ids_of_user(session, user.id):
        repository.set_memberships_of_user(session, user.id, [])
    if data.skills is not None:
        _check_skills(data.skills, role)
        repository.set_skills(session, user.id, data.skills)
    elif role not in STAFF_ROLES:
        repository.set_skills(session, user.id, {})
    for name in ("name", "language", "timezone", "is_active"):
        value = getattr(data, name)
        if value is not None:
            setattr(user, name, value)
    if data.role is not None:
        user.role = data.role.value
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    session.flush()
    return user


def get_user(session: Session, *, actor: Principal, user_id: int) -> User:
    user = repository.get_user(session, user_id)
    visible = user is not None and (actor.is_staff or user.id == actor.user_id)
    if user is None or not visible:
        raise NotFound(f"User {user_id} does not exist.")
    return user


def list_users(
    session: Session,
    *,
    actor: Principal,
    after_id: int | None,
    limit: int,
    role: Role | None = None,
    organization_id: int | None = None,
) -> list[User]:
    actor.require_staff("list users")
    return repository.list_users(
        session,
        after_id=after_id,
        limit=limit,
        role=role.value if role else None,
        organization_id=organization_id,
    )


def group_ids_of_users(session: Session, user_ids: Sequence[int]) -> dict[int, list[int]]:
    return repository.group_ids_of_users(session, user_ids)


def skills_of_users(session: Session, user_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    return repository.skills_of_users(session, user_ids)


def users_by_id(session: Session, ids: Iterable[int]) -> dict[int, User]:
    return repository.get_users(session, ids)


def find_user_by_email(session: Session, email: str) -> User | None:
    return repository.get_user_by_email(session, email)


# --- organizations ----------------------------------------------------------------------------


def create_organization(
    session: Session, *, actor: Principal, data: OrganizationCreate, now: datetime
) -> Organization:
    actor.require_admin("create organizations")
    if repository.get_organization_by_name(session, data.name) is not None:
        raise Conflict(f"An organization named '{data.name}' already exists.", field="name")
    org = Organization(
        name=data.name,
        domain=data.domain.lower() if data.domain else None,
        plan=data.plan,
        shared_tickets=data.shared_tickets,
        created_at=now,
    )
    session.add(org)
    session.flush()
    return org


def update_organization(
    session: Session, *, actor: Principal, org_id: int, data: OrganizationUpdate
) -> Organization:
    actor.require_admin("change organizations")
    org = get_organization(session, actor=actor, org_id=org_id)
    if data.name is not None and data.name != org.name:
        if repository.get_organization_by_name(session, data.name) is not None:
            raise Conflict(f"An organization named '{data.name}' already exists.", field="name")
        org.name = data.name
    if "domain" in data.model_fields_set:
        org.domain = data.domain.lower() if data.domain else None
    if "plan" in data.model_fields_set:
        org.plan = data.plan
    if data.shared_tickets is not None:
        org.shared_tickets = data.shared_tickets
    session.flush()
    return org


def get_organization(session: Session, *, actor: Principal, org_id: int) -> Organization:
    org = repository.get_organization(session, org_id)
    if org is None or not (actor.is_staff or actor.organization_id == org_id):
        raise NotFound(f"Organization {org_id} does not exist.")
    return org


def list_organizations(
    session: Session, *, actor: Principal, after_id: int | None, limit: int
) -> list[Organization]:
    actor.require_staff("list organizations")
    return repository.list_organizations(session, after_id=after_id, limit=limit)


# --- groups -----------------------------------------------------------------------------------


def _check_members(session: Session, user_ids: Sequence[int]) -> None:
    for user_id in user_ids:
        user = repository.get_user(session, user_id)
        if user is None:
            raise InvalidInput(f"User {user_id} does not exist.", field="member_ids")
        if Role(user.role) not in STAFF_ROLES:
            raise InvalidInput(f"User {user_id} is a customer and cannot join a group.", field="member_ids")


def create_group(session: Session, *, actor: Principal, data: GroupCreate, now: datetime) -> Group:
    actor.require_admin("create groups")
    if repository.get_group_by_name(session, data.name) is not None:
        raise Conflict(f"A group named '{data.name}' already exists.", field="name")
    _check_members(session, data.member_ids)
    group = Group(
        name=data.name,
        tier=data.tier.value,
        description=data.description,
        auto_assign=data.auto_assign.value if data.auto_assign else None,
        created_at=now,
    )
    session.add(group)
    session.flush()
    if data.member_ids:
        repository.set_members_of_group(session, group.id, data.member_ids)
        session.flush()
    return group


def update_group(session: Session, *, actor: Principal, group_id: int, data: GroupUpdate) -> Group:
    actor.require_admin("change groups")
    group = get_group(session, actor=actor, group_id=group_id)
    if data.name is not None and data.name != group.name:
        if repository.get_group_by_name(session, data.name) is not None:
            raise Conflict(f"A group named '{data.name}' already exists.", field="name")
        group.name = data.name
    if data.tier is not None:
        group.tier = data.tier.value
    if data.description is not None:
        group.description = data.description
    if "auto_assign" in data.model_fields_set:
        group.auto_assign = data.auto_assign.value if data.auto_assign else None
    if data.member_ids is not None:
        _check_members(session, data.member_ids)
        repository.set_members_of_group(session, group.id, data.member_ids)
    session.flush()
    return group


def get_group(session: Session, *, actor: Principal, group_id: int) -> Group:
    group = repository.get_group(session, group_id)
    if group is None or not actor.is_staff:
        raise NotFound(f"Group {group_id} does not exist.")
    return group


def group_tier(session: Session, group_id: int) -> Tier | None:
    group = repository.get_group(session, group_id)
    return Tier(group.tier) if group else None


def list_groups(session: Session, *, actor: Principal, after_id: int | None, limit: int) -> list[Group]:
    actor.require_staff("list groups")
    return repository.list_groups(session, after_id=after_id, limit=limit)


def member_ids_of_groups(session: Session, group_ids: Sequence[int]) -> dict[int, list[int]]:
    return repository.member_ids_of_groups(session, group_ids)


# --- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_token(
    session: Session, *, actor: Principal, user_id: int, data: TokenCreate, now: datetime
) -> IssuedToken:
    if user_id != actor.user_id:
        actor.require_admin("create tokens for other users")
    user = repository.get_user(session, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return issue_token(session, user=user, data=data, now=now)


def issue_token(session: Session, *, user: User, data: TokenCreate, now: datetime) -> IssuedToken:
    allowed = ROLE_SCOPES[Role(user.role)]
    scopes = set(data.scopes) if data.scopes is not None else set(allowed)
    excess = scopes - allowed
    if excess:
        names = ", ".join(sorted(s.value for s in excess))
        raise InvalidInput(f"A {user.role} cannot hold these scopes: {names}.", field="scopes")
    if data.expires_at is not None and data.expires_at <= now:
        raise InvalidInput("expires_at must be in the future.", field="expires_at")
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        prefix=secret[:10],
        token_hash=digest(secret),
        scopes=sorted(s.value for s in scopes),
        created_at=now,
        expires_at=data.expires_at,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def list_tokens(session: Session, *, actor: Principal, user_id: int | None) -> list[ApiToken]:
    if user_id != actor.user_id:
        actor.require_admin("list other users' tokens")
    return repository.list_tokens(session, user_id=user_id)


def revoke_token(session: Session, *, actor: Principal, token_id: int, now: datetime) -> ApiToken:
    token = repository.get_token(session, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"Token {token_id} does not exist.")
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()
    return token


# --- browser sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSession:
    web_session: WebSession
    secret: str


def login(
    session: Session, *, email: str, password: str, now: datetime, lifetime: timedelta
) -> IssuedSession:
    user = repository.get_user_by_email(session, email.strip())
    if user is None or not user.is_active or not user.password_hash:
        verify_password(dummy_hash(), password)
        raise Unauthenticated("Wrong email or password.")
    if not verify_password(user.password_hash, password):
        raise Unauthenticated("Wrong email or password.")
    secret = new_secret(SESSION_PREFIX)
    web_session = WebSession(
        user_id=user.id,
        token_hash=digest(secret),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(web_session)
    session.flush()
    return IssuedSession(web_session=web_session, secret=secret)


@dataclass(frozen=True)
class SessionIdentity:
    principal: Principal
    csrf_token: str


def authenticate_session(session: Session, *, secret: str, now: datetime) -> SessionIdentity:
    web_session = repository.get_web_session_by_hash(session, digest(secret))
    if web_session is None or web_session.expires_at <= now:
        raise Unauthenticated("Your session has ended; sign in again.")
    user = repository.get_user(session, web_session.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("Your account is deactivated.")
    return SessionIdentity(principal=principal_for(session, user), csrf_token=web_session.csrf_token)


def logout(session: Session, *, secret: str) -> None:
    repository.delete_web_session(session, digest(secret))
