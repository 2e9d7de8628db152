"""What the agent routing API reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from supportops.kit.text import DbId
from supportops.routing.strategies import Presence
from supportops.tickets.enums import Channel

Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
"""A language tag such as ``en``, ``de`` or ``pt-BR``."""

DEFAULT_CAPACITY: dict[Channel, int] = {
    Channel.email: 8,
    Channel.web: 8,
    Channel.api: 8,
    Channel.chat: 3,
    Channel.phone: 1,
}


class AgentProfileUpdate(BaseModel):
    """Leads and admins set languages, capacity and shift; agents set only their own presence."""

    model_config = ConfigDict(extra="forbid")

    presence: Presence | None = None
    languages: list[Language] | None = Field(default=None, max_length=20)
    capacity: dict[Channel, Annotated[int, Field(ge=0, le=100)]] | None = None
    shift_calendar_id: DbId | None = None


class PresenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    presence: Presence


class AgentRead(BaseModel):
    id: int
    name: str
    email: str
    role: str
    presence: Presence
    presence_changed_at: datetime | None
    languages: list[str]
    capacity: dict[Channel, int]
    open_tickets: dict[Channel, int]
    """Unsolved tickets assigned to the agent, per channel."""
    skills: dict[str, int]
    group_ids: list[int]
    shift_calendar_id: int | None
    on_shift: bool
