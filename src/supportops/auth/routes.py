"""HTTP for users, organizations, groups and API tokens. Thin: parse, call one service, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from supportops.auth import service
from supportops.auth.deps import CurrentCtx
from supportops.auth.enums import Role
from supportops.auth.models import Group, User
from supportops.auth.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from supportops.kit.pagination import MAX_LIMIT, decode_cursor, encode_cursor

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class UserPage(BaseModel):
    items: list[UserRead]
    next_cursor: str | None


class OrganizationPage(BaseModel):
    items: list[OrganizationRead]
    next_cursor: str | None


class GroupPage(BaseModel):
    items: list[GroupRead]
    next_cursor: str | None


def _after(cursor: str | None) -> int | None:
    return int(decode_cursor(cursor, keys=["after"])["after"]) if cursor else None


def _next(ids: list[int], limit: int) -> str | None:
    return encode_cursor({"after": ids[limit - 1]}) if len(ids) > limit else None


def _user_reads(session: Session, users: list[User]) -> list[UserRead]:
    ids = [u.id for u in users]
    groups = service.group_ids_of_users(session, ids)
    skills = service.skills_of_users(session, ids)
    return [
        UserRead.model_validate(u).model_copy(update={"group_ids": groups[u.id], "skills": skills[u.id]})
        for u in users
    ]


def _group_reads(groups: list[Group], members: dict[int, list[int]]) -> list[GroupRead]:
    return [
        GroupRead.model_validate(g).model_copy(update={"member_ids": members.get(g.id, [])}) for g in groups
    ]


@router.get("/users/me", tags=["users"])
def me(ctx: CurrentCtx) -> UserRead:
    """The calling user."""
    with ctx.read() as session:
        assert ctx.principal.user_id is not None
        user = service.get_user(session, actor=ctx.principal, user_id=ctx.principal.user_id)
        return _user_reads(session, [user])[0]


@router.get("/users", tags=["users"])
def list_users(
    ctx: CurrentCtx,
    cursor: str | None = None,
    limit: Limit = 50,
    role: Role | None = None,
    organization_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> UserPage:
    with ctx.read() as session:
        users = service.list_users(
            session,
            actor=ctx.principal,
            after_id=_after(cursor),
            limit=limit + 1,
            role=role,
            organization_id=organization_id,
        )
        page = users[:limit]
        items = _user_reads(session, page)
        return UserPage(items=items, next_cursor=_next([u.id for u in users], limit))


@router.post("/users", status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(data: UserCreate, ctx: CurrentCtx) -> UserRead:
    with ctx.write() as session:
        user = service.create_user(session, actor=ctx.principal, data=data, now=ctx.now)
        return _user_reads(session, [user])[0]


@router.get("/users/{user_id}", tags=["users"])
def get_user(user_id: Id, ctx: CurrentCtx) -> UserRead:
    with ctx.read() as session:
        user = service.get_user(session, actor=ctx.principal, user_id=user_id)
        return _user_reads(session, [user])[0]


@router.patch("/users/{user_id}", tags=["users"])
def update_user(user_id: Id, data: UserUpdate, ctx: CurrentCtx) -> UserRead:
    with ctx.write() as session:
        user = service.update_user(session, actor=ctx.principal, user_id=user_id, data=data)
        read = _user_reads(session, [user])[0]
    ctx.state.token_cache.forget_all()  # a role change or deactivation applies to cached tokens now
    return read


@router.get("/organizations", tags=["organizations"])
def list_organizations(ctx: CurrentCtx, cursor: str | None = None, limit: Limit = 50) -> OrganizationPage:
    with ctx.read() as session:
        orgs = service.list_organizations(
            session, actor=ctx.principal, after_id=_after(cursor), limit=limit + 1
        )
        return OrganizationPage(
            items=[OrganizationRead.model_validate(o) for o in orgs[:limit]],
            next_cursor=_next([o.id for o in orgs], limit),
        )


@router.post("/organizations", status_code=status.HTTP_201_CREATED, tags=["organizations"])
def create_organization(data: OrganizationCreate, ctx: CurrentCtx) -> OrganizationRead:
    with ctx.write() as session:
        org = service.create_organization(session, actor=ctx.principal, data=data, now=ctx.now)
        return OrganizationRead.model_validate(org)


@router.get("/organizations/{org_id}", tags=["organizations"])
def get_organization(org_id: Id, ctx: CurrentCtx) -> OrganizationRead:
    with ctx.read() as session:
        return OrganizationRead.model_validate(
            service.get_organization(session, actor=ctx.principal, org_id=org_id)
        )


@router.patch("/organizations/{org_id}", tags=["organizations"])
def update_organization(org_id: Id, data: OrganizationUpdate, ctx: CurrentCtx) -> OrganizationRead:
    with ctx.write() as session:
        org = service.update_organization(session, actor=ctx.principal, org_id=org_id, data=data)
        return OrganizationRead.model_validate(org)


@router.get("/groups", tags=["groups"])
def list_groups(ctx: CurrentCtx, cursor: str | None = None, limit: Limit = 50) -> GroupPage:
    with ctx.read() as session:
        groups = service.list_groups(session, actor=ctx.principal, after_id=_after(cursor), limit=limit + 1)
        page = groups[:limit]
        members = service.member_ids_of_groups(session, [g.id for g in page])
        return GroupPage(items=_group_reads(page, members), next_cursor=_next([g.id for g in groups], limit))


@router.post("/groups", status_code=status.HTTP_201_CREATED, tags=["groups"])
def create_group(data: GroupCreate, ctx: CurrentCtx) -> GroupRead:
    with ctx.write() as session:
        group = service.create_group(session, actor=ctx.principal, data=data, now=ctx.now)
        return _group_reads([group], service.member_ids_of_groups(session, [group.id]))[0]


@router.get("/groups/{group_id}", tags=["groups"])
def get_group(group_id: Id, ctx: CurrentCtx) -> GroupRead:
    with ctx.read() as session:
        group = service.get_group(session, actor=ctx.principal, group_id=group_id)
        return _group_reads([group], service.member_ids_of_groups(session, [group.id]))[0]


@router.patch("/groups/{group_id}", tags=["groups"])
def update_group(group_id: Id, data: GroupUpdate, ctx: CurrentCtx) -> GroupRead:
    with ctx.write() as session:
        group = service.update_group(session, actor=ctx.principal, group_id=group_id, data=data)
        return _group_reads([group], service.member_ids_of_groups(session, [group.id]))[0]


@router.get("/tokens", tags=["tokens"])
def list_tokens(
    ctx: CurrentCtx, user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None
) -> list[TokenRead]:
    """Your tokens; admins may name another user, or list everyone's with user_id omitted."""
    with ctx.read() as session:
        owner = user_id if user_id is not None or ctx.principal.is_admin else ctx.principal.user_id
        tokens = service.list_tokens(session, actor=ctx.principal, user_id=owner)
        return [TokenRead.model_validate(t) for t in tokens]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, tags=["tokens"])
def create_token(
    data: TokenCreate,
    ctx: CurrentCtx,
    user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> TokenCreated:
    """Create a token for yourself (or, as admin, for ``user_id``). The secret is returned once."""
    with ctx.write() as session:
        owner = user_id or ctx.principal.user_id
        assert owner is not None
        issued = service.create_token(session, actor=ctx.principal, user_id=owner, data=data, now=ctx.now)
        return TokenCreated.model_validate(
            {**TokenRead.model_validate(issued.token).model_dump(), "token": issued.secret}
        )


@router.delete("/tokens/{token_id}", tags=["tokens"])
def revoke_token(token_id: Id, ctx: CurrentCtx) -> TokenRead:
    with ctx.write() as session:
        revoked = TokenRead.model_validate(
            service.revoke_token(session, actor=ctx.principal, token_id=token_id, now=ctx.now)
        )
    ctx.state.token_cache.forget_all()
    return revoked
