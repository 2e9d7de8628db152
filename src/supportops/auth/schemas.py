from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from supportops.auth.enums import AutoAssign, Role, Scope, Tier
from supportops.kit.text import DbId, ShortText

_NO_EXTRA = ConfigDict(extra="forbid")

SkillName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    ),
]
Proficiency = Annotated[int, Field(ge=1, le=5)]
Skills = Annotated[
    dict[SkillName, Proficiency], Field(max_length=50, description="skill name to proficiency, 1 to 5")
]


class OrganizationCreate(BaseModel):
    model_config = _NO_EXTRA
    name: ShortText
    domain: ShortText | None = None
    plan: ShortText | None = None
    shared_tickets: bool = False


class OrganizationUpdate(BaseModel):
    model_config = _NO_EXTRA
    name: ShortText | None = None
    domain: ShortText | None = None
    plan: ShortText | None = None
    shared_tickets: bool | None = None


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    domain: str | None
    plan: str | None
    shared_tickets: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = _NO_EXTRA
    email: EmailStr
    name: ShortText
    role: Role = Role.customer
    organization_id: DbId | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    timezone: str = Field(default="UTC", max_length=64)
    group_ids: list[DbId] = Field(default_factory=list, max_length=50)
    skills: Skills = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UserUpdate(BaseModel):
    model_config = _NO_EXTRA
    name: ShortText | None = None
    role: Role | None = None
    organization_id: DbId | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)
    is_active: bool | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    timezone: str | None = Field(default=None, max_length=64)
    group_ids: list[DbId] | None = Field(default=None, max_length=50)
    skills: Skills | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: Role
    organization_id: int | None
    is_active: bool
    language: str
    timezone: str
    created_at: datetime
    group_ids: list[int] = Field(default_factory=list)
    skills: dict[str, int] = Field(default_factory=dict)


class GroupCreate(BaseModel):
    model_config = _NO_EXTRA
    name: ShortText
    tier: Tier
    description: str = Field(default="", max_length=2000)
    member_ids: list[DbId] = Field(default_factory=list, max_length=500)
    auto_assign: AutoAssign | None = Field(
        default=None,
        description="skills, least-loaded or round-robin; null leaves tickets for agents to take.",
    )


class GroupUpdate(BaseModel):
    model_config = _NO_EXTRA
    name: ShortText | None = None
    tier: Tier | None = None
    description: str | None = Field(default=None, max_length=2000)
    member_ids: list[DbId] | None = Field(default=None, max_length=500)
    auto_assign: AutoAssign | None = None
    """Send null to turn automatic assignment off."""


class GroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    tier: Tier
    description: str
    auto_assign: AutoAssign | None = None
    created_at: datetime
    member_ids: list[int] = Field(default_factory=list)


class TokenCreate(BaseModel):
    model_config = _NO_EXTRA
    name: ShortText
    scopes: list[Scope] | None = Field(
        default=None, description="Defaults to every scope the user's role allows."
    )
    expires_at: datetime | None = None


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown only once.")
