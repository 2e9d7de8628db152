"""HTTP for surveys: a ticket's CSAT survey (signed in), and answers through a signed link.

The answer endpoints take no login: the signed link is the credential, and it allows one answer to
one survey until it expires.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from supportops.auth.deps import CurrentCtx, State
from supportops.surveys import service
from supportops.surveys.enums import SurveyKind
from supportops.surveys.schemas import CsatAnswer, CsatRead, NpsAnswer, SurveyAnswered

router = APIRouter(prefix="/surveys", tags=["surveys"])
ticket_router = APIRouter(prefix="/tickets", tags=["surveys"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Token = Annotated[str, Path(max_length=200)]


@ticket_router.get("/{ticket_id}/csat")
def ticket_csat(ticket_id: TicketId, ctx: CurrentCtx) -> CsatRead:
    """The satisfaction survey of the ticket's latest resolution: state, score and comment. Staff
    and the requester only; the requester also gets the survey link while it is open."""
    with ctx.read() as session:
        return service.csat_of_ticket(
            session, actor=ctx.principal, ticket_id=ticket_id, now=ctx.now, settings=ctx.settings
        )


@router.post("/csat/{token}")
def answer_csat(token: Token, data: CsatAnswer, state: State) -> SurveyAnswered:
    """Answer a CSAT survey (score 1-5, optional comment). 404 for a changed link, 410 for an
    expired one, 409 when it was answered already."""
    with state.db.unit_of_work() as session:
        return service.answer(
            session,
            kind=SurveyKind.csat,
            token=token,
            data=data,
            now=state.clock.now(),
            settings=state.settings,
        )


@router.post("/nps/{token}")
def answer_nps(token: Token, data: NpsAnswer, state: State) -> SurveyAnswered:
    """Answer an NPS survey (score 0-10, optional comment); the same link rules as CSAT."""
    with state.db.unit_of_work() as session:
        return service.answer(
            session,
            kind=SurveyKind.nps,
            token=token,
            data=data,
            now=state.clock.now(),
            settings=state.settings,
        )
