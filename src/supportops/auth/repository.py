"""Every query on the accounts tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from supportops.auth.models import (
    AgentSkill,
    ApiToken,
    Group,
    GroupMembership,
    Organization,
    User,
    WebSession,
)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def list_users(
    session: Session,
    *,
    after_id: int | None,
    limit: int,
    role: str | None,
    organization_id: int | None,
) -> list[User]:
    stmt = select(User).order_by(User.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if organization_id is not None:
        stmt = stmt.where(User.organization_id == organization_id)
    return list(session.scalars(stmt))


def get_users(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def get_organization(session: Session, org_id: int) -> Organization | None:
    return session.get(Organization, org_id)


def get_organization_by_name(session: Session, name: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.name == name))


def get_organization_by_domain(session: Session, domain: str) -> Organization | None:
    return session.scalar(
        select(Organization).where(Organization.domain == domain.lower()).order_by(Organization.id)
    )


def list_organizations(session: Session, *, after_id: int | None, limit: int) -> list[Organization]:
    stmt = select(Organization).order_by(Organization.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(Organization.id > after_id)
    return list(session.scalars(stmt))


def get_group(session: Session, group_id: int) -> Group | None:
    return session.get(Group, group_id)


def get_group_by_name(session: Session, name: str) -> Group | None:
    return session.scalar(select(Group).where(Group.name == name))


def list_groups(session: Session, *, after_id: int | None, limit: int) -> list[Group]:
    stmt = select(Group).order_by(Group.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(Group.id > after_id)
    return list(session.scalars(stmt))


def group_ids_of_user(session: Session, user_id: int) -> list[int]:
    stmt = select(GroupMembership.group_id).where(GroupMembership.user_id == user_id)
    return sorted(session.scalars(stmt))


def group_ids_of_users(session: Session, user_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return result
    stmt = select(GroupMembership.user_id, GroupMembership.group_id).where(
        GroupMembership.user_id.in_(user_ids)
    )
    for user_id, group_id in session.execute(stmt):
        result[user_id].append(group_id)
    return {k: sorted(v) for k, v in result.items()}


def member_ids_of_groups(session: Session, group_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return result
    stmt = select(GroupMembership.group_id, GroupMembership.user_id).where(
        GroupMembership.group_id.in_(group_ids)
    )
    for group_id, user_id in session.execute(stmt):
        result[group_id].append(user_id)
    return {k: sorted(v) for k, v in result.items()}


def set_memberships_of_user(session: Session, user_id: int, group_ids: Iterable[int]) -> None:
    session.execute(delete(GroupMembership).where(GroupMembership.user_id == user_id))
    session.add_all(GroupMembership(user_id=user_id, group_id=g) for g in sorted(set(group_ids)))


def set_members_of_group(session: Session, group_id: int, user_ids: Iterable[int]) -> None:
    session.execute(delete(GroupMembership).where(GroupMembership.group_id == group_id))
    session.add_all(GroupMembership(user_id=u, group_id=group_id) for u in sorted(set(user_ids)))


def skills_of_users(session: Session, user_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {uid: {} for uid in user_ids}
    if not user_ids:
        return result
    stmt = select(AgentSkill).where(AgentSkill.user_id.in_(user_ids)).order_by(AgentSkill.skill)
    for row in session.scalars(stmt):
        result[row.user_id][row.skill] = row.proficiency
    return result


def set_skills(session: Session, user_id: int, skills: dict[str, int]) -> None:
    session.execute(delete(AgentSkill).where(AgentSkill.user_id == user_id))
    session.add_all(AgentSkill(user_id=user_id, skill=k, proficiency=v) for k, v in sorted(skills.items()))


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def get_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_tokens(session: Session, *, user_id: int | None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.id).limit(500)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(session.scalars(stmt))


def get_web_session_by_hash(session: Session, token_hash: str) -> WebSession | None:
    return session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))


def delete_web_session(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))
