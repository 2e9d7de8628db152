"""What survey answers look like on the way in, and survey states on the way out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from supportops.surveys.enums import SurveyKind, SurveyState


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_no_nul)]


class CsatAnswer(BaseModel):
    """1 (very dissatisfied) to 5 (very satisfied), and what the customer wants to add."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, strict=True)
    comment: Comment = ""


class NpsAnswer(BaseModel):
    """0 (not at all likely to recommend us) to 10 (extremely likely)."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=0, le=10, strict=True)
    comment: Comment = ""


class SurveyAnswered(BaseModel):
    kind: SurveyKind
    survey_id: int
    score: int
    comment: str
    answered_at: datetime


class CsatRead(BaseModel):
    """The satisfaction survey of a ticket's latest resolution."""

    ticket_id: int
    state: SurveyState
    survey_id: int | None = None
    resolved_at: datetime | None = None
    sent_at: datetime | None = None
    expires_at: datetime | None = None
    answered_at: datetime | None = None
    score: int | None = None
    comment: str | None = None
    link: str | None = Field(
        default=None, description="The survey page; only for the requester, while the survey is open."
    )


class SurveyView(BaseModel):
    """What the survey page shows: enough to ask the question, nothing else about the ticket."""

    kind: SurveyKind
    survey_id: int
    token: str
    subject: str | None
    """The ticket the CSAT survey asks about; None for NPS."""
    ticket_id: int | None
    expires_at: datetime
    answered_at: datetime | None
    score: int | None
    comment: str
