from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from supportops.kit.text import DbId, LongText, PlainText, ShortText, Tag
from supportops.tickets.enums import AuthorKind, Channel, Severity, Status, StatusCategory

_NO_EXTRA = ConfigDict(extra="forbid")

FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
FieldValue = Annotated[PlainText, StringConstraints(max_length=1000)] | int | float | bool | None
Priority = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[Pp][0-5]$")]


def _custom_fields(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(value) > 50:
        raise ValueError("at most 50 custom fields")
    if value is not None:
        for v in value.values():
            if isinstance(v, str) and "\x00" in v:
                raise ValueError("values must not contain NUL characters")
    return value


class TicketCreate(BaseModel):
    model_config = _NO_EXTRA
    subject: ShortText
    description: LongText = ""
    priority: Priority | None = Field(default=None, description="Defaults to the scheme's medium.")
    severity: Severity | None = None
    channel: Channel = Channel.web
    category: ShortText | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    custom_fields: dict[FieldKey, FieldValue] = Field(default_factory=dict)
    requester_id: DbId | None = Field(default=None, description="Staff only; defaults to the caller.")
    requester_email: EmailStr | None = Field(
        default=None, description="Staff only: the customer by email, created on first contact."
    )
    requester_name: ShortText | None = None
    assignee_id: DbId | None = None
    group_id: DbId | None = None

    _check_custom = field_validator("custom_fields")(_custom_fields)


class TicketUpdate(BaseModel):
    model_config = _NO_EXTRA
    subject: ShortText | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    category: ShortText | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    custom_fields: dict[FieldKey, FieldValue] | None = None
    assignee_id: DbId | None = None
    group_id: DbId | None = None

    _check_custom = field_validator("custom_fields")(_custom_fields)


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    subject: str
    description: str
    status: Status
    status_category: StatusCategory
    priority: str
    severity: Severity | None
    channel: Channel
    category: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    requester_id: int
    organization_id: int | None
    assignee_id: int | None
    group_id: int | None
    follow_up_of_id: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    first_response_at: datetime | None
    first_resolved_at: datetime | None
    last_resolved_at: datetime | None
    first_response_minutes: float | None = Field(description="Calendar minutes, creation to first response.")
    resolution_minutes: float | None = Field(description="Calendar minutes, creation to latest resolution.")
    reopen_count: int
    public_agent_replies: int
    agent_stations: int
    group_stations: int
    max_tier: str | None
    tier: str | None
    escalations: int
    handle_seconds: int
    version: int
    allowed_transitions: list[Status]
    sla_due_at: datetime | None = Field(
        default=None, description="Staff only: the earliest due instant of the ticket's running SLA clocks."
    )
    sla_warn_at: datetime | None = Field(
        default=None, description="Staff only: the earliest warning instant."
    )
    sla_breached: bool = Field(default=False, description="Staff only: a running SLA clock is past due.")


class TicketPage(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None


class MessageCreate(BaseModel):
    model_config = _NO_EXTRA
    body: Annotated[LongText, StringConstraints(min_length=1)]
    public: bool = True
    channel: Channel | None = Field(default=None, description="Defaults to the ticket's channel.")
    status: Status | None = Field(
        default=None, description="Staff only: move the ticket to this status with the reply."
    )


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    author_id: int | None
    author_kind: AuthorKind
    public: bool
    channel: Channel
    body: str
    created_at: datetime


class MessagePosted(BaseModel):
    message: MessageRead
    ticket: TicketRead
    follow_up_created: bool = Field(
        description="True when the reply went to a closed ticket and opened a linked follow-up."
    )


class MessagePage(BaseModel):
    items: list[MessageRead]
    next_cursor: str | None


class TransitionCreate(BaseModel):
    model_config = _NO_EXTRA
    to: Status


class TimeEntryCreate(BaseModel):
    model_config = _NO_EXTRA
    seconds: int = Field(ge=1, le=24 * 3600)
    started_at: datetime | None = None
    note: PlainText = Field(default="", max_length=2000)
    source: Literal["manual", "timer"] = "manual"


class TimeEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    agent_id: int
    started_at: datetime
    seconds: int
    source: str
    note: str


class TimelineEvent(BaseModel):
    type: Literal["event"] = "event"
    id: int
    at: datetime
    actor_id: int | None
    kind: str
    field: str | None
    old_value: Any
    new_value: Any
    data: dict[str, Any] | None = Field(
        default=None, description="Staff only: the details of an escalation, a triage decision, a creation."
    )


class TimelineMessage(BaseModel):
    type: Literal["message"] = "message"
    id: int
    at: datetime
    message: MessageRead


class TimelinePage(BaseModel):
    items: list[TimelineEvent | TimelineMessage]
    next_cursor: str | None
