"""Macros on the way in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from supportops.kit.text import LongText, ShortText, Tag
from supportops.macros.enums import MacroVisibility
from supportops.tickets.enums import Status
from supportops.tickets.schemas import Priority, TicketRead

_NO_EXTRA = ConfigDict(extra="forbid")
Title = Annotated[ShortText, StringConstraints(max_length=120)]
Body = Annotated[LongText, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class MacroActions(BaseModel):
    """Ticket changes applied with the macro's reply; each is optional."""

    model_config = _NO_EXTRA
    status: Status | None = Field(default=None, description="Move the ticket to this status.")
    priority: Priority | None = None
    add_tags: list[Tag] = Field(default_factory=list, max_length=20)

    @field_validator("status")
    @classmethod
    def _never_new(cls, value: Status | None) -> Status | None:
        if value == Status.new:
            raise ValueError("a ticket never returns to new")
        return value

    @field_validator("add_tags")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class MacroCreate(BaseModel):
    """A new macro. The body may hold placeholders such as ``{{ticket.id}}`` or
    ``{{requester.first_name}}``; an unknown one is refused."""

    model_config = _NO_EXTRA
    title: Title
    body: Body
    actions: MacroActions = Field(default_factory=MacroActions)
    visibility: MacroVisibility = Field(
        default=MacroVisibility.personal,
        description="shared (every staff member; leads and admins write them) or personal (yours).",
    )
    position: int = Field(default=0, ge=0, le=10_000, description="Lower comes first.")


class MacroUpdate(MacroCreate):
    """PUT replaces the whole macro."""


class MacroRead(BaseModel):
    id: int
    title: str
    body: str
    actions: MacroActions
    visibility: MacroVisibility
    owner_id: int | None
    position: int
    placeholders: list[str] = Field(description="The placeholders the body uses.")
    created_at: datetime
    updated_at: datetime


class MacroPage(BaseModel):
    items: list[MacroRead]
    next_cursor: str | None


class MacroPreview(BaseModel):
    """The body as it would be posted on this ticket, and the changes it would make."""

    body: str
    actions: MacroActions


class MacroApply(BaseModel):
    model_config = _NO_EXTRA
    public: bool = Field(default=True, description="A public reply, or false for an internal note.")


class MacroApplied(BaseModel):
    message_id: int
    ticket: TicketRead
    follow_up_created: bool = Field(
        description="True when the ticket was closed and the reply opened a linked follow-up."
    )
